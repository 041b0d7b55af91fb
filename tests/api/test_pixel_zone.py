"""A zone sent in pixels is converted with the running camera's frame size."""

import asyncio

import pytest

from tests.helpers.engine_api import engine_config, request, running_api
from tests.helpers.media import bikes_path
from tests.helpers.models import real_model


@pytest.mark.model
async def test_pixel_zone_uses_stream_size(tmp_path) -> None:
    model = real_model("yolo26n-320.onnx")
    camera = {"id": "street", "name": "Street", "url": str(bikes_path())}
    async with running_api(tmp_path, engine_config([camera]), model_path=model, worker_factory=None) as api:
        # bikes.mp4 is 640x272; wait until the worker has seen a frame and reports that size.
        for _ in range(200):
            worker = api.engine.cameras.worker("street")
            if worker is not None and worker.status().get("frame_size"):
                break
            await asyncio.sleep(0.1)
        ws = await api.ws()
        reply = await request(
            ws,
            {
                "id": 1,
                "type": "zone/add",
                "camera_id": "street",
                "zone": {"name": "Left half", "units": "pixels", "points": [[0, 0], [320, 0], [320, 272], [0, 272]]},
            },
        )
        await ws.close()

    assert reply["success"], reply
    assert reply["result"]["zone"]["points"] == [[0.0, 0.0], [0.5, 0.0], [0.5, 1.0], [0.0, 1.0]]
