"""Labels a camera uses must be classes of the loaded model (or groups with such members)."""

import logging

import pytest

from tests.helpers.engine_api import engine_config, request, running_api
from tests.helpers.models import real_model

pytestmark = pytest.mark.model


async def test_unknown_label_rejected_on_add(tmp_path) -> None:
    model = real_model("yolo26n-320.onnx")
    async with running_api(tmp_path, engine_config([]), model_path=model) as api:
        ws = await api.ws()
        bad = await request(ws, {"id": 1, "type": "camera/add", "camera": {"name": "Dock", "url": "rtsp://127.0.0.1:9/x", "objects": ["person", "forklift"]}})
        good = await request(ws, {"id": 2, "type": "camera/add", "camera": {"name": "Yard", "url": "rtsp://127.0.0.1:9/y", "objects": ["person", "vehicle"]}})
        zone = await request(
            ws,
            {"id": 3, "type": "zone/add", "camera_id": "yard", "zone": {"name": "Gate", "points": [[0, 0], [1, 0], [1, 1]], "objects": ["forklift"]}},
        )
        await ws.close()

    assert not bad["success"]
    assert bad["error"]["code"] == "invalid_config"
    assert bad["error"]["field"] == "objects"
    assert "'forklift'" in bad["error"]["message"]
    assert "'person'" not in bad["error"]["message"]
    assert good["success"], good
    assert not zone["success"]
    assert "'forklift'" in zone["error"]["message"]


async def test_unknown_label_logged_at_start(tmp_path, caplog) -> None:
    caplog.set_level(logging.ERROR)
    model = real_model("yolo26n-320.onnx")
    camera = {"id": "dock", "name": "Dock", "url": "rtsp://127.0.0.1:9/x", "enabled": False, "objects": ["forklift"]}
    async with running_api(tmp_path, engine_config([camera]), model_path=model):
        pass

    assert "Camera dock: model yolo26n-320 has no class for 'forklift'" in caplog.text
