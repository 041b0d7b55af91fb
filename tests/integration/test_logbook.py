"""Logbook sentences for `argus_event`, rendered by Home Assistant's logbook API."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.components.recorder.common import async_wait_recording_done

from custom_components.argus.const import EVENT_ARGUS
from custom_components.argus.logbook import describe_event_data
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from tests.integration.demo_setup import demo_engine, demo_entry  # noqa: F401
from tests.integration.engine_server import EngineServer, wait_until


@pytest.fixture(autouse=True)
def _custom_integrations(recorder_mock, enable_custom_integrations: None) -> None:
    """Start the recorder before `hass`, then let Home Assistant load custom_components/argus.

    This replaces the conftest fixture of the same name, which requests `hass` first.
    """


async def logbook_entries(hass: HomeAssistant, hass_client, since: str, entity_id: str | None = None) -> list[dict[str, Any]]:
    """Return the Argus entries of the logbook API since `since`, for one entity if given."""
    await async_wait_recording_done(hass)
    client = await hass_client()
    query = f"?entity={entity_id}" if entity_id else ""
    response = await client.get(f"/api/logbook/{since}{query}")
    assert response.status == 200
    return [entry for entry in await response.json() if entry.get("domain") == "argus"]


async def test_logbook_renders_sentences(
    hass: HomeAssistant, demo_engine: EngineServer, demo_entry, hass_client
) -> None:
    # The frontend's files (package home-assistant-frontend) are not installed here, and the
    # logbook only needs the frontend to register its panel.
    hass.config.components.add("frontend")
    assert await async_setup_component(hass, "logbook", {})
    since = dt_util.utcnow().isoformat()
    fired = async_capture_events(hass, EVENT_ARGUS)

    _, event = demo_engine.record_event("demo", zone_changes=[{"zone": "street", "change": "entered"}])
    demo_engine.record_event("demo", "update", event=event, zone_changes=[{"zone": "street", "change": "left"}])
    demo_engine.record_event("demo", "end", event=event)
    await wait_until(lambda: len(fired) == 3, what="three argus_event")

    entries = await logbook_entries(hass, hass_client, since)
    assert [entry["message"] for entry in entries] == [
        "Person entered Street (0.91)",
        "Person left Street",
        "Person no longer seen by Demo",
    ]
    assert {entry["name"] for entry in entries} == {"Demo"}
    assert entries[0]["entity_id"] == "event.demo_street"

    # The zone's event entity lists the same sentences in its own logbook.
    entity_entries = await logbook_entries(hass, hass_client, since, "event.demo_street")
    assert "Person entered Street (0.91)" in [entry["message"] for entry in entity_entries]


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        ({"type": "start", "camera": "demo", "label": "car", "score": 0.634, "zone_changes": []}, "Car detected by demo (0.63)"),
        ({"type": "update", "camera": "demo", "label": "person", "stationary": True}, "Person on demo is stationary"),
        ({"type": "update", "camera": "demo", "label": "traffic_light", "score": 0.5}, "Traffic light on demo updated (0.50)"),
        (
            {"type": "update", "camera": "demo", "label": "dog", "score": 0.8,
             "zone_changes": [{"zone": "lawn", "change": "loitering"}, {"zone": "bed", "change": "left"}]},
            "Dog is loitering in lawn (0.80), Dog left bed",
        ),
        ({"type": "start", "camera": "demo", "label": None, "score": None}, "Object detected by demo"),
    ],
)
def test_sentence_without_names(data: dict[str, Any], sentence: str) -> None:
    # Without a loaded entry (for example after it was removed) ids stand in for names.
    assert describe_event_data(None, data) == sentence
