"""Setup failures, reconnect corner cases and the less travelled paths of flows and views."""

from __future__ import annotations

import asyncio

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.argus import preview
from custom_components.argus.const import DOMAIN, EVENT_ARGUS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component

from argus_engine.config import parse_engine
from tests.helpers.rtsp import free_port
from tests.integration.conftest import GARAGE, make_entry
from tests.integration.engine_server import EngineServer, wait_until
from tests.integration.test_subentry_flows import configure, start_subflow

OCCUPANCY = "binary_sensor.garage_person_occupancy"
TRIANGLE = "0.1,0.2; 0.5,0.2; 0.5,0.9"


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return state.state if state else None


async def test_setup_wrong_token_starts_reauth(hass: HomeAssistant, engine_server: EngineServer) -> None:
    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, "token": "wrong-token-0123456789"})
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert [flow["context"]["source"] for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN)] == ["reauth"]


async def test_setup_engine_down_retries(hass: HomeAssistant, socket_enabled: None) -> None:
    entry = MockConfigEntry(domain=DOMAIN, data={"host": "127.0.0.1", "port": free_port(), "token": "x" * 20}, unique_id="e")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_without_snapshot_retries(hass: HomeAssistant, engine_server: EngineServer, monkeypatch) -> None:
    # `hello` works but the engine never confirms the subscription.
    monkeypatch.setattr("custom_components.argus.coordinator.SNAPSHOT_TIMEOUT", 0.5)

    release = asyncio.Event()

    async def never(subscriber):
        await release.wait()
        raise RuntimeError("subscribe released by the test")

    monkeypatch.setattr(engine_server.engine, "subscribe", never)
    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    # End the stuck request handler before HA checks for lingering tasks.
    release.set()
    await engine_server.stop()


async def test_other_engine_on_address(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, tmp_path, caplog) -> None:
    # The add-on was reinstalled with a fresh data dir: same address, different engine.
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")
    engine_server.data_dir = tmp_path / "fresh"
    await engine_server.start()
    await asyncio.sleep(2)
    assert state_of(hass, OCCUPANCY) == "unavailable"
    # Warned once, although it retried meanwhile.
    assert caplog.text.count("use Reconfigure") == 1


async def test_event_journal_reset(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    events = async_capture_events(hass, EVENT_ARGUS)
    for _ in range(3):
        engine_server.record_event("garage")
    await wait_until(lambda: len(events) == 3, what="three events")

    # The engine loses its event database but keeps its id, and new events must still arrive.
    await engine_server.stop()
    (engine_server.data_dir / "events.db").unlink()
    await engine_server.start()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "off", what="reconnected")
    engine_server.record_event("garage")
    await wait_until(lambda: len(events) == 4, what="event after journal reset")
    assert events[3].data["cursor"] == 1


async def test_update_entity_service(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await async_setup_component(hass, "homeassistant", {})
    await hass.services.async_call("homeassistant", "update_entity", {"entity_id": OCCUPANCY}, blocking=True)
    assert state_of(hass, OCCUPANCY) == "off"

    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")
    await hass.services.async_call("homeassistant", "update_entity", {"entity_id": OCCUPANCY}, blocking=True)
    assert state_of(hass, OCCUPANCY) == "unavailable"


async def test_stale_camera_device_removed(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    registry = dr.async_get(hass)
    engine_id = engine_server.engine.engine_id
    stale = registry.async_get_or_create(config_entry_id=loaded_entry.entry_id, identifiers={(DOMAIN, f"{engine_id}:gone")})
    live = registry.async_get_device(identifiers={(DOMAIN, f"{engine_id}:garage")})

    from custom_components.argus import async_remove_config_entry_device

    assert await async_remove_config_entry_device(hass, loaded_entry, stale) is True
    assert await async_remove_config_entry_device(hass, loaded_entry, live) is False

    await hass.config_entries.async_reload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(stale.id) is None


async def test_entry_removal_deletes_cursor(hass: HomeAssistant, loaded_entry, hass_storage) -> None:
    key = f"{DOMAIN}.{loaded_entry.entry_id}.cursor"
    await hass.config_entries.async_unload(loaded_entry.entry_id)
    assert key in hass_storage
    await hass.config_entries.async_remove(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert key not in hass_storage


@pytest.mark.parametrize(
    ("text", "message"),
    [("0.1,0.2; 0.5", "x,y"), ("0.1,0.2; 0.5,0.2; 1.5,0.9", "outside"), ("0.1,0.2;;0.5,0.2", "at least 3"), ("a,b; 1,1; 0,1", "float")],
)
def test_parse_points_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        preview.parse_points(text)


def test_parse_points_lines() -> None:
    assert preview.parse_points("0,0\n1,0\n1,1\n") == [(0, 0), (1, 0), (1, 1)]
    assert preview.format_points([(0.1, 0.25), (1, 0)]) == "0.1,0.25; 1,0"


async def test_zone_preview_without_frame(hass: HomeAssistant, socket_enabled: None, tmp_path) -> None:
    shed = {"id": "shed", "name": "Shed", "url": "rtsp://127.0.0.1:8554/shed", "enabled": False}
    server = EngineServer(tmp_path / "engine", parse_engine({"cameras": [GARAGE, shed]}))
    await server.start()
    try:
        entry = make_entry(server)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        result = await start_subflow(hass, entry, "zone")
        form = {"camera_id": "shed", "name": "Path", "points": TRIANGLE, "objects": ["person"], "min_score": 0.3, "inertia": 3,
                "loitering_seconds": 0}
        result = await configure(hass, result, form)
        assert result["description_placeholders"]["preview"] == "No frame from this camera yet."
        result = await configure(hass, result, {"next_step_id": "save"})
        assert result["type"] is FlowResultType.CREATE_ENTRY
        zone = next(camera for camera in server.engine.cameras.cameras if camera.id == "shed").zones[0]
        assert zone.objects == ("person",)
        await hass.async_block_till_done()
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.stop()


async def test_zone_flow_without_cameras(hass: HomeAssistant, socket_enabled: None, tmp_path) -> None:
    server = EngineServer(tmp_path / "engine", parse_engine({}))
    await server.start()
    try:
        entry = make_entry(server)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        result = await start_subflow(hass, entry, "zone")
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "no_cameras"
        await hass.config_entries.async_unload(entry.entry_id)
    finally:
        await server.stop()


async def test_zone_flow_engine_lost_midway(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    form = {"camera_id": "garage", "name": "Gate", "points": TRIANGLE, "min_score": 0, "inertia": 3, "loitering_seconds": 0}
    flows = [await configure(hass, await start_subflow(hass, loaded_entry, "zone"), form) for _ in range(2)]
    assert [flow["step_id"] for flow in flows] == ["confirm", "confirm"]
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")

    for flow, step in zip(flows, ("save", "edit"), strict=True):
        aborted = await configure(hass, flow, {"next_step_id": step})
        assert aborted["type"] is FlowResultType.ABORT
        assert aborted["reason"] == "not_connected"
    assert (await start_subflow(hass, loaded_entry, "zone"))["reason"] == "not_connected"


async def test_camera_added_while_engine_drops(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, monkeypatch) -> None:
    async def drop(data):
        raise ConnectionResetError("engine went away")

    monkeypatch.setattr(engine_server.engine.cameras, "add_camera", drop)
    form = {"name": "Lost", "url": "rtsp://127.0.0.1:8554/lost", "detect_fps": 5, "objects": ["person"]}
    result = await configure(hass, await start_subflow(hass, loaded_entry, "camera"), form)
    # The engine replies `internal_error` without a field, so the error goes to the form's base.
    assert result["errors"] == {"base": "engine_rejected"}


async def test_media_view_engine_down(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client) -> None:
    _, event = engine_server.record_event("garage")
    client = await hass_client()
    url = f"/api/argus/{loaded_entry.entry_id}/events/{event.id}/snapshot.jpg"
    await engine_server.stop()
    assert (await client.get(url)).status == 502


async def test_clip_range_request(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client) -> None:
    _, event = engine_server.record_event("garage")
    event.clip_path = f"{event.id}.mp4"
    (engine_server.engine.media_dir / event.clip_path).write_bytes(bytes(range(256)) * 40)
    engine_server.record_event("garage", "update", event=event)
    client = await hass_client()
    response = await client.get(
        f"/api/argus/{loaded_entry.entry_id}/events/{event.id}/clip.mp4", headers={"Range": "bytes=100-199"}
    )
    assert response.status == 206
    assert response.headers["Content-Range"] == "bytes 100-199/10240"
    assert await response.read() == (bytes(range(256)) * 40)[100:200]


async def test_preview_expires(hass: HomeAssistant, loaded_entry, hass_client) -> None:
    runtime = loaded_entry.runtime_data
    runtime.previews["old"] = (b"jpeg", hass.loop.time() - 1)
    client = await hass_client()
    assert (await client.get(f"/api/argus/{loaded_entry.entry_id}/preview/old.jpg")).status == 404
    assert "old" not in runtime.previews


async def test_camera_image_engine_down(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    entity = hass.data["camera"].get_entity("camera.garage")
    assert (await entity.async_camera_image(height=120)).startswith(b"\xff\xd8")
    await engine_server.stop()
    assert await entity.async_camera_image() is None
    image = hass.data["image"].get_entity("image.garage_last_event")
    image._event_id = "ev_x"
    assert await image.async_image() is None
