"""Entities follow the real engine's pushes, and commands, media and the bus event work."""

from __future__ import annotations

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.argus.const import DOMAIN, EVENT_ARGUS
from homeassistant.components.camera import async_get_image
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, issue_registry as ir

from tests.integration.engine_server import EngineServer, wait_until


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return state.state if state else None


async def test_counts_and_occupancy(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    engine_server.publish_state("garage", counts={"person": 2, "car": 1, "vehicle": 1}, zones={"door": {"person": 1}}, motion=True)
    await wait_until(lambda: state_of(hass, "sensor.garage_person_count") == "2", what="person count 2")

    assert state_of(hass, "binary_sensor.garage_person_occupancy") == "on"
    assert state_of(hass, "binary_sensor.garage_vehicle_occupancy") == "on"
    assert state_of(hass, "binary_sensor.garage_animal_occupancy") == "off"
    assert state_of(hass, "binary_sensor.garage_door_person_occupancy") == "on"
    assert state_of(hass, "binary_sensor.garage_door_vehicle_occupancy") == "off"
    assert state_of(hass, "sensor.garage_door_person_count") == "1"
    assert state_of(hass, "binary_sensor.garage_motion") == "on"
    assert state_of(hass, "binary_sensor.garage_camera_connection") == "on"

    engine_server.publish_state("garage")
    await wait_until(lambda: state_of(hass, "binary_sensor.garage_person_occupancy") == "off", what="occupancy off")
    assert state_of(hass, "sensor.garage_door_person_count") == "0"


async def test_offline_camera_unavailable(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    engine_server.publish_state("garage", status="offline")
    await wait_until(lambda: state_of(hass, "binary_sensor.garage_person_occupancy") == "unavailable", what="unavailable")
    # The connection sensor reports the camera link itself and stays available.
    assert state_of(hass, "binary_sensor.garage_camera_connection") == "off"


async def test_devices_linked_to_engine(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    registry = dr.async_get(hass)
    engine_id = engine_server.engine.engine_id
    engine_device = registry.async_get_device(identifiers={(DOMAIN, engine_id)})
    camera_device = registry.async_get_device(identifiers={(DOMAIN, f"{engine_id}:garage")})
    assert engine_device is not None
    assert camera_device is not None
    assert camera_device.via_device_id == engine_device.id
    assert camera_device.name == "Garage"


async def test_detection_switch(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    assert state_of(hass, "switch.garage_detection") == "on"
    await hass.services.async_call("switch", "turn_off", {"entity_id": "switch.garage_detection"}, blocking=True)
    assert engine_server.engine.cameras.detection_enabled("garage") is False
    assert state_of(hass, "switch.garage_detection") == "off"

    await hass.services.async_call("switch", "turn_on", {"entity_id": "switch.garage_detection"}, blocking=True)
    assert engine_server.engine.cameras.detection_enabled("garage") is True


async def test_switch_error_when_disconnected(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    entity = hass.data["switch"].get_entity("switch.garage_detection")
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, "switch.garage_detection") == "unavailable", what="switch unavailable")
    with pytest.raises(Exception, match="not connected"):
        await entity.async_turn_off()


async def test_event_entity_and_bus_event(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client_no_auth) -> None:
    events = async_capture_events(hass, EVENT_ARGUS)
    cursor, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(events) == 1, what="argus_event")

    data = events[0].data
    assert data["id"] == event.id
    assert data["camera"] == "garage"
    assert data["zone"] == "door"
    assert data["label"] == "person"
    assert data["score"] == pytest.approx(0.91)
    assert data["cursor"] == cursor
    assert data["type"] == "start"
    assert data["snapshot_url"].startswith(f"/api/argus/{loaded_entry.entry_id}/events/{event.id}/snapshot.jpg?authSig=")

    state = hass.states.get("event.garage_door")
    assert state.attributes["event_type"] == "person_entered"
    assert state.attributes["event_id"] == event.id

    # The signed URL loads without a login, as on a phone, but the plain path does not.
    client = await hass_client_no_auth()
    response = await client.get(data["snapshot_url"])
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await client.get(data["snapshot_path"])).status == 401

    engine_server.record_event("garage", "end", event=event, zone_changes=[{"zone": "door", "change": "left"}])
    await wait_until(lambda: len(events) == 2, what="second argus_event")
    assert hass.states.get("event.garage_door").attributes["event_type"] == "person_left"


async def test_loitering_event(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    engine_server.record_event("garage", "update", zone_changes=[{"zone": "door", "change": "loitering"}])
    await wait_until(lambda: state_of(hass, "event.garage_door") not in (None, "unknown"), what="event entity state")
    assert hass.states.get("event.garage_door").attributes["event_type"] == "loitering"


async def test_media_view(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client) -> None:
    _, event = engine_server.record_event("garage")
    client = await hass_client()
    base = f"/api/argus/{loaded_entry.entry_id}/events"
    response = await client.get(f"{base}/{event.id}/snapshot.jpg")
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    assert (await response.read()).startswith(b"\xff\xd8")

    assert (await client.get(f"{base}/{event.id}/clip.mp4")).status == 404
    assert (await client.get(f"{base}/ev_missing/snapshot.jpg")).status == 404
    assert (await client.get(f"{base}/{event.id}/passwd")).status == 404
    assert (await client.get(f"/api/argus/not-an-entry/events/{event.id}/snapshot.jpg")).status == 404


async def test_image_entity_shows_last_event(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client) -> None:
    assert state_of(hass, "image.garage_last_event") == "unknown"
    engine_server.record_event("garage")
    await wait_until(lambda: state_of(hass, "image.garage_last_event") not in (None, "unknown"), what="image updated")

    client = await hass_client()
    response = await client.get("/api/image_proxy/image.garage_last_event")
    assert response.status == 200
    assert (await response.read()).startswith(b"\xff\xd8")


async def test_image_entity_finds_stored_event(hass: HomeAssistant, engine_server: EngineServer) -> None:
    engine_server.record_event("garage")
    from tests.integration.conftest import make_entry

    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "image.garage_last_event") not in (None, "unknown")


async def test_camera_still_and_mjpeg(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client) -> None:
    image = await async_get_image(hass, "camera.garage")
    assert image.content_type == "image/jpeg"
    assert image.content.startswith(b"\xff\xd8")

    client = await hass_client()
    response = await client.get("/api/camera_proxy_stream/camera.garage")
    assert response.status == 200
    assert response.content_type.startswith("multipart/x-mixed-replace")
    chunk = await response.content.read(2048)
    assert b"\xff\xd8" in chunk
    response.close()


async def test_stats_sensors(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    stats = await hass.async_add_executor_job(engine_server.engine.collect_stats)
    engine_server.engine.hub.broadcast({"type": "stats", "data": stats})
    await wait_until(lambda: state_of(hass, "sensor.argus_engine_memory") not in (None, "unknown"), what="stats")
    assert float(state_of(hass, "sensor.argus_engine_memory")) > 1
    assert state_of(hass, "sensor.garage_detection_rate") == "5.0"


async def test_list_events_service(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    _, event = engine_server.record_event("garage")
    response = await hass.services.async_call(
        DOMAIN, "list_events", {"config_entry_id": loaded_entry.entry_id, "camera": "garage"}, blocking=True, return_response=True
    )
    assert [item["id"] for item in response["events"]] == [event.id]
    assert response["events"][0]["snapshot_path"] == f"/api/argus/{loaded_entry.entry_id}/events/{event.id}/snapshot.jpg"


async def test_list_events_unknown_entry(hass: HomeAssistant, loaded_entry) -> None:
    with pytest.raises(Exception, match="No Argus config entry"):
        await hass.services.async_call(DOMAIN, "list_events", {"config_entry_id": "nope"}, blocking=True, return_response=True)


async def test_model_missing_repair(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    # The worker doubles run without a model, which is exactly what the repair reports.
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"model_missing_{loaded_entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "model_missing"


async def test_unload(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert state_of(hass, "binary_sensor.garage_person_occupancy") == "unavailable"
