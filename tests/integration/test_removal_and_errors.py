"""Subentry removal against a changed or absent engine, and service and event filters."""

from __future__ import annotations

import asyncio
import logging

import pytest

from custom_components.argus.const import DOMAIN
from custom_components.argus.subentries import async_sync_removed_subentries
from homeassistant.config_entries import SOURCE_RECONFIGURE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError

from tests.integration.engine_server import EngineServer, wait_until
from tests.integration.test_subentry_flows import CAMERA_FORM, TRIANGLE, add_camera, configure, start_subflow

OCCUPANCY = "binary_sensor.garage_person_occupancy"


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return state.state if state else None


async def add_zone(hass: HomeAssistant, entry) -> None:
    form = {"camera_id": "garage", "name": "Gate", "points": TRIANGLE, "min_score": 0, "inertia": 3, "loitering_seconds": 0}
    result = await configure(hass, await start_subflow(hass, entry, "zone"), form)
    await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()


async def test_removed_camera_takes_zone_subentries(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await add_camera(hass, loaded_entry)
    camera_sub = next(iter(loaded_entry.subentries.values()))
    form = {"camera_id": camera_sub.unique_id, "name": "Drive", "points": TRIANGLE, "min_score": 0, "inertia": 3,
            "loitering_seconds": 0}
    result = await configure(hass, await start_subflow(hass, loaded_entry, "zone"), form)
    await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()
    assert len(loaded_entry.subentries) == 2

    hass.config_entries.async_remove_subentry(loaded_entry, camera_sub.subentry_id)
    await hass.async_block_till_done()
    assert loaded_entry.subentries == {}
    assert [camera.id for camera in engine_server.engine.cameras.cameras] == ["garage"]


async def test_removal_of_camera_gone_from_engine(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, caplog) -> None:
    await add_camera(hass, loaded_entry)
    subentry = next(iter(loaded_entry.subentries.values()))
    await engine_server.engine.cameras.remove_camera(subentry.unique_id)

    hass.config_entries.async_remove_subentry(loaded_entry, subentry.subentry_id)
    await hass.async_block_till_done()
    assert "failed" not in caplog.text


async def test_removal_while_engine_down_is_logged(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, caplog) -> None:
    await add_zone(hass, loaded_entry)
    subentry = next(iter(loaded_entry.subentries.values()))
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")

    caplog.set_level(logging.ERROR)
    hass.config_entries.async_remove_subentry(loaded_entry, subentry.subentry_id)
    await hass.async_block_till_done()
    assert "Removing zone" in caplog.text
    assert "remove it in the add-on's config" in caplog.text


async def test_sync_skips_unloaded_entry(hass: HomeAssistant, loaded_entry) -> None:
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    await async_sync_removed_subentries(hass, loaded_entry)


async def test_reconfigure_needs_connection(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await add_camera(hass, loaded_entry)
    await add_zone(hass, loaded_entry)
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")
    for subentry in loaded_entry.subentries.values():
        result = await hass.config_entries.subentries.async_init(
            (loaded_entry.entry_id, subentry.subentry_type), context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "not_connected"


async def test_camera_flow_engine_silent(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, monkeypatch) -> None:
    monkeypatch.setattr("custom_components.argus.connection.REQUEST_TIMEOUT", 0.5)
    release = asyncio.Event()

    async def slow(data):
        await release.wait()
        raise RuntimeError("released")

    monkeypatch.setattr(engine_server.engine.cameras, "add_camera", slow)
    result = await configure(hass, await start_subflow(hass, loaded_entry, "camera"), CAMERA_FORM)
    release.set()
    assert result["errors"] == {"base": "cannot_connect"}
    assert "no reply" in result["description_placeholders"]["error"]


async def test_services_errors(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await engine_server.stop()
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, "list_events", {"config_entry_id": loaded_entry.entry_id}, blocking=True,
                                       return_response=True)
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    with pytest.raises(ServiceValidationError, match="not loaded"):
        await hass.services.async_call(DOMAIN, "list_events", {"config_entry_id": loaded_entry.entry_id}, blocking=True,
                                       return_response=True)


async def test_event_entity_filters(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    # A change in another zone and an event of a label outside the groups leave the door's entity alone.
    engine_server.record_event("garage", zone_changes=[{"zone": "elsewhere", "change": "entered"}])
    engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}], label="kite")
    engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: state_of(hass, "event.garage_door") not in (None, "unknown"), what="door event")
    assert hass.states.get("event.garage_door").attributes["event_type"] == "person_entered"
