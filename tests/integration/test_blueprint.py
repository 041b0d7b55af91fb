"""The notification blueprint: schema, filters, snapshot image, clip tap action, cooldown per camera and verification."""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from pytest_homeassistant_custom_component.common import async_capture_events, async_mock_service

from custom_components.argus.const import DOMAIN, EVENT_ARGUS
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict

from argus_engine.events.model import Event, new_event_id
from tests.helpers.event_media import write_clip
from tests.integration.demo_setup import demo_engine, demo_entry  # noqa: F401
from tests.integration.engine_server import EngineServer, wait_until

BLUEPRINT = Path(__file__).resolve().parents[2] / "blueprints" / "automation" / "argus" / "notify_on_event.yaml"
NOTIFY = "mobile_app_phone"
ENTERED_STREET = [{"zone": "street", "change": "entered"}]


async def set_up_automation(hass: HomeAssistant, **inputs: Any) -> None:
    """Install the blueprint where Home Assistant looks for it and create an automation from it."""
    folder = Path(hass.config.path("blueprints", "automation", "argus"))
    await hass.async_add_executor_job(lambda: folder.mkdir(parents=True, exist_ok=True))
    await hass.async_add_executor_job(shutil.copy, BLUEPRINT, folder / BLUEPRINT.name)
    config = {
        "automation": {
            "id": "argus_notify",
            "alias": "Argus notify",
            "use_blueprint": {
                "path": f"argus/{BLUEPRINT.name}",
                "input": {"notify_action": f"notify.{NOTIFY}", **inputs},
            },
        }
    }
    assert await async_setup_component(hass, "automation", config)
    await hass.async_block_till_done()
    state = hass.states.get("automation.argus_notify")
    assert state is not None, "the automation built from the blueprint was not created"
    assert state.state == "on"


async def settle() -> None:
    """Give the automation time to evaluate an event.

    `hass.async_block_till_done` cannot be used here: it also waits for the automation's
    runs, which sit in their clip wait for minutes.
    """
    for _ in range(20):
        await asyncio.sleep(0)
    await asyncio.sleep(0.3)


async def fire(
    hass: HomeAssistant, server: EngineServer, kind: str = "start", camera: str = "demo", **kwargs: Any
) -> Event:
    """Record an event message in the engine and wait until the automation has seen it."""
    fired = async_capture_events(hass, EVENT_ARGUS)
    _, event = server.record_event(camera, kind, **kwargs)
    await wait_until(lambda: len(fired) == 1, what=f"argus_event {kind}")
    await settle()
    return event


def test_blueprint_schema_valid() -> None:
    blueprint = Blueprint(load_yaml_dict(BLUEPRINT), expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA)
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) >= {"notify_action", "cameras", "zones", "labels", "cooldown", "only_verified"}


async def test_notifies_once_with_image(
    hass: HomeAssistant, demo_engine: EngineServer, demo_entry, hass_client_no_auth
) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    # The cooldown runs on the real clock: freezing it would also stop the event loop's timers.
    cooldown = 4.0
    await set_up_automation(hass, cameras=["demo"], zones=["street"], cooldown=cooldown, clip_wait=0)

    event = await fire(hass, demo_engine, zone_changes=ENTERED_STREET)
    await wait_until(lambda: len(calls) == 1, what="one notification")
    notified_at = time.monotonic()
    data = calls[0].data
    assert data["title"] == "Person · Demo Street"
    assert data["message"].endswith("(0.91)")
    image = data["data"]["image"]
    assert image.startswith(f"/api/argus/{demo_entry.entry_id}/events/{event.id}/snapshot.jpg?authSig=")
    assert data["data"]["clickAction"] == image
    assert data["data"]["tag"] == f"argus-{event.id}"

    # The phone has no Home Assistant login for the image: the signature alone must do.
    response = await (await hass_client_no_auth()).get(image)
    assert response.status == 200
    assert response.content_type == "image/jpeg"

    # A second object within the cooldown sends nothing.
    await fire(hass, demo_engine, zone_changes=ENTERED_STREET)
    assert time.monotonic() - notified_at < cooldown, "the second event came after the cooldown; the check proves nothing"
    assert len(calls) == 1

    # After the cooldown the next object notifies again.
    await asyncio.sleep(notified_at + cooldown + 0.2 - time.monotonic())
    await fire(hass, demo_engine, zone_changes=ENTERED_STREET)
    await wait_until(lambda: len(calls) == 2, what="a notification after the cooldown")


@pytest.mark.parametrize(
    ("inputs", "record"),
    [
        ({"labels": ["vehicle"]}, {"zone_changes": ENTERED_STREET}),
        ({"cameras": ["driveway"]}, {"zone_changes": ENTERED_STREET}),
        ({"zones": ["door"]}, {"zone_changes": ENTERED_STREET}),
        ({"zones": ["street"]}, {"zone_changes": [{"zone": "street", "change": "left"}]}),
    ],
    ids=["other label", "other camera", "other zone", "left zone"],
)
async def test_filters_send_nothing(
    hass: HomeAssistant, demo_engine: EngineServer, demo_entry, inputs: dict[str, Any], record: dict[str, Any]
) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    await set_up_automation(hass, clip_wait=0, **inputs)
    await fire(hass, demo_engine, **record)
    assert calls == []


async def test_stationary_object_not_announced(hass: HomeAssistant, demo_engine: EngineServer, demo_entry) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    await set_up_automation(hass, labels=["car"], clip_wait=0, cooldown=0)
    event = await fire(hass, demo_engine, label="car", zone_changes=ENTERED_STREET)
    await wait_until(lambda: len(calls) == 1, what="the first notification")
    await wait_until(lambda: hass.states.get("automation.argus_notify").attributes.get("current") == 0, what="run ended")

    # Seen again after an engine restart, a parked car comes back as a new, stationary event.
    parked = Event(
        id=new_event_id(), camera="demo", label="car", groups=["car"], start=time.time(), stream_start=0.0,
        top_score=0.8, stationary=True,
    )
    parked.snapshot_path = event.snapshot_path
    await fire(hass, demo_engine, event=parked, zone_changes=ENTERED_STREET)
    # The first car turning stationary is an update, which never notifies.
    event.stationary = True
    await fire(hass, demo_engine, "update", event=event)
    assert len(calls) == 1


async def test_tap_opens_clip_when_ready(
    hass: HomeAssistant, demo_engine: EngineServer, demo_entry, hass_client_no_auth
) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    await set_up_automation(hass, clip_wait=300)
    event = await fire(hass, demo_engine)
    await wait_until(lambda: len(calls) == 1, what="the first notification")

    # Updates without a clip leave the notification alone; the clip replaces it.
    await fire(hass, demo_engine, "update", event=event)
    assert len(calls) == 1
    event.clip_path = "test/clip.mp4"
    await hass.async_add_executor_job(write_clip, demo_engine.engine.media_dir / event.clip_path)
    await fire(hass, demo_engine, "end", event=event)
    await wait_until(lambda: len(calls) == 2, what="the notification with the clip")

    replaced: ServiceCall = calls[1]
    assert replaced.data["data"]["tag"] == calls[0].data["data"]["tag"]
    assert replaced.data["data"]["alert_once"] is True
    clip = replaced.data["data"]["clickAction"]
    assert "/clip.mp4?authSig=" in clip
    response = await (await hass_client_no_auth()).get(clip)
    assert response.status == 200
    assert response.content_type == "video/mp4"


async def test_only_verified(hass: HomeAssistant, demo_engine: EngineServer, demo_entry) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    await set_up_automation(hass, clip_wait=0, cooldown=0, only_verified=True, verify_timeout=30)

    rejected = await fire(hass, demo_engine)
    hass.bus.async_fire("argus_verified", {"event_id": rejected.id, "verdict": "rejected"})
    await settle()
    assert calls == []

    confirmed = await fire(hass, demo_engine)
    hass.bus.async_fire("argus_verified", {"event_id": "ev_other", "verdict": "confirmed"})
    await settle()
    assert calls == []
    hass.bus.async_fire("argus_verified", {"event_id": confirmed.id, "verdict": "confirmed"})
    await wait_until(lambda: len(calls) == 1, what="the notification after confirmation")


async def test_cooldown_per_camera(hass: HomeAssistant, demo_engine: EngineServer, demo_entry) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    # The clip wait keeps camera A's run alive, and camera B must notify all the same.
    await set_up_automation(hass, cameras=["demo", "driveway"], cooldown=600, clip_wait=300)

    first_a = await fire(hass, demo_engine, camera="demo")
    await wait_until(lambda: len(calls) == 1, what="the notification for camera A")
    assert calls[0].data["data"]["tag"] == f"argus-{first_a.id}"

    first_b = await fire(hass, demo_engine, camera="driveway")
    await wait_until(lambda: len(calls) == 2, what="the notification for camera B during A's cooldown")
    assert calls[1].data["data"]["tag"] == f"argus-{first_b.id}"
    assert calls[1].data["data"]["group"] == "argus-driveway"

    # Camera A is still in its cooldown.
    await fire(hass, demo_engine, camera="demo")
    assert len(calls) == 2


async def test_claim_cooldown_action(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    assert await async_setup_component(hass, DOMAIN, {})

    async def claim(key: str, seconds: float) -> dict[str, Any]:
        response = await hass.services.async_call(
            DOMAIN, "claim_cooldown", {"key": key, "seconds": seconds}, blocking=True, return_response=True
        )
        assert response is not None
        return dict(response)

    assert await claim("a", 60) == {"claimed": True, "remaining": 0.0}
    freezer.tick(timedelta(seconds=20))
    assert await claim("a", 60) == {"claimed": False, "remaining": 40.0}
    assert (await claim("b", 60))["claimed"] is True
    # A zero cooldown claims without blocking the next call.
    assert (await claim("c", 0))["claimed"] is True
    assert (await claim("c", 0))["claimed"] is True
    freezer.tick(timedelta(seconds=41))
    assert (await claim("a", 60))["claimed"] is True


async def test_only_verified_already_confirmed(hass: HomeAssistant, demo_engine: EngineServer, demo_entry) -> None:
    calls = async_mock_service(hass, "notify", NOTIFY)
    fired = async_capture_events(hass, EVENT_ARGUS)
    # The verification timeout outlasts the test, so a notification shows the run did not wait for argus_verified.
    await set_up_automation(hass, clip_wait=0, cooldown=0, only_verified=True, verify_timeout=300)

    confirmed = Event(
        id=new_event_id(), camera="demo", label="person", groups=["person"], start=time.time(), stream_start=0.0,
        top_score=0.91, verdict="confirmed",
    )
    rejected = Event(
        id=new_event_id(), camera="demo", label="person", groups=["person"], start=time.time(), stream_start=0.0,
        top_score=0.91, verdict="rejected",
    )
    template = await fire(hass, demo_engine)
    await wait_until(lambda: hass.states.get("automation.argus_notify").attributes.get("current") == 1, what="a waiting run")
    confirmed.snapshot_path = rejected.snapshot_path = template.snapshot_path

    await fire(hass, demo_engine, event=rejected)
    await fire(hass, demo_engine, event=confirmed)
    await wait_until(lambda: len(calls) == 1, what="the notification for the confirmed event")
    assert calls[0].data["data"]["tag"] == f"argus-{confirmed.id}"
    assert [event.data["verdict"] for event in fired] == [None, "rejected", "confirmed"]
    # Only the first event, which has no verdict yet, still waits for the cloud check.
    assert hass.states.get("automation.argus_notify").attributes.get("current") == 1
