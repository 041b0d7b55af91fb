"""RTSP passwords never reach API replies, pushes, stats, errors or logs."""

import asyncio
import json
import logging

import pytest

from tests.helpers.engine_api import AUTH, engine_config, request, running_api
from tests.helpers.models import real_model

SECRET = "S3cr3t"
# Port 1 on 127.0.0.1 refuses connections, so the stream fails and its errors get logged.
WITH_URL = {"name": "Gate", "url": f"rtsp://admin:{SECRET}%40x@127.0.0.1:1/cam"}
WITH_FIELDS = {"name": "Yard", "host": "127.0.0.1", "port": 1, "path": "/cam", "username": "admin", "password": f"{SECRET}@x"}


async def collect_pushes(ws, seconds: float) -> list[str]:
    texts = []
    try:
        while True:
            message = await ws.receive(timeout=seconds)
            if message.data is None or not isinstance(message.data, str):
                return texts
            texts.append(message.data)
    except TimeoutError:
        return texts


async def exercise(api, ws) -> list[str]:
    """Run every request that echoes camera data or errors; return what came back."""
    texts = []
    replies = [
        await request(ws, {"id": 1, "type": "subscribe"}),
        await request(ws, {"id": 2, "type": "camera/add", "camera": WITH_URL}),
        await request(ws, {"id": 3, "type": "camera/add", "camera": WITH_FIELDS}),
        await request(ws, {"id": 4, "type": "hello"}),
        await request(ws, {"id": 5, "type": "camera/add", "camera": {**WITH_URL, "id": "gate"}}),
        await request(ws, {"id": 6, "type": "camera/add", "camera": {"name": "Bad", "url": f"ftp://admin:{SECRET}@127.0.0.1/x"}}),
        await request(ws, {"id": 7, "type": "camera/add", "camera": {**WITH_FIELDS, "name": "Bad port", "port": 0}}),
        await request(ws, {"id": 8, "type": "camera/update", "camera_id": "gate", "camera": {**WITH_URL, "detect_fps": 1000}}),
        await request(ws, {"id": 9, "type": "camera/update", "camera_id": "yard", "camera": {**WITH_FIELDS, "scheme": "gopher"}}),
    ]
    texts += [json.dumps(reply) for reply in replies]
    assert replies[1]["success"] and replies[2]["success"], replies
    assert all(not reply["success"] for reply in replies[4:])
    texts += await collect_pushes(ws, 3.0)
    for path in ("/api/stats", "/api/events", "/api/cameras/gate/latest.jpg", "/api/cameras/nope/latest.jpg"):
        texts.append(await (await api.client.get(path, headers=AUTH)).text())
    return texts


@pytest.mark.model
async def test_password_never_leaks(tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    model = real_model("yolo26n-320.onnx")
    async with running_api(tmp_path, engine_config([]), model_path=model, worker_factory=None) as api:
        ws = await api.ws()
        texts = await exercise(api, ws)
        # Let both real camera workers fail to connect and log it.
        await asyncio.sleep(2.0)
        hello = await request(ws, {"id": 10, "type": "hello"})
        texts.append(json.dumps(hello))
        await ws.close()

    captured = capfd.readouterr()
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert "gate" in logs
    assert "yard" in logs
    assert "***" in json.dumps(hello)
    for name, text in [("replies and pushes", "\n".join(texts)), ("log records", logs), ("stderr", captured.err), ("stdout", captured.out)]:
        assert SECRET not in text, f"{name} contain the password"
    assert SECRET in (tmp_path / "config.json").read_text()
