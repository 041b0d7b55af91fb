"""The engine's cameras: their configs, their workers, and the commands that change them.

Every change is validated with the config-file schema, written to `<data>/config.json`
and then applied to the one worker it concerns; other cameras keep running untouched.
Changes are serialised by one lock, so two clients cannot interleave half-applied edits.
"""

import asyncio
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from .config import CameraConfig, ZoneConfig, parse_camera, parse_zone, with_zones
from .errors import ArgusError, ConfigError
from .live_state import count_keys
from .persist import PersistedCameras, save_cameras
from .stream_url import REDACTED, redact

_LOGGER = logging.getLogger(__name__)


class CommandError(ArgusError):
    """A command that cannot be carried out; `code` is the API error code."""

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


class Worker(Protocol):
    """The camera worker interface the engine uses (implemented by pipeline.CameraWorker)."""

    def start(self) -> None: ...
    def stop(self, timeout: float = 5.0) -> None: ...
    def update(self, camera: CameraConfig) -> None: ...
    def set_detection(self, enabled: bool) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def status(self) -> dict[str, Any]: ...
    def stats(self) -> dict[str, Any]: ...
    def latest_jpeg(self, *, annotate: bool, height: int | None) -> bytes | None: ...


WorkerFactory = Callable[[CameraConfig], Worker]


# voluptuous names an Exclusive group, not a key, when both keys of the group are given.
_GROUP_FIELDS = {"<source>": "url"}


def config_error(err: ConfigError) -> CommandError:
    """Turn a schema error into an `invalid_config` error naming the field (dotted path)."""
    path = list(err.path[1:]) if err.path[:1] in (("camera",), ("zone",)) else list(err.path)
    names = [_GROUP_FIELDS.get(str(part), str(part)) for part in path]
    return CommandError("invalid_config", redact(str(err)), field=".".join(names) or None)


class CameraRegistry:
    """Camera configs and workers, keyed by camera id, in config order."""

    def __init__(self, data_dir: Path, persisted: PersistedCameras, make_worker: WorkerFactory | None) -> None:
        self._data_dir = data_dir
        self._cameras: dict[str, CameraConfig] = {camera.id: camera for camera in persisted.cameras}
        self._detection_off = set(persisted.detection_off)
        self._make_worker = make_worker
        self._workers: dict[str, Worker] = {}
        self._lock = asyncio.Lock()
        # Set by the engine once a model is loaded: returns why a camera uses labels the
        # model does not detect, or None. Without a model nothing is checked.
        self.label_check: Callable[[CameraConfig], str | None] | None = None

    # --- reading -----------------------------------------------------------------------

    @property
    def cameras(self) -> tuple[CameraConfig, ...]:
        """Current camera configs in order."""
        return tuple(self._cameras.values())

    def camera(self, camera_id: str) -> CameraConfig:
        """Return one camera or raise `not_found`."""
        camera = self._cameras.get(camera_id) if isinstance(camera_id, str) else None
        if camera is None:
            raise CommandError("not_found", f"camera {camera_id!r} not found", field="camera_id")
        return camera

    def worker(self, camera_id: str) -> Worker | None:
        """Return the running worker of a camera, if it has one."""
        return self._workers.get(camera_id)

    def workers(self) -> dict[str, Worker]:
        """Running workers by camera id."""
        return dict(self._workers)

    def detection_enabled(self, camera_id: str) -> bool:
        """Return whether detection is on for the camera."""
        return camera_id not in self._detection_off

    # --- workers -----------------------------------------------------------------------

    async def start_all(self) -> None:
        """Start a worker for every enabled camera."""
        for camera in self.cameras:
            await self._start_worker(camera)

    async def stop_all(self) -> None:
        """Stop every worker, all at once."""
        workers, self._workers = self._workers, {}
        await asyncio.gather(*(self._stop(camera_id, worker) for camera_id, worker in workers.items()))

    async def _start_worker(self, camera: CameraConfig) -> None:
        if self._make_worker is None or not camera.enabled or camera.id in self._workers:
            return
        try:
            worker = self._make_worker(camera)
            await asyncio.to_thread(worker.start)
        except Exception as err:  # noqa: BLE001 - one camera failing must not stop the others
            _LOGGER.error("Camera %s could not start: %s", camera.id, redact(str(err)))
            return
        if camera.id in self._detection_off:
            worker.set_detection(False)
        self._workers[camera.id] = worker
        _LOGGER.info("Camera %s running (%s)", camera.id, camera.safe_url)

    async def _stop(self, camera_id: str, worker: Worker) -> None:
        try:
            await asyncio.to_thread(worker.stop, 5.0)
        except Exception:
            _LOGGER.exception("Camera %s did not stop cleanly", camera_id)
        _LOGGER.info("Camera %s stopped", camera_id)

    async def _apply(self, camera: CameraConfig) -> None:
        """Apply a changed config to its worker, starting or stopping it if `enabled` changed."""
        worker = self._workers.get(camera.id)
        if worker is not None and not camera.enabled:
            del self._workers[camera.id]
            await self._stop(camera.id, worker)
        elif worker is not None:
            await asyncio.to_thread(worker.update, camera)
        else:
            await self._start_worker(camera)

    def _save(self) -> None:
        save_cameras(self._data_dir, PersistedCameras(self.cameras, frozenset(self._detection_off)))

    # --- camera commands ---------------------------------------------------------------

    async def add_camera(self, data: Any) -> CameraConfig:
        """Validate, persist and start a new camera."""
        async with self._lock:
            if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] in self._cameras:
                raise CommandError("duplicate", f"camera id {data['id']!r} is already in use", field="id")
            camera = _parse_camera(data, set(self._cameras))
            self._check_labels(camera)
            self._cameras[camera.id] = camera
            self._save()
            await self._start_worker(camera)
            return camera

    async def update_camera(self, camera_id: str, data: Any) -> CameraConfig:
        """Replace a camera's config; zones and secrets shown as *** are kept unless given."""
        async with self._lock:
            old = self.camera(camera_id)
            if not isinstance(data, dict):
                raise CommandError("invalid_config", "camera must be an object", field=None)
            if data.get("id", camera_id) != camera_id:
                raise CommandError("invalid_config", "a camera's id cannot be changed; remove and add it instead", field="id")
            data = _restore_secrets({**data, "id": camera_id}, old)
            camera = _parse_camera(data, set(self._cameras) - {camera_id})
            if "zones" not in data:
                camera = with_zones(camera, old.zones)
            self._check_labels(camera)
            self._cameras[camera_id] = camera
            self._save()
            await self._apply(camera)
            return camera

    async def remove_camera(self, camera_id: str) -> None:
        """Stop and forget a camera."""
        async with self._lock:
            self.camera(camera_id)
            del self._cameras[camera_id]
            self._detection_off.discard(camera_id)
            self._save()
            worker = self._workers.pop(camera_id, None)
            if worker is not None:
                await self._stop(camera_id, worker)

    async def set_detection(self, camera_id: str, enabled: bool) -> None:
        """Switch detection on or off for one camera; the stream keeps running."""
        async with self._lock:
            self.camera(camera_id)
            if enabled:
                self._detection_off.discard(camera_id)
            else:
                self._detection_off.add(camera_id)
            self._save()
            worker = self._workers.get(camera_id)
            if worker is not None:
                worker.set_detection(enabled)
            _LOGGER.info("Detection on camera %s %s", camera_id, "enabled" if enabled else "disabled")

    # --- zone commands -----------------------------------------------------------------

    async def add_zone(self, camera_id: str, data: Any) -> ZoneConfig:
        """Validate and add a zone to a camera."""
        async with self._lock:
            camera = self.camera(camera_id)
            taken = {zone.id for zone in camera.zones}
            if isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"] in taken:
                raise CommandError("duplicate", f"zone id {data['id']!r} is already in use on {camera_id!r}", field="id")
            zone = self._parse_zone(camera, data, taken)
            await self._replace_zones(camera, (*camera.zones, zone))
            return zone

    async def update_zone(self, camera_id: str, zone_id: str, data: Any) -> ZoneConfig:
        """Replace one zone of a camera, keeping its id."""
        async with self._lock:
            camera = self.camera(camera_id)
            _find_zone(camera, zone_id)
            if not isinstance(data, dict):
                raise CommandError("invalid_config", "zone must be an object")
            if data.get("id", zone_id) != zone_id:
                raise CommandError("invalid_config", "a zone's id cannot be changed; remove and add it instead", field="id")
            taken = {zone.id for zone in camera.zones} - {zone_id}
            zone = self._parse_zone(camera, {**data, "id": zone_id}, taken)
            zones = tuple(zone if item.id == zone_id else item for item in camera.zones)
            await self._replace_zones(camera, zones)
            return zone

    async def remove_zone(self, camera_id: str, zone_id: str) -> None:
        """Remove one zone from a camera."""
        async with self._lock:
            camera = self.camera(camera_id)
            _find_zone(camera, zone_id)
            await self._replace_zones(camera, tuple(zone for zone in camera.zones if zone.id != zone_id))

    def _parse_zone(self, camera: CameraConfig, data: Any, taken: set[str]) -> ZoneConfig:
        worker = self._workers.get(camera.id)
        frame_size = _frame_size(worker.status()) if worker is not None else None
        try:
            return parse_zone(data, taken_ids=taken, frame_size=frame_size)
        except ConfigError as err:
            raise config_error(err) from err

    def _check_labels(self, camera: CameraConfig) -> None:
        problem = self.label_check(camera) if self.label_check is not None else None
        if problem:
            raise CommandError("invalid_config", problem, field="objects")

    async def _replace_zones(self, camera: CameraConfig, zones: tuple[ZoneConfig, ...]) -> None:
        changed = with_zones(camera, zones)
        self._check_labels(changed)
        self._cameras[camera.id] = changed
        self._save()
        await self._apply(changed)


def _parse_camera(data: Any, taken: set[str]) -> CameraConfig:
    try:
        return parse_camera(data, taken_ids=taken)
    except ConfigError as err:
        raise config_error(err) from err


def _find_zone(camera: CameraConfig, zone_id: Any) -> ZoneConfig:
    for zone in camera.zones:
        if zone.id == zone_id:
            return zone
    raise CommandError("not_found", f"zone {zone_id!r} not found on camera {camera.id!r}", field="zone_id")


def _restore_secrets(data: dict[str, Any], old: CameraConfig) -> dict[str, Any]:
    """Put back the password a client echoed as *** from `hello` or a command result."""
    if data.get("password") == REDACTED:
        data = {**data, "password": old.password} if old.password is not None else _without(data, "password")
    url = data.get("url")
    if isinstance(url, str) and old.url and url == redact(old.url) and url != old.url:
        data = {**data, "url": old.url}
    return data


def _without(data: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name != key}


def _frame_size(status: dict[str, Any]) -> tuple[int, int] | None:
    # The worker reports its stream size once a frame has arrived; before that, zones in
    # pixels must carry their own frame_size.
    size = status.get("frame_size")
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size):
        return int(size[0]), int(size[1])
    return None


def stopped_state(camera: CameraConfig, *, detect_enabled: bool, groups: Mapping[str, frozenset[str]]) -> dict[str, Any]:
    """Return the live state of a camera without a running worker: every count at 0."""
    return {
        "status": "disabled" if not camera.enabled else "stopped",
        "motion": False,
        "detect_enabled": detect_enabled,
        "counts": dict.fromkeys(count_keys(camera.objects, groups), 0),
        "zones": {
            zone.id: {"counts": dict.fromkeys(count_keys(zone.objects or camera.objects, groups), 0), "objects": []}
            for zone in camera.zones
        },
    }

