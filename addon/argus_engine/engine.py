"""The engine runtime: cameras, detector, event store and the live message feed.

`Engine` owns everything the API serves. Camera workers run in their own threads and
call `publish` from there. The engine moves each message onto its asyncio loop and
fans it out through the hub. Event messages are never taken from the worker directly: the
event journal in SQLite is the source of truth, and a single pump reads it in cursor
order and broadcasts what it has not broadcast yet. That keeps live pushes ordered by
cursor even when two cameras journal events at the same moment, and lets `subscribe`
hand over from replay to live with neither a gap nor a duplicate.
"""

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import PROTOCOL_VERSION, __version__
from .camera_registry import CameraRegistry, Worker, stopped_state
from .config import CameraConfig, EngineConfig, camera_to_dict
from .events.store import EventStore
from .hub import Hub, Subscriber
from .model_check import check_labels
from .persist import PersistedCameras, engine_id, load_cameras, save_cameras
from .procstats import ProcessStats
from .token_store import TokenStore

_LOGGER = logging.getLogger(__name__)

STATS_INTERVAL = 10.0
RETENTION_INTERVAL = 3600.0
JOURNAL_PAGE = 500

WorkerFactory = Callable[..., Worker]


class Engine:
    """One running engine on one data dir."""

    def __init__(
        self,
        config: EngineConfig,
        data_dir: Path,
        *,
        model_path: Path | str | None = None,
        token: str | None = None,
        worker_factory: WorkerFactory | None = None,
        stats_interval: float = STATS_INTERVAL,
    ) -> None:
        self.config = config
        self.data_dir = Path(data_dir)
        self.media_dir = self.data_dir / "media"
        self.media_dir.mkdir(parents=True, exist_ok=True)
        self.engine_id = engine_id(self.data_dir)
        self.tokens = TokenStore(self.data_dir, token=token)
        self.hub = Hub()
        self.model = None
        self.detector = None
        self.store: EventStore | None = None
        self._model_path = model_path
        self._worker_factory = worker_factory
        self._stats_interval = stats_interval
        self._process_stats = ProcessStats()
        self._last_stats: dict[str, Any] | None = None
        self._states: dict[str, dict[str, Any]] = {}
        self._cursor = 0
        self._journal_lock = asyncio.Lock()
        self._pump_pending = False
        self._pump_task: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self.cameras = CameraRegistry(self.data_dir, self._persisted_cameras(), self._make_worker)

    def _persisted_cameras(self) -> PersistedCameras:
        persisted = load_cameras(self.data_dir)
        if persisted is None:
            persisted = PersistedCameras(self.config.cameras, frozenset())
            save_cameras(self.data_dir, persisted)
            _LOGGER.info("Seeded %s/config.json with %d camera(s) from the config file", self.data_dir, len(persisted.cameras))
        return persisted

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Open the store, load the model and start every enabled camera.

        If any step fails, whatever was started is stopped again before the error is raised.
        """
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.store = await asyncio.to_thread(EventStore, self.data_dir / "events.db", media_dir=self.media_dir)
        # Nobody is subscribed yet, so the `end` messages of events left open by the
        # previous run reach clients through the replay.
        await asyncio.to_thread(self.store.close_open_events, time.time())
        self._cursor = await asyncio.to_thread(self.store.last_cursor)
        if self._model_path is not None:
            await asyncio.to_thread(self._load_model, self._model_path)
            self.cameras.label_check = self._missing_labels
            self._log_missing_labels()
        await self.cameras.start_all()
        self._tasks = [
            self._loop.create_task(self._stats_loop(), name="argus-stats"),
            self._loop.create_task(self._retention_loop(), name="argus-retention"),
        ]
        _LOGGER.info("Engine %s started with %d camera(s)", self.engine_id, len(self.cameras.cameras))

    def _missing_labels(self, camera: CameraConfig) -> str | None:
        """Return which labels the camera uses that the model lacks, or None."""
        assert self.model is not None
        config = replace(self.config, cameras=(camera,))
        report = check_labels(config, self.model.labels.values())
        if not report.missing:
            return None
        names = ", ".join(repr(name) for name in report.missing)
        return f"model {self.model.name} has no class for {names}; use its class names or a group"

    def _log_missing_labels(self) -> None:
        for camera in self.cameras.cameras:
            problem = self._missing_labels(camera)
            if problem:
                _LOGGER.error("Camera %s: %s; those objects are never detected", camera.id, problem)

    def _load_model(self, path: Path | str) -> None:
        from .detector.model import load_model
        from .detector.service import Detector

        self.model = load_model(path, labels_path=self.config.detector.labels, threads=self.config.detector.threads)
        self.detector = Detector(self.model)
        self.detector.start()

    async def stop(self) -> None:
        """Stop cameras, background tasks and the detector, then close the store."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.cameras.stop_all()
        # Let the last messages of the stopped workers reach the loop, then drain the journal.
        await asyncio.sleep(0)
        if self._pump_task is not None:
            await asyncio.gather(self._pump_task, return_exceptions=True)
        await self.hub.close()
        if self.detector is not None:
            await asyncio.to_thread(self.detector.stop)
            self.detector = None
        if self.store is not None:
            await asyncio.to_thread(self.store.close)
            self.store = None
        self._loop = None
        _LOGGER.info("Engine %s stopped", self.engine_id)

    def _make_worker(self, camera: CameraConfig) -> Worker:
        factory = self._worker_factory
        if factory is None:
            if self.detector is None:
                raise NoModelError(f"camera {camera.id} cannot run: no detection model is loaded")
            from .pipeline import CameraWorker

            factory = CameraWorker
        return factory(
            camera,
            detector=self.detector,
            store=self.store,
            media_dir=self.media_dir,
            groups=self.config.groups,
            publish=self.publish,
        )

    # --- the live feed -----------------------------------------------------------------

    def publish(self, message: dict[str, Any]) -> None:
        """Hand a worker's message to the loop; safe to call from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._dispatch, message)
        except RuntimeError:
            # The loop closed between the check and the call, during shutdown.
            pass

    def _dispatch(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "event":
            self._request_pump()
            return
        if kind == "state" and message.get("camera") in self._camera_ids():
            self._states[message["camera"]] = message["data"]
        self.hub.broadcast(message)

    def _camera_ids(self) -> set[str]:
        return {camera.id for camera in self.cameras.cameras}

    def _request_pump(self) -> None:
        if self._loop is None or self.store is None:
            return  # stopped: the journal has the message for the next run's replay
        self._pump_pending = True
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = self._loop.create_task(self._pump_journal(), name="argus-journal")

    async def _pump_journal(self) -> None:
        while self._pump_pending and self.store is not None:
            self._pump_pending = False
            async with self._journal_lock:
                await self._broadcast_journal()

    async def _broadcast_journal(self) -> None:
        store = self.store
        while store is not None:
            rows = await asyncio.to_thread(store.messages_after, self._cursor, JOURNAL_PAGE)
            for cursor, message in rows:
                self.hub.broadcast(message)
                self._cursor = cursor
            if len(rows) < JOURNAL_PAGE:
                return

    async def subscribe(self, subscriber: Subscriber) -> tuple[int, dict[str, Any]]:
        """Register `subscriber` and return the journal cursor and live state at that instant.

        Every event message with a greater cursor reaches the subscriber's queue; the
        ones up to the returned cursor are the caller's to replay.
        """
        async with self._journal_lock:
            # Catch up first, so the cursor covers everything journalled so far even if
            # its publish has not reached the loop yet.
            await self._broadcast_journal()
            self.hub.add(subscriber)
            return self._cursor, self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        """Return the live state of every camera."""
        cameras = {}
        for camera in self.cameras.cameras:
            state = self._states.get(camera.id)
            if state is None:
                worker = self.cameras.worker(camera.id)
                detect = self.cameras.detection_enabled(camera.id)
                state = worker.state() if worker is not None else stopped_state(camera, detect_enabled=detect, groups=self.config.groups)
            cameras[camera.id] = state
        return {"cameras": cameras}

    def cameras_changed(self, camera_id: str) -> None:
        """Tell subscribers about a camera or zone change: the new config, then the camera's state."""
        self._states.pop(camera_id, None)
        cameras = [camera_to_dict(camera) for camera in self.cameras.cameras]
        self.hub.broadcast({"type": "config", "data": {"cameras": cameras}})
        state = self.snapshot()["cameras"].get(camera_id)
        if state is not None:
            self.hub.broadcast({"type": "state", "camera": camera_id, "data": state})

    # --- descriptions --------------------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        """Return what a client needs to know first: ids, versions, model, cameras, groups."""
        return {
            "engine_id": self.engine_id,
            "version": __version__,
            "protocol": PROTOCOL_VERSION,
            "model": self.model_info(),
            "cameras": [camera_to_dict(camera) for camera in self.cameras.cameras],
            "groups": {name: sorted(members) for name, members in self.config.groups.items()},
        }

    def model_info(self) -> dict[str, Any] | None:
        """Return the loaded model's name, input size and labels, or None without a model."""
        if self.model is None:
            return None
        width, height = self.model.input_size
        labels = {str(index): name for index, name in sorted(self.model.labels.items())}
        return {"name": self.model.name, "input_size": [width, height], "labels": labels}

    # --- background loops ----------------------------------------------------------------

    def collect_stats(self) -> dict[str, Any]:
        """Return per-camera, detector and process figures (blocking; run it in a thread)."""
        cameras = {}
        for camera_id, worker in self.cameras.workers().items():
            try:
                cameras[camera_id] = worker.stats()
            except Exception:
                _LOGGER.exception("Stats of camera %s failed", camera_id)
        detector = self.detector.stats() if self.detector is not None else None
        stats = {
            "time": time.time(),
            "cameras": cameras,
            "detector": detector,
            "process": self._process_stats.sample(),
            "subscribers": len(self.hub),
            "slow_consumers": self.hub.slow_consumers,
        }
        self._last_stats = stats
        return stats

    async def broadcast_stats(self) -> None:
        """Collect the figures and push them to every subscriber."""
        stats = await asyncio.to_thread(self.collect_stats)
        self.hub.broadcast({"type": "stats", "data": stats})

    async def _stats_loop(self) -> None:
        while True:
            await asyncio.sleep(self._stats_interval)
            await self.broadcast_stats()

    async def _retention_loop(self) -> None:
        while True:
            store = self.store
            if store is not None:
                try:
                    await asyncio.to_thread(store.apply_retention, self.config.retention_days, time.time())
                except Exception:
                    _LOGGER.exception("Retention run failed; retrying in %.0f s", RETENTION_INTERVAL)
            await asyncio.sleep(RETENTION_INTERVAL)


class NoModelError(RuntimeError):
    """A camera worker was requested while no detection model is loaded."""
