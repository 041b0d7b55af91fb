"""End to end: GStreamer RTSP stream of bikes.mp4 → real engine and model → websocket client."""

import time

import pytest

from tests.helpers.engine_api import AUTH, engine_config, receive_until, request, running_api
from tests.helpers.models import real_model
from tests.helpers.rtsp import rtsp_server  # noqa: F401 - fixture


def person_event(kind: str):
    def check(message):
        data = message.get("data", {})
        return message.get("type") == "event" and data.get("type") == kind and data["event"]["label"] == "person"

    return check


@pytest.mark.model
@pytest.mark.rtsp
@pytest.mark.slow
async def test_person_events_over_websocket(tmp_path, rtsp_server):  # noqa: F811 - fixture
    model = real_model("yolo26n-640.onnx")
    camera = {"id": "bikes", "name": "Bikes", "url": rtsp_server.url("bikes"), "detect_fps": 5, "objects": ["person", "bicycle"]}
    async with running_api(tmp_path, engine_config([camera]), model_path=model, worker_factory=None) as api:
        ws = await api.ws()
        subscribed = time.monotonic()
        assert (await request(ws, {"id": 1, "type": "subscribe"}))["success"]
        snapshot = await ws.receive_json(timeout=10)
        assert snapshot["type"] == "snapshot"
        assert set(snapshot["data"]["cameras"]) == {"bikes"}

        start = await receive_until(ws, person_event("start"), timeout=120)
        print(f"\nfirst person start {time.monotonic() - subscribed:.1f} s after subscribing")
        event_id = start["data"]["event"]["id"]

        with_snapshot = start
        while with_snapshot["data"]["event"]["snapshot_url"] is None:
            with_snapshot = await receive_until(ws, lambda m: m.get("type") == "event" and m["data"]["event"]["id"] == event_id, timeout=60)
        response = await api.client.get(with_snapshot["data"]["event"]["snapshot_url"], headers=AUTH)
        assert response.status == 200
        assert response.content_type == "image/jpeg"
        assert (await response.read())[:2] == b"\xff\xd8"

        end = await receive_until(ws, lambda m: person_event("end")(m) and m["data"]["event"]["id"] == event_id, timeout=180)
        assert end["data"]["event"]["end"] >= end["data"]["event"]["start"]
        assert end["cursor"] > start["cursor"]
        stats = await (await api.client.get("/api/stats", headers=AUTH)).json()
        print(f"stats: {stats['cameras']['bikes']}, detector {stats['detector']}")
        assert stats["cameras"]["bikes"]["frames_detected"] > 0
        await ws.close()
