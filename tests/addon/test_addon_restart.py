"""Changing the add-on's options and restarting it keeps cameras, zones and the event log.

The add-on runs through its real entry point on a temporary data dir. Cameras and
zones are added through the engine's websocket API, the way the integration does. The
event is written with the event store while the add-on is stopped, because producing
one from video would only slow the test without touching what it checks.
"""

import asyncio
import time
from contextlib import asynccontextmanager

import aiohttp
import pytest
import yaml

from argus_engine.commands.addon import run_addon
from argus_engine.events.model import Event
from argus_engine.events.store import EventStore
from argus_engine.supervisor import AddonPaths
from tests.helpers.addon_runtime import free_port, wait_for_api, write_options, ws_call
from tests.helpers.models import real_model

pytestmark = pytest.mark.slow


@asynccontextmanager
async def running_addon(paths: AddonPaths):
    """Run the add-on entry point; yield its API port; stop it like the Supervisor does."""
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_addon(paths, host="127.0.0.1", port=port, supervisor_url="http://127.0.0.1:9", stop=stop))
    try:
        await wait_for_api(port)
        yield port
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


async def _hello(port: int, token: str) -> dict:
    (reply,) = await ws_call(port, token, {"type": "hello"})
    assert reply["success"], reply
    return reply["result"]


async def _events(port: int, token: str) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/api/events", headers={"Authorization": f"Bearer {token}"}) as response:
            assert response.status == 200
            return (await response.json())["events"]


def _record_event(paths: AddonPaths) -> str:
    store = EventStore(paths.data_dir / "events.db", media_dir=paths.data_dir / "media")
    try:
        now = time.time()
        event = Event(id="ev_restart_test", camera="yard", label="person", groups=["person"], start=now - 5,
                      stream_start=0.0, top_score=0.91, score=0.88, zones=["gate"], end=now, stream_end=5.0)
        store.record(event, {"type": "end", "zone_changes": [], "event": event.to_json()})
    finally:
        store.close()
    return event.id


async def test_options_change_keeps_state(tmp_path, monkeypatch, black_hole):
    real_model("yolo26n-640.onnx")
    monkeypatch.delenv("SUPERVISOR_TOKEN", raising=False)
    paths = AddonPaths(options_file=tmp_path / "options.json", data_dir=tmp_path / "data", config_dir=tmp_path / "config")
    paths.config_dir.mkdir()
    stream = black_hole.url()
    (paths.config_dir / "argus.yaml").write_text(yaml.safe_dump({"cameras": [{"id": "yard", "name": "Yard", "url": stream, "timeout": 2}]}))
    write_options(paths.options_file, retention_days=10, detector_threads=1)

    async with running_addon(paths) as port:
        token = (paths.data_dir / "token").read_text().strip()
        added = await ws_call(
            port,
            token,
            {"type": "camera/add", "camera": {"id": "drive", "name": "Drive", "url": stream, "timeout": 2}},
            {"type": "zone/add", "camera_id": "yard", "zone": {"id": "gate", "name": "Gate", "points": [[0, 0], [0.5, 0], [0.5, 0.5]]}},
            {"type": "zone/add", "camera_id": "drive", "zone": {"id": "lawn", "name": "Lawn", "points": [[0.5, 0.5], [1, 0.5], [1, 1]]}},
        )
        assert all(reply["success"] for reply in added), added
        first = await _hello(port, token)

    event_id = _record_event(paths)
    write_options(paths.options_file, retention_days=30, detector_threads=2, log_level="debug", model="yolo26n-640")

    async with running_addon(paths) as port:
        assert (paths.data_dir / "token").read_text().strip() == token
        second = await _hello(port, token)
        events = await _events(port, token)

    assert second["engine_id"] == first["engine_id"]
    cameras = {camera["id"]: camera for camera in second["cameras"]}
    assert sorted(cameras) == ["drive", "yard"]
    assert [zone["id"] for zone in cameras["yard"]["zones"]] == ["gate"]
    assert [zone["id"] for zone in cameras["drive"]["zones"]] == ["lawn"]
    assert second["cameras"] == first["cameras"]
    assert [event["id"] for event in events] == [event_id]
    assert events[0]["zones"] == ["gate"]
