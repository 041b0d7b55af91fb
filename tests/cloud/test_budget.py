"""Verification budget over a one-hour replay of engine events with a fake clock."""

from __future__ import annotations

import asyncio

from custom_components.argus.cloud import CameraCloudSettings
from tests.helpers.cloud import FakeClock, ImageSource, Recorder, event_message, make_manager, verify_settings


def _track(event_id: str, start: float, *, label: str = "person", score: float, zones_over_time: list[tuple[str, ...]],
           stationary: bool = False, step: float = 2.0) -> list[tuple[float, dict]]:
    """Return timed messages for one track: start, one update per zone state, end."""
    messages = [(start, event_message(event_id, kind="start", label=label, score=score, zones=zones_over_time[0],
                                      stationary=stationary))]
    previous: tuple[str, ...] = zones_over_time[0]
    for index, zones in enumerate(zones_over_time[1:], start=1):
        entered = tuple(zone for zone in zones if zone not in previous)
        messages.append((start + index * step, event_message(event_id, kind="update", label=label, score=score,
                                                             zones=zones, stationary=stationary, entered=entered)))
        previous = zones
    end = start + len(zones_over_time) * step
    messages.append((end, event_message(event_id, kind="end", label=label, score=score, zones=(),
                                        stationary=stationary)))
    return messages


def _hour_of_events() -> list[tuple[float, dict]]:
    messages: list[tuple[float, dict]] = []
    # A car parked in the driveway all hour, its track lost and found again every 15 minutes.
    for index in range(4):
        updates = [("driveway",)] * 90
        messages += _track(f"car_{index}", index * 900.0, label="car", score=0.5, zones_over_time=updates,
                           stationary=True, step=10.0)
    # 30 people passing outside the door zone, with ambiguous scores: in no zone or in the driveway.
    for index in range(30):
        zones = [(), ("driveway",), ("driveway",), ()] if index % 2 else [(), (), ()]
        messages += _track(f"passer_{index}", 60.0 + index * 110.0, score=0.40 + (index % 5) * 0.04,
                           zones_over_time=zones)
    # Two ambiguous people and one clear one walking up to the door.
    for event_id, start, score in (("visitor_a", 700.0, 0.45), ("visitor_b", 2100.0, 0.50), ("visitor_c", 3000.0, 0.92)):
        messages += _track(event_id, start, score=score, zones_over_time=[(), ("door",), ("door",), ("door",), ()])
    return sorted(messages, key=lambda item: item[0])


async def test_hour_replay_makes_two_calls(fake_ai, session) -> None:
    clock = FakeClock()
    fake_ai.clock = clock.time
    settings = verify_settings(fake_ai, cameras={"front": CameraCloudSettings(verify=True, zones=frozenset({"door"}))})
    images = ImageSource()
    manager = make_manager(settings, session, images, Recorder(), clock=clock.clock)
    start = clock.now

    messages = _hour_of_events()
    for offset, message in messages:
        clock.now = start + offset
        manager.handle_event(message)
        await asyncio.sleep(0)
    await manager.drain()

    assert clock.now - start >= 3600 - 60
    assert len(messages) > 400
    assert fake_ai.shape_errors == []
    assert len(fake_ai.requests) == 2
    assert images.paths == ["/api/events/visitor_a/crop.jpg", "/api/events/visitor_b/crop.jpg"]
    assert manager.result("visitor_a").verdict == "confirmed"
    assert manager.result("visitor_b").verdict == "confirmed"
    assert manager.result("visitor_c") is None
    assert manager.accounting.today.requests == 2


async def test_parked_car_verified_once(fake_ai, session) -> None:
    # With the driveway required, the parked car qualifies, but lost-and-found tracks are not re-sent.
    clock = FakeClock()
    settings = verify_settings(fake_ai, cameras={"front": CameraCloudSettings(verify=True, zones=frozenset({"driveway"}))})
    images = ImageSource()
    manager = make_manager(settings, session, images, Recorder(), clock=clock.clock)

    for index in range(4):
        for kind in ("start", "update", "update", "end"):
            manager.handle_event(event_message(f"car_{index}", kind=kind, label="car", score=0.5,
                                               zones=("driveway",), stationary=True))
            await manager.drain()
            clock.advance(300)

    assert len(fake_ai.requests) == 1
    assert images.paths == ["/api/events/car_0/crop.jpg"]


async def test_daily_cap_stops_requests(fake_ai, session) -> None:
    clock = FakeClock()
    manager = make_manager(verify_settings(fake_ai, daily_cap=3), session, ImageSource(), Recorder(), clock=clock.clock)

    results = []
    for index in range(5):
        task = manager.handle_event(event_message(f"ev{index}", score=0.5))
        results.append(await task)

    assert len(fake_ai.requests) == 3
    assert [result.error for result in results[3:]] == ["daily_cap", "daily_cap"]

    clock.advance(86_400)
    next_day = await manager.handle_event(event_message("ev_tomorrow", score=0.5))
    assert next_day.verdict == "confirmed"
    assert len(fake_ai.requests) == 4


async def test_claims_survive_restart(fake_ai, session) -> None:
    clock = FakeClock()
    before = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder(), clock=clock.clock)
    await before.handle_event(event_message("ev1", score=0.5))

    after = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder(), clock=clock.clock)
    after.policy.restore_claims(before.policy.claimed_ids())
    after.accounting.restore(before.accounting.as_dict())
    replayed = after.handle_event(event_message("ev1", kind="update", score=0.5))

    assert replayed is None
    assert len(fake_ai.requests) == 1
    assert after.accounting.today.requests == 1
