"""Rate limits, hanging requests and huge snapshots never block detection or overspend."""

from __future__ import annotations

import asyncio
import io
import time

import numpy as np
import pytest
from aiohttp import web
from PIL import Image

from custom_components.argus.cloud import models
from tests.helpers.cloud import FakeClock, ImageSource, Recorder, event_message, make_manager, verify_settings
from tests.helpers.media import shared_media
from tests.helpers.workers_ai import RecordedRequest, envelope


async def test_rate_limit_trips_breaker(fake_ai, session) -> None:
    async def rate_limited(_: RecordedRequest) -> web.Response:
        errors = [{"code": 3040, "message": "Capacity temporarily exceeded"}]
        return envelope(success=False, errors=errors, status=429, headers={"Retry-After": "2"})

    fake_ai.responder = rate_limited
    clock = FakeClock()
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder(), clock=clock.clock)

    tasks = []
    for index in range(10):
        tasks.append(manager.handle_event(event_message(f"ev{index}", score=0.5)))
        clock.advance(5)
        await asyncio.sleep(0)
    results = await asyncio.gather(*tasks)
    await manager.drain()
    calls_when_done = len(fake_ai.requests)

    assert all(result.verdict == "unverified" for result in results)
    assert all(result.attempts <= 3 for result in results)
    assert sum(result.attempts for result in results) == calls_when_done
    # Two verifications run at once, so either of the first two may exhaust its attempts.
    assert max(result.attempts for result in results) == 3
    assert "rate_limited" in {result.error for result in results[:2]}
    assert {result.error for result in results} <= {"rate_limited", "breaker_open"}
    assert all(result.attempts == 0 for result in results[2:])
    assert manager.breaker.is_open
    assert clock.sleeps
    # Every wait is the full Retry-After of 2 s: not shorter, not longer.
    assert all(seconds >= 2.0 - 1e-9 for seconds in clock.sleeps), clock.sleeps
    assert all(seconds <= 2.0 for seconds in clock.sleeps), clock.sleeps

    clock.advance(600)
    await asyncio.sleep(0.2)
    assert len(fake_ai.requests) == calls_when_done


async def test_breaker_lets_calls_resume(fake_ai, session) -> None:
    responses = iter([429, 429, 429])

    async def limited_then_ok(request: RecordedRequest) -> web.Response:
        status = next(responses, 200)
        if status == 429:
            return envelope(success=False, status=429, headers={"Retry-After": "1"})
        return envelope({"response": '{"verdict": "rejected", "description": "A shadow."}'})

    fake_ai.responder = limited_then_ok
    clock = FakeClock()
    manager = make_manager(verify_settings(fake_ai, breaker_pause=60), session, ImageSource(), Recorder(),
                           clock=clock.clock)

    first = await manager.handle_event(event_message("ev1", score=0.5))
    clock.advance(61)
    second = await manager.handle_event(event_message("ev2", score=0.5))

    assert first.error == "rate_limited"
    assert second.verdict == "rejected"
    assert not manager.breaker.is_open


@pytest.fixture
def hang_release() -> asyncio.Event:
    return asyncio.Event()


async def test_hanging_requests_time_out(fake_ai, session, hang_release) -> None:
    async def hang(_: RecordedRequest) -> web.Response:
        try:
            await asyncio.wait_for(hang_release.wait(), timeout=120)
        except TimeoutError:
            pass
        return envelope({"response": "late"})

    fake_ai.responder = hang
    settings = verify_settings(fake_ai, timeout=1.5, breaker_failures=10)
    manager = make_manager(settings, session, ImageSource(), Recorder())
    gaps: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        last = time.monotonic()
        while not stop.is_set():
            await asyncio.sleep(0.02)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.monotonic()
    tasks = [manager.handle_event(event_message(f"ev{index}", score=0.5)) for index in range(3)]
    manager.handle_event(event_message("ev_service", score=0.95))
    service_result = await manager.verify("ev_service")
    results = await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    stop.set()
    await ticking
    hang_release.set()

    for result in [*results, service_result]:
        assert result.verdict == "unverified"
        assert result.error == "timeout"
        assert "1.5 s" in result.message
    assert len(fake_ai.requests) == 4
    # Four 1.5 s timeouts, two at a time: far below the 120 s the server would hang.
    assert elapsed < 30
    assert len(gaps) > 10
    # A loop blocked by a request would stall for the whole 1.5 s timeout; 1 s leaves room for a loaded machine.
    assert max(gaps) < 1.0


def _photo_4k() -> bytes:
    base = Image.open(shared_media("bus.jpg")).convert("RGB")
    image = base.resize((3840, 2160), Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _noise_4k() -> bytes:
    # Random noise is the worst case for JPEG: it barely compresses.
    pixels = np.random.default_rng(7).integers(0, 256, size=(2160, 3840, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


@pytest.mark.parametrize("model_id", sorted(models.MODELS))
@pytest.mark.parametrize("make_image", [_photo_4k, _noise_4k], ids=["photo", "noise"])
async def test_4k_snapshot_body_under_1mb(fake_ai, session, model_id, make_image) -> None:
    source = make_image()
    settings = verify_settings(fake_ai, model=model_id, image_source="frame")
    manager = make_manager(settings, session, ImageSource(source), Recorder())

    result = await manager.handle_event(event_message("ev4k", score=0.5))

    assert fake_ai.shape_errors == []
    assert result.verdict == "confirmed"
    (request,) = fake_ai.requests
    print(f"{model_id} {make_image.__name__}: source {len(source)} B, body {len(request.body)} B, "
          f"image {result.image_width}x{result.image_height}")
    assert len(request.body) < 1_000_000
    assert max(Image.open(io.BytesIO(request.image)).size) <= 1024


async def test_service_retries_unverified_event(fake_ai, session) -> None:
    responses = iter([503])

    async def unavailable_once(request: RecordedRequest) -> web.Response:
        if next(responses, 200) == 503:
            return envelope(success=False, errors=[{"code": 3040, "message": "busy"}], status=503)
        return envelope({"response": '{"verdict": "confirmed", "description": "A courier."}'})

    fake_ai.responder = unavailable_once
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder())

    first = await manager.handle_event(event_message("ev1", score=0.5))
    retried = await manager.verify("ev1")
    again = await manager.verify("ev1")

    assert first.error == "server_error"
    assert retried.verdict == "confirmed"
    assert again is retried
    assert len(fake_ai.requests) == 2


async def test_long_retry_after_trips_breaker(fake_ai, session) -> None:
    async def long_wait(_: RecordedRequest) -> web.Response:
        return envelope(success=False, status=429, headers={"Retry-After": "3600"})

    fake_ai.responder = long_wait
    clock = FakeClock()
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder(), clock=clock.clock)

    result = await manager.handle_event(event_message("ev1", score=0.5))

    assert result.error == "rate_limited"
    assert result.attempts == 1
    assert manager.breaker.is_open
    assert clock.sleeps == []
