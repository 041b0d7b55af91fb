"""A real engine and its aiohttp app on 127.0.0.1 for API tests, plus a camera worker double.

The double replaces `pipeline.CameraWorker` only where the camera is incidental to
the test (commands, frames, fan-out). It publishes through the engine's real `publish`
path from its own thread, exactly as a worker does.
"""

import asyncio
import io
import threading
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from argus_engine.api import create_app
from argus_engine.config import CameraConfig, EngineConfig, parse_engine
from argus_engine.engine import Engine
from argus_engine.events.model import Event, new_event_id

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class StillWorker:
    """Camera worker double: a fixed gray frame, a scripted state, real JPEG encoding."""

    instances: list["StillWorker"] = []

    def __init__(self, camera: CameraConfig, *, detector, store, media_dir: Path, groups, publish) -> None:
        self.camera = camera
        self.publish = publish
        self.detect_enabled = True
        self.started = False
        self.stopped = False
        self.updates: list[CameraConfig] = []
        self.counts: dict[str, int] = {}
        self.jpeg_requests = 0
        StillWorker.instances.append(self)

    def start(self) -> None:
        self.started = True

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped = True

    def update(self, camera: CameraConfig) -> None:
        self.camera = camera
        self.updates.append(camera)

    def set_detection(self, enabled: bool) -> None:
        self.detect_enabled = enabled

    def state(self) -> dict[str, Any]:
        return {
            "status": "online",
            "motion": False,
            "detect_enabled": self.detect_enabled,
            "counts": {"person": 0, **self.counts},
            "zones": {zone.id: {"counts": {"person": 0}, "objects": []} for zone in self.camera.zones},
        }

    def status(self) -> dict[str, Any]:
        return {"state": "online", "reason": None, "last_frame_time": time.time(), "fps": 5.0}

    def stats(self) -> dict[str, Any]:
        return {"fps": 5.0, "motion_percent": 0.0, "detector_ms": None}

    def latest_jpeg(self, *, annotate: bool = False, height: int | None = None) -> bytes | None:
        self.jpeg_requests += 1
        image = Image.new("RGB", (640, 360), (90, 90, 90) if not annotate else (200, 30, 30))
        if height:
            image = image.resize((round(640 * height / 360), height))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG")
        return buffer.getvalue()

    def publish_status(self, state: str, reason: str | None) -> None:
        """Publish a stream status change from a worker thread, as the pipeline does."""
        data = {"state": state, "reason": reason, "last_frame_time": time.time(), "fps": 0.0}
        self.publish({"type": "camera_status", "camera": self.camera.id, "data": data})

    def publish_state(self, count: int) -> None:
        """Publish a state change from a worker thread, as the pipeline does."""
        self.counts = {"person": count}
        self.publish({"type": "state", "camera": self.camera.id, "data": self.state()})


class Api:
    """A started engine, its test client and helpers to talk to it."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        self.engine = engine
        self.client = client

    async def ws(self, *, auth: bool = True) -> ClientWebSocketResponse:
        """Open an authenticated websocket (by header)."""
        return await self.client.ws_connect("/api/ws", headers=AUTH if auth else None, max_msg_size=0)

    def record_event(self, camera: str = "front", kind: str = "start", *, event: Event | None = None) -> tuple[int, Event]:
        """Journal one event message in the real store and publish it from another thread."""
        event = event or Event(
            id=new_event_id(), camera=camera, label="person", groups=["person"], start=time.time(), stream_start=1.0, top_score=0.9
        )
        if kind == "end":
            event.end = time.time()
        data = {"type": kind, "reasons": [], "zone_changes": [], "event": event.to_json()}
        cursor = self.engine.store.record(event, data)
        thread = threading.Thread(target=self.engine.publish, args=({"type": "event", "cursor": cursor, "data": data},))
        thread.start()
        thread.join()
        return cursor, event


def stored_event(api: "Api", event_id: str = "ev_0193a5f0c1d2_k3m9x2ab", *, media: bool = True, zone_changes=(), **fields) -> Event:
    """Store an event with real snapshot, crop and clip files under the media dir."""
    event = Event(id=event_id, camera="front", label="person", groups=["person"], start=time.time(), stream_start=0.0, zones=["door"], **{"top_score": 0.9, **fields})
    if media:
        folder = api.engine.media_dir / "front"
        folder.mkdir(parents=True, exist_ok=True)
        for kind, name in (("snapshot", "snapshot.jpg"), ("crop", "crop.jpg")):
            image = Image.new("RGB", (64, 48), (10, 200, 10))
            image.save(folder / f"{event_id}-{name}", format="JPEG")
            setattr(event, f"{kind}_path", f"front/{event_id}-{name}")
        (folder / f"{event_id}-clip.mp4").write_bytes(bytes(range(256)) * 40)
        event.clip_path = f"front/{event_id}-clip.mp4"
    changes = [{"zone": zone, "change": change} for zone, change in zone_changes]
    api.engine.store.record(event, {"type": "start", "reasons": [], "zone_changes": changes, "event": event.to_json()})
    return event


def engine_config(cameras: list[dict[str, Any]] | None = None) -> EngineConfig:
    """Return a config with the given cameras in config-file form."""
    return parse_engine({"cameras": cameras or []})


FRONT = {"id": "front", "name": "Front", "url": "rtsp://127.0.0.1:8554/front", "zones": [{"id": "door", "name": "Door", "points": [[0, 0], [0.5, 0], [0.5, 1]]}]}


@asynccontextmanager
async def running_api(data_dir: Path, config: EngineConfig | None = None, **engine_args: Any):
    """Start an engine on `data_dir` with its API on 127.0.0.1; stop both on exit."""
    engine_args.setdefault("token", TOKEN)
    engine_args.setdefault("worker_factory", StillWorker)
    engine_args.setdefault("stats_interval", 3600.0)
    engine = Engine(config or engine_config([FRONT]), data_dir, **engine_args)
    await engine.start()
    client = TestClient(TestServer(create_app(engine), host="127.0.0.1"))
    try:
        await client.start_server()
        yield Api(engine, client)
    finally:
        await client.close()
        await engine.stop()


async def receive_until(ws: ClientWebSocketResponse, predicate, *, timeout: float = 30.0) -> dict[str, Any]:
    """Return the first received message for which `predicate` is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await ws.receive_json(timeout=max(remaining, 0.01))
        if predicate(message):
            return message


async def request(ws: ClientWebSocketResponse, message: dict[str, Any], *, timeout: float = 30.0) -> dict[str, Any]:
    """Send a request and return its reply, skipping pushes in between."""
    await ws.send_json(message)
    return await receive_until(ws, lambda reply: reply.get("type") == "result" and reply.get("id") == message.get("id"), timeout=timeout)
