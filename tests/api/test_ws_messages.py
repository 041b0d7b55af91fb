"""Websocket protocol: authentication, every request type, and the error replies."""

import json
import os
import stat

import pytest
from aiohttp import WSMsgType

from argus_engine import PROTOCOL_VERSION, __version__
from argus_engine.api import ws as ws_module
from tests.helpers.engine_api import AUTH, FRONT, TOKEN, StillWorker, engine_config, request, running_api
from tests.helpers.models import real_model

BACK = {"id": "back", "name": "Back", "host": "127.0.0.1", "port": 8554, "path": "/back", "username": "admin", "password": "Pa55word"}


async def test_auth_by_first_message(api):
    ws = await api.client.ws_connect("/api/ws")
    await ws.send_json({"type": "auth", "token": TOKEN})
    assert await ws.receive_json() == {"type": "auth_ok"}
    reply = await request(ws, {"id": 1, "type": "ping"})
    assert reply == {"id": 1, "type": "result", "success": True, "result": {}}
    await ws.close()


@pytest.mark.parametrize(
    "first",
    [
        {"type": "auth", "token": "wrong-token-0123456789"},
        {"type": "auth"},
        {"type": "auth", "token": 12345},
        {"id": 1, "type": "hello"},
    ],
)
async def test_auth_rejected_closes_4001(api, first):
    ws = await api.client.ws_connect("/api/ws")
    await ws.send_json(first)
    message = await ws.receive(timeout=10)
    assert message.type is WSMsgType.CLOSE
    assert message.data == 4001


async def test_auth_after_header_auth(api):
    ws = await api.ws()
    await ws.send_json({"type": "auth", "token": TOKEN})
    assert await ws.receive_json(timeout=10) == {"type": "auth_ok"}
    await ws.send_json({"id": 4, "type": "auth", "token": "wrong-token-0123456789"})
    reply = await ws.receive_json(timeout=10)
    assert reply["id"] == 4
    assert reply["error"]["code"] == "unauthorized"
    assert (await request(ws, {"id": 5, "type": "ping"}))["success"]
    await ws.close()


async def test_auth_timeout_closes_4001(api, monkeypatch):
    monkeypatch.setattr(ws_module, "AUTH_TIMEOUT", 0.2)
    ws = await api.client.ws_connect("/api/ws")
    message = await ws.receive(timeout=10)
    assert message.type is WSMsgType.CLOSE
    assert message.data == 4001


async def test_wrong_bearer_on_websocket_is_401(api):
    response = await api.client.get("/api/ws", headers={"Authorization": "Bearer nope-nope-nope-nope"})
    assert response.status == 401


async def test_hello_without_model(api):
    ws = await api.ws()
    result = (await request(ws, {"id": 7, "type": "hello"}))["result"]
    assert result["engine_id"] == api.engine.engine_id
    assert result["version"] == __version__
    assert result["protocol"] == PROTOCOL_VERSION
    assert result["model"] is None
    assert [camera["id"] for camera in result["cameras"]] == ["front"]
    assert result["cameras"][0]["zones"][0]["id"] == "door"
    assert result["groups"]["vehicle"] == sorted(["car", "truck", "bus", "motorcycle", "bicycle"])
    await ws.close()


@pytest.mark.model
async def test_hello_reports_model(tmp_path):
    model = real_model("yolo26n-320.onnx")
    async with running_api(tmp_path, model_path=model) as api:
        ws = await api.ws()
        result = (await request(ws, {"id": 1, "type": "hello"}))["result"]
        await ws.close()
    assert result["model"]["name"] == "yolo26n-320"
    assert result["model"]["input_size"] == [320, 320]
    assert result["model"]["labels"]["0"] == "person"


async def test_engine_id_stable_across_restarts(tmp_path):
    async with running_api(tmp_path) as api:
        first = api.engine.engine_id
    async with running_api(tmp_path) as api:
        assert api.engine.engine_id == first


@pytest.mark.parametrize(
    ("text", "code", "field"),
    [
        ("{not json", "invalid_json", None),
        ("NaN", "invalid_json", None),
        ('{"id": 1, "type": "ping", "x": 1e999}', "invalid_json", None),
        ("[1, 2]", "invalid_message", None),
        ('"hello"', "invalid_message", None),
        ('{"type": "ping"}', "invalid_message", "id"),
        ('{"id": "1", "type": "ping"}', "invalid_message", "id"),
        ('{"id": true, "type": "ping"}', "invalid_message", "id"),
        ('{"id": 1}', "unknown_type", "type"),
        ('{"id": 1, "type": "launch"}', "unknown_type", "type"),
        ('{"id": 1, "type": 5}', "unknown_type", "type"),
        ('{"id": 1, "type": "camera/remove"}', "invalid_message", "camera_id"),
        ('{"id": 1, "type": "camera/remove", "camera_id": 3}', "invalid_message", "camera_id"),
        ('{"id": 1, "type": "camera/detection", "camera_id": "front", "enabled": "yes"}', "invalid_message", "enabled"),
        ('{"id": 1, "type": "camera/add", "camera": []}', "invalid_message", "camera"),
        ('{"id": 1, "type": "subscribe", "since": "5"}', "invalid_message", "since"),
        ('{"id": 1, "type": "subscribe", "since": -1}', "invalid_message", "since"),
        ('{"id": 1, "type": "zone/add", "camera_id": "front", "zone": "door"}', "invalid_message", "zone"),
    ],
)
async def test_bad_requests_get_error_replies(api, text, code, field):
    ws = await api.ws()
    await ws.send_str(text)
    reply = await ws.receive_json(timeout=10)
    assert reply["type"] == "result"
    assert reply["success"] is False
    assert reply["error"]["code"] == code
    assert reply["error"].get("field") == field
    assert (await request(ws, {"id": 99, "type": "ping"}))["success"]
    await ws.close()


async def test_binary_frame_gets_error(api):
    ws = await api.ws()
    await ws.send_bytes(b"\x00\x01")
    reply = await ws.receive_json(timeout=10)
    assert reply["error"]["code"] == "invalid_message"
    await ws.close()


async def test_oversized_message_closes_1009(api):
    ws = await api.ws()
    await ws.send_str(json.dumps({"id": 1, "type": "ping", "pad": "x" * (65 * 1024)}))
    message = await ws.receive(timeout=10)
    assert message.type is WSMsgType.CLOSE
    assert message.data == 1009
    other = await api.ws()
    assert (await request(other, {"id": 1, "type": "ping"}))["success"]
    await other.close()


async def test_camera_add_persists_and_starts(api):
    ws = await api.ws()
    reply = await request(ws, {"id": 1, "type": "camera/add", "camera": {"name": "Garage+", "url": "rtsp://127.0.0.1:8554/g"}})
    assert reply["success"], reply
    camera = reply["result"]["camera"]
    assert camera["id"] == "garage"
    stored = json.loads((api.engine.data_dir / "config.json").read_text())
    assert [item["id"] for item in stored["cameras"]] == ["front", "garage"]
    assert [worker.camera.id for worker in StillWorker.instances if worker.started] == ["front", "garage"]
    again = await request(ws, {"id": 2, "type": "camera/add", "camera": {"name": "Garage", "url": "rtsp://127.0.0.1:8554/g"}})
    assert again["result"]["camera"]["id"] == "garage_2"
    await ws.close()


@pytest.mark.parametrize(
    ("camera", "code", "field"),
    [
        ({"id": "front", "name": "Front again", "url": "rtsp://127.0.0.1/x"}, "duplicate", "id"),
        ({"name": "No source"}, "invalid_config", None),
        ({"name": "Ftp", "url": "ftp://127.0.0.1/x"}, "invalid_config", "url"),
        ({"name": "Fps", "url": "rtsp://127.0.0.1/x", "detect_fps": 0}, "invalid_config", "detect_fps"),
        ({"name": "Both", "url": "rtsp://127.0.0.1/x", "host": "127.0.0.1"}, "invalid_config", "url"),
        ({"name": "Bad id", "id": "Front Door", "url": "rtsp://127.0.0.1/x"}, "invalid_config", "id"),
        (
            {"name": "Zone", "url": "rtsp://127.0.0.1/x", "zones": [{"name": "z", "points": [[0, 0], [1, 1]]}]},
            "invalid_config",
            "zones.0.points",
        ),
    ],
)
async def test_camera_add_rejects(api, camera, code, field):
    ws = await api.ws()
    reply = await request(ws, {"id": 1, "type": "camera/add", "camera": camera})
    assert reply["success"] is False
    assert reply["error"]["code"] == code, reply
    assert reply["error"].get("field") == field
    stored = json.loads((api.engine.data_dir / "config.json").read_text())
    assert [item["id"] for item in stored["cameras"]] == ["front"]
    await ws.close()


async def test_camera_update_touches_one_worker(tmp_path):
    StillWorker.instances.clear()
    async with running_api(tmp_path, engine_config([FRONT, BACK])) as api:
        front, back = StillWorker.instances
        ws = await api.ws()
        update = {"name": "Front", "url": "rtsp://127.0.0.1:8554/front2", "detect_fps": 2}
        reply = await request(ws, {"id": 1, "type": "camera/update", "camera_id": "front", "camera": update})
        assert reply["success"], reply
        assert reply["result"]["camera"]["zones"][0]["id"] == "door"
        assert front.updates[-1].detect_fps == 2.0
        assert back.updates == []
        assert not back.stopped
        await ws.close()


async def test_camera_update_keeps_redacted_password(tmp_path):
    async with running_api(tmp_path, engine_config([FRONT, BACK])) as api:
        ws = await api.ws()
        hello = (await request(ws, {"id": 1, "type": "hello"}))["result"]
        back = next(camera for camera in hello["cameras"] if camera["id"] == "back")
        assert back["password"] == "***"
        back["detect_fps"] = 3
        reply = await request(ws, {"id": 2, "type": "camera/update", "camera_id": "back", "camera": back})
        assert reply["success"], reply
        assert api.engine.cameras.camera("back").password == "Pa55word"
        await ws.close()


@pytest.mark.parametrize(
    ("message", "code", "field"),
    [
        ({"type": "camera/update", "camera_id": "nope", "camera": {"name": "x", "url": "rtsp://h/x"}}, "not_found", "camera_id"),
        ({"type": "camera/update", "camera_id": "front", "camera": {"id": "other", "name": "x", "url": "rtsp://h/x"}}, "invalid_config", "id"),
        ({"type": "camera/update", "camera_id": "front", "camera": {"name": "", "url": "rtsp://h/x"}}, "invalid_config", "name"),
        ({"type": "camera/remove", "camera_id": "nope"}, "not_found", "camera_id"),
        ({"type": "camera/detection", "camera_id": "nope", "enabled": False}, "not_found", "camera_id"),
        ({"type": "zone/add", "camera_id": "front", "zone": {"id": "door", "name": "Door", "points": [[0, 0], [1, 0], [1, 1]]}}, "duplicate", "id"),
        ({"type": "zone/add", "camera_id": "front", "zone": {"name": "Bow", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}}, "invalid_config", "points"),
        ({"type": "zone/add", "camera_id": "front", "zone": {"name": "Out", "points": [[0, 0], [2, 0], [1, 1]]}}, "invalid_config", "points"),
        ({"type": "zone/add", "camera_id": "front", "zone": {"name": "Px", "units": "pixels", "points": [[0, 0], [20, 0], [9, 9]]}}, "invalid_config", "frame_size"),
        ({"type": "zone/add", "camera_id": "nope", "zone": {"name": "Z", "points": [[0, 0], [1, 0], [1, 1]]}}, "not_found", "camera_id"),
        ({"type": "zone/update", "camera_id": "front", "zone_id": "nope", "zone": {"name": "Z", "points": [[0, 0], [1, 0], [1, 1]]}}, "not_found", "zone_id"),
        ({"type": "zone/remove", "camera_id": "front", "zone_id": "nope"}, "not_found", "zone_id"),
    ],
)
async def test_commands_reject_with_field(api, message, code, field):
    ws = await api.ws()
    reply = await request(ws, {"id": 5, **message})
    assert reply["success"] is False
    assert reply["error"]["code"] == code, reply
    assert reply["error"].get("field") == field
    await ws.close()


async def test_camera_remove_stops_worker(api):
    ws = await api.ws()
    assert (await request(ws, {"id": 1, "type": "camera/remove", "camera_id": "front"}))["success"]
    assert StillWorker.instances[0].stopped
    assert json.loads((api.engine.data_dir / "config.json").read_text())["cameras"] == []
    hello = (await request(ws, {"id": 2, "type": "hello"}))["result"]
    assert hello["cameras"] == []
    await ws.close()


async def test_detection_switch_survives_restart(tmp_path):
    StillWorker.instances.clear()
    async with running_api(tmp_path) as api:
        ws = await api.ws()
        reply = await request(ws, {"id": 1, "type": "camera/detection", "camera_id": "front", "enabled": False})
        assert reply["result"] == {"camera_id": "front", "enabled": False}
        assert StillWorker.instances[-1].detect_enabled is False
        await ws.close()
    async with running_api(tmp_path) as api:
        assert StillWorker.instances[-1].detect_enabled is False
        assert api.engine.snapshot()["cameras"]["front"]["detect_enabled"] is False


async def test_zone_add_update_remove(api):
    ws = await api.ws()
    zone = {"name": "Vår hage", "points": [[0.1, 0.1], [0.9, 0.1], [0.9, 0.9]], "objects": ["person"]}
    added = await request(ws, {"id": 1, "type": "zone/add", "camera_id": "front", "zone": zone})
    assert added["success"], added
    assert added["result"]["zone"]["id"] == "var_hage"
    worker = StillWorker.instances[0]
    assert [item.id for item in worker.camera.zones] == ["door", "var_hage"]

    renamed = {**zone, "name": "Garden"}
    updated = await request(ws, {"id": 2, "type": "zone/update", "camera_id": "front", "zone_id": "var_hage", "zone": renamed})
    assert updated["result"]["zone"] == {**updated["result"]["zone"], "id": "var_hage", "name": "Garden"}

    removed = await request(ws, {"id": 3, "type": "zone/remove", "camera_id": "front", "zone_id": "door"})
    assert removed["success"]
    assert [item.id for item in worker.camera.zones] == ["var_hage"]
    stored = json.loads((api.engine.data_dir / "config.json").read_text())
    assert [item["id"] for item in stored["cameras"][0]["zones"]] == ["var_hage"]
    await ws.close()


async def test_data_dir_wins_over_config_file(tmp_path):
    async with running_api(tmp_path) as api:
        ws = await api.ws()
        await request(ws, {"id": 1, "type": "zone/remove", "camera_id": "front", "zone_id": "door"})
        await ws.close()
    async with running_api(tmp_path) as api:
        assert api.engine.cameras.camera("front").zones == ()
    assert stat.S_IMODE(os.stat(tmp_path / "config.json").st_mode) == 0o600


async def test_subscribe_snapshot_and_unsubscribe(api):
    ws = await api.ws()
    reply = await request(ws, {"id": 1, "type": "subscribe"})
    assert reply["result"] == {"cursor": 0}
    snapshot = await ws.receive_json(timeout=10)
    assert snapshot["type"] == "snapshot"
    assert snapshot["data"]["cameras"]["front"]["zones"] == {"door": {"counts": {"person": 0}, "objects": []}}
    again = await request(ws, {"id": 2, "type": "subscribe"})
    assert again["error"]["code"] == "invalid_message"
    assert (await request(ws, {"id": 3, "type": "unsubscribe"}))["success"]
    assert len(api.engine.hub) == 0
    await ws.close()


async def test_too_many_subscribers(api):
    sockets = []
    for number in range(32):
        ws = await api.ws()
        assert (await request(ws, {"id": number, "type": "subscribe"}))["success"]
        sockets.append(ws)
    extra = await api.ws()
    reply = await request(extra, {"id": 1, "type": "subscribe"})
    assert reply["error"]["code"] == "too_many_subscribers"
    for ws in [*sockets, extra]:
        await ws.close()


async def test_token_rotate(api):
    first = await api.ws()
    other = await api.ws()
    reply = await request(first, {"id": 1, "type": "token/rotate"})
    assert reply["success"], reply
    token = reply["result"]["token"]
    assert token != TOKEN
    closing = await other.receive(timeout=10)
    assert closing.type is WSMsgType.CLOSE
    assert closing.data == 4001
    assert (await request(first, {"id": 2, "type": "ping"}))["success"]
    assert (await api.client.get("/api/stats", headers=AUTH)).status == 401
    assert (await api.client.get("/api/stats", headers={"Authorization": f"Bearer {token}"})).status == 200
    await first.close()


async def test_token_file_and_rotation(tmp_path, monkeypatch):
    monkeypatch.delenv("ARGUS_TOKEN", raising=False)
    async with running_api(tmp_path, token=None) as api:
        token_file = tmp_path / "token"
        assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
        token = token_file.read_text().strip()
        ws = await api.client.ws_connect("/api/ws", headers={"Authorization": f"Bearer {token}"})
        new = (await request(ws, {"id": 1, "type": "token/rotate"}))["result"]["token"]
        assert token_file.read_text().strip() == new
        await ws.close()
    async with running_api(tmp_path, token=None) as api:
        assert api.engine.tokens.value == new


async def test_token_from_env_cannot_rotate(tmp_path, monkeypatch):
    monkeypatch.setenv("ARGUS_TOKEN", TOKEN)
    async with running_api(tmp_path, token=None) as api:
        ws = await api.ws()
        reply = await request(ws, {"id": 1, "type": "token/rotate"})
        assert reply["error"]["code"] == "not_supported"
        assert not (tmp_path / "token").exists()
        await ws.close()


async def test_bad_model_fails_start_cleanly(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ValueError, match="broken.onnx"):
        async with running_api(tmp_path / "data", model_path=broken):
            pass
    async with running_api(tmp_path / "data") as api:
        assert api.engine.store is not None
