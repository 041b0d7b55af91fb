"""Camera and zone subentry flows: every change goes to the real engine and back."""

from __future__ import annotations

from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.argus.const import CONF_CAMERA_ID, CONF_ZONE_ID
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er

from tests.integration.engine_server import EngineServer

CAMERA_FORM = {"name": "Driveway", "url": "rtsp://127.0.0.1:8554/driveway", "detect_fps": 4, "objects": ["person", "vehicle"]}
TRIANGLE = "0.1,0.2; 0.5,0.2; 0.5,0.9"


def engine_camera(server: EngineServer, camera_id: str):
    """Return the engine's current config of one camera."""
    return next(camera for camera in server.engine.cameras.cameras if camera.id == camera_id)


async def start_subflow(hass: HomeAssistant, entry: MockConfigEntry, kind: str, subentry_id: str | None = None) -> dict:
    context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id} if subentry_id else {"source": SOURCE_USER}
    return await hass.config_entries.subentries.async_init((entry.entry_id, kind), context=context)


async def configure(hass: HomeAssistant, result: dict, data: dict | None = None) -> dict:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], data or {})


async def add_camera(hass: HomeAssistant, entry: MockConfigEntry, form: dict = CAMERA_FORM) -> dict:
    result = await configure(hass, await start_subflow(hass, entry, "camera"), form)
    await hass.async_block_till_done()
    return result


async def test_camera_add_runs_on_engine(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    result = await add_camera(hass, loaded_entry)
    assert result["type"] is FlowResultType.CREATE_ENTRY

    camera = next(camera for camera in engine_server.engine.cameras.cameras if camera.name == "Driveway")
    assert camera.url == CAMERA_FORM["url"]
    assert camera.detect_fps == 4
    assert camera.objects == ("person", "vehicle")
    subentry = next(iter(loaded_entry.subentries.values()))
    assert subentry.unique_id == camera.id
    assert subentry.data[CONF_CAMERA_ID] == camera.id

    # The entry reloads and the new camera's entities come up with the engine's state.
    state = hass.states.get("binary_sensor.driveway_person_occupancy")
    assert state is not None
    assert state.state == "off"
    registry = er.async_get(hass)
    assert registry.async_get("binary_sensor.driveway_person_occupancy").config_subentry_id == subentry.subentry_id


async def test_camera_host_fields(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    form = {"name": "Yard", "host": "127.0.0.1", "port": 8554, "path": "yard", "username": "admin",
            "password": "S3cr3t@x", "detect_fps": 5, "objects": ["person"]}
    result = await add_camera(hass, loaded_entry, form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    camera = next(camera for camera in engine_server.engine.cameras.cameras if camera.name == "Yard")
    assert camera.stream_url == "rtsp://admin:S3cr3t%40x@127.0.0.1:8554/yard"

    # HA's stream gets the camera's own URL with the credentials.
    entity = hass.data["camera"].get_entity("camera.yard")
    assert await entity.stream_source() == "rtsp://admin:S3cr3t%40x@127.0.0.1:8554/yard"


async def test_camera_needs_url_or_host(hass: HomeAssistant, loaded_entry) -> None:
    result = await add_camera(hass, loaded_entry, {"name": "X", "detect_fps": 5, "objects": ["person"]})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"url": "url_or_host"}


async def test_camera_engine_error_on_field(hass: HomeAssistant, loaded_entry) -> None:
    result = await add_camera(hass, loaded_entry, {**CAMERA_FORM, "url": "ftp://127.0.0.1/cam"})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"url": "engine_rejected"}
    assert "ftp" in result["description_placeholders"]["error"]


async def test_camera_reconfigure_keeps_password(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    form = {"name": "Yard", "host": "127.0.0.1", "path": "yard", "username": "admin", "password": "pw", "detect_fps": 5,
            "objects": ["person"]}
    await add_camera(hass, loaded_entry, form)
    subentry = next(iter(loaded_entry.subentries.values()))

    result = await start_subflow(hass, loaded_entry, "camera", subentry.subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await configure(hass, result, {**form, "name": "Back yard", "password": "", "detect_fps": 2})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"

    camera = engine_camera(engine_server, subentry.unique_id)
    assert camera.name == "Back yard"
    assert camera.detect_fps == 2
    assert camera.password == "pw"
    assert loaded_entry.subentries[subentry.subentry_id].title == "Back yard"


async def test_camera_reconfigure_engine_error(hass: HomeAssistant, loaded_entry) -> None:
    await add_camera(hass, loaded_entry)
    subentry = next(iter(loaded_entry.subentries.values()))
    result = await start_subflow(hass, loaded_entry, "camera", subentry.subentry_id)
    result = await configure(hass, result, {**CAMERA_FORM, "url": "gopher://x"})
    assert result["errors"] == {"url": "engine_rejected"}


async def test_camera_removal_reaches_engine(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await add_camera(hass, loaded_entry)
    subentry = next(iter(loaded_entry.subentries.values()))
    camera_id = subentry.unique_id

    hass.config_entries.async_remove_subentry(loaded_entry, subentry.subentry_id)
    await hass.async_block_till_done()

    assert camera_id not in {camera.id for camera in engine_server.engine.cameras.cameras}
    assert hass.states.get("binary_sensor.driveway_person_occupancy") is None


async def test_zone_add_with_preview(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, hass_client) -> None:
    result = await start_subflow(hass, loaded_entry, "zone")
    assert result["step_id"] == "user"

    result = await configure(hass, result, {"camera_id": "garage", "name": "Gate", "points": "0.1,0.2; 0.5", "min_score": 0.5,
                                            "inertia": 3, "loitering_seconds": 0})
    assert result["errors"] == {"points": "invalid_points"}

    result = await configure(hass, result, {"camera_id": "garage", "name": "Gate", "points": TRIANGLE, "min_score": 0.5,
                                            "inertia": 2, "loitering_seconds": 30})
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "confirm"
    preview = result["description_placeholders"]["preview"]
    assert preview.startswith("![Zone preview](/api/argus/")

    # The signed preview loads without any other auth, as an <img> in the dialog does.
    url = preview[len("![Zone preview]("):-1]
    client = await hass_client()
    response = await client.get(url)
    assert response.status == 200
    assert response.content_type == "image/jpeg"

    result = await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    camera = engine_camera(engine_server, "garage")
    zone = next(zone for zone in camera.zones if zone.name == "Gate")
    assert zone.points == ((0.1, 0.2), (0.5, 0.2), (0.5, 0.9))
    assert zone.inertia == 2
    assert zone.loitering_seconds == 30
    assert hass.states.get("binary_sensor.garage_gate_person_occupancy") is not None


async def test_zone_edit_then_engine_error(hass: HomeAssistant, loaded_entry) -> None:
    result = await start_subflow(hass, loaded_entry, "zone")
    bowtie = "0,0; 1,1; 1,0; 0,1"
    result = await configure(hass, result, {"camera_id": "garage", "name": "Bow", "points": bowtie, "min_score": 0,
                                            "inertia": 3, "loitering_seconds": 0})
    assert result["step_id"] == "confirm"

    result = await configure(hass, result, {"next_step_id": "edit"})
    assert result["type"] is FlowResultType.FORM
    result = await configure(hass, result, {"camera_id": "garage", "name": "Bow", "points": bowtie, "min_score": 0,
                                            "inertia": 3, "loitering_seconds": 0})
    result = await configure(hass, result, {"next_step_id": "save"})
    # A self-crossing polygon passes the local check, and the engine rejects it on `points`.
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"points": "engine_rejected"}


async def test_zone_rename_keeps_entity(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    result = await start_subflow(hass, loaded_entry, "zone")
    result = await configure(hass, result, {"camera_id": "garage", "name": "Vår hage", "points": TRIANGLE, "min_score": 0,
                                            "inertia": 3, "loitering_seconds": 0})
    result = await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()
    subentry = next(iter(loaded_entry.subentries.values()))
    registry = er.async_get(hass)
    entity_id = "binary_sensor.garage_var_hage_person_occupancy"
    before = registry.async_get(entity_id)
    assert before is not None

    result = await start_subflow(hass, loaded_entry, "zone", subentry.subentry_id)
    assert result["step_id"] == "reconfigure"
    result = await configure(hass, result, {"name": "Trädgård", "points": TRIANGLE, "min_score": 0, "inertia": 3,
                                            "loitering_seconds": 0})
    result = await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()
    assert result["reason"] == "reconfigure_successful"

    after = registry.async_get(entity_id)
    assert after is not None
    assert after.unique_id == before.unique_id
    assert hass.states.get(entity_id).attributes["friendly_name"] == "Garage Trädgård person occupancy"
    camera = engine_camera(engine_server, "garage")
    assert [zone.name for zone in camera.zones if zone.id == subentry.data[CONF_ZONE_ID]] == ["Trädgård"]


async def test_zone_removal_reaches_engine(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    result = await start_subflow(hass, loaded_entry, "zone")
    result = await configure(hass, result, {"camera_id": "garage", "name": "Gate", "points": TRIANGLE, "min_score": 0,
                                            "inertia": 3, "loitering_seconds": 0})
    await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()
    subentry = next(iter(loaded_entry.subentries.values()))

    hass.config_entries.async_remove_subentry(loaded_entry, subentry.subentry_id)
    await hass.async_block_till_done()
    camera = engine_camera(engine_server, "garage")
    assert [zone.name for zone in camera.zones] == ["Door"]


async def test_subflows_need_connection(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await engine_server.stop()
    await hass.async_block_till_done()
    for kind in ("camera", "zone"):
        result = await start_subflow(hass, loaded_entry, kind)
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "not_connected"
