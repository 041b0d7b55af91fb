"""A real Argus engine with its API on a fixed 127.0.0.1 port, restartable in place.

The port stays the same across `stop` and `start`, so an integration connected to it
sees exactly what a user sees when the add-on restarts.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path
from collections.abc import Callable
from typing import Any

from PIL import Image

from aiohttp import web

from argus_engine.api import create_app
from argus_engine.config import EngineConfig
from argus_engine.engine import Engine
from argus_engine.events.model import Event, new_event_id
from tests.helpers.engine_api import TOKEN, StillWorker
from tests.helpers.rtsp import free_port

HOST = "127.0.0.1"


class EngineServer:
    """One engine on a data dir, served on 127.0.0.1:`port`."""

    def __init__(self, data_dir: Path, config: EngineConfig, **engine_args: Any) -> None:
        self.data_dir = data_dir
        self.config = config
        self.engine_args = {"token": TOKEN, "worker_factory": StillWorker, "stats_interval": 3600.0, **engine_args}
        self.port = free_port()
        self.engine: Engine | None = None
        self._runner: web.AppRunner | None = None

    @property
    def token(self) -> str:
        """Return the API token."""
        return self.engine_args["token"]

    @property
    def entry_data(self) -> dict[str, Any]:
        """Return config entry data pointing at this engine."""
        return {"host": HOST, "port": self.port, "token": self.token}

    async def start(self) -> None:
        """Start the engine and serve its API."""
        self.engine = Engine(self.config, self.data_dir, **self.engine_args)
        await self.engine.start()
        self._runner = web.AppRunner(create_app(self.engine), handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, self.port).start()

    async def stop(self) -> None:
        """Stop serving (live websockets are closed) and stop the engine."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.engine is not None:
            await self.engine.stop()
            self.engine = None

    def worker(self, camera_id: str) -> StillWorker:
        """Return the running worker double of a camera."""
        assert self.engine is not None
        worker = self.engine.cameras.worker(camera_id)
        assert isinstance(worker, StillWorker), f"camera {camera_id} has no worker double"
        return worker

    def record_event(
        self,
        camera: str,
        kind: str = "start",
        *,
        zone_changes: list[dict[str, str]] | None = None,
        event: Event | None = None,
        label: str = "person",
    ) -> tuple[int, Event]:
        """Journal one event message with a real snapshot file and publish it from a thread.

        The engine's pump reads the journal and pushes the message, as it does for a
        pipeline worker's events.
        """
        assert self.engine is not None and self.engine.store is not None
        if event is None:
            event = Event(
                id=new_event_id(), camera=camera, label=label, groups=[label], start=time.time(), stream_start=1.0, top_score=0.91
            )
            event.snapshot_path = f"{event.id}.jpg"
            buffer = io.BytesIO()
            Image.new("RGB", (64, 48), (10, 120, 10)).save(buffer, format="JPEG")
            (self.engine.media_dir / event.snapshot_path).write_bytes(buffer.getvalue())
        changes = zone_changes or []
        event.zones = sorted({*event.zones, *(change["zone"] for change in changes if change["change"] != "left")})
        if kind == "end":
            event.end = time.time()
        data = {"type": kind, "reasons": [], "zone_changes": changes, "event": event.to_json()}
        cursor = self.engine.store.record(event, data)
        thread = threading.Thread(target=self.engine.publish, args=({"type": "event", "cursor": cursor, "data": data},))
        thread.start()
        thread.join()
        return cursor, event

    def publish_state(
        self,
        camera: str,
        *,
        counts: dict[str, int] | None = None,
        zones: dict[str, dict[str, int]] | None = None,
        motion: bool = False,
        status: str = "online",
    ) -> None:
        """Publish a camera's live state from a worker thread, as the pipeline does.

        Like the pipeline, every configured zone is in the state, and `zones` gives counts.
        """
        assert self.engine is not None
        config = next(item for item in self.engine.cameras.cameras if item.id == camera)
        zones = {zone.id: (zones or {}).get(zone.id, {}) for zone in config.zones}
        data = {
            "status": status,
            "motion": motion,
            "detect_enabled": True,
            "counts": counts or {},
            "zones": {zone_id: {"counts": zone_counts, "objects": []} for zone_id, zone_counts in zones.items()},
        }
        thread = threading.Thread(target=self.engine.publish, args=({"type": "state", "camera": camera, "data": data},))
        thread.start()
        thread.join()


async def wait_until(predicate: Callable[[], bool], *, timeout: float = 20.0, what: str = "condition") -> float:
    """Wait until `predicate()` is true and return the seconds it took, failing after `timeout`."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        if loop.time() - start > timeout:
            raise AssertionError(f"{what} not reached within {timeout:g} s")
        await asyncio.sleep(0.02)
    return loop.time() - start
