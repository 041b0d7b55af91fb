"""Files in the engine's data dir: atomic writes, the engine id and the persisted cameras.

Layout of the data dir:

- `config.json`: cameras and zones as changed through the API, plus which cameras have
  detection switched off. Seeded from the config file on first start; afterwards it wins
  over the config file for cameras and zones. It contains stream passwords, so it is 0600.
- `engine_id`: a random id made on first start and kept for good, so Home Assistant can
  recognise the engine after restarts and address changes.
- `token`, `events.db`, `media/`: see token_store.py and the event store.
"""

import json
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import CameraConfig, camera_to_dict, parse_engine
from .errors import ConfigError

_LOGGER = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
ENGINE_ID_FILE = "engine_id"
CONFIG_FORMAT = 1


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace `path` with `data` so a crash leaves either the old or the new file, never half."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    # The rename itself is only durable once the directory entry is on disk.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def engine_id(data_dir: Path) -> str:
    """Return the engine id stored in the data dir, creating it on first use."""
    path = data_dir / ENGINE_ID_FILE
    try:
        value = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        value = ""
    if value:
        return value
    value = secrets.token_hex(8)
    write_atomic(path, value.encode("ascii") + b"\n", mode=0o644)
    _LOGGER.info("Created engine id %s", value)
    return value


@dataclass(frozen=True, slots=True)
class PersistedCameras:
    """The part of the configuration that the API changes."""

    cameras: tuple[CameraConfig, ...]
    # Cameras whose detection was switched off with `camera/detection`.
    detection_off: frozenset[str]


def load_cameras(data_dir: Path) -> PersistedCameras | None:
    """Read `config.json`; None when it does not exist yet (first start)."""
    path = data_dir / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ConfigError("top level must be an object")
        config = parse_engine({"cameras": data.get("cameras", [])})
    except (json.JSONDecodeError, ConfigError) as err:
        raise ConfigError(f"{path} is damaged ({err}); fix or delete it to start from the config file") from err
    detection_off = data.get("detection_off", [])
    return PersistedCameras(config.cameras, frozenset(str(item) for item in detection_off))


def save_cameras(data_dir: Path, state: PersistedCameras) -> None:
    """Write `config.json` atomically, passwords included (the file is 0600)."""
    data: dict[str, Any] = {
        "format": CONFIG_FORMAT,
        "cameras": [_camera_for_file(camera) for camera in state.cameras],
        "detection_off": sorted(state.detection_off),
    }
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    write_atomic(data_dir / CONFIG_FILE, text.encode("utf-8") + b"\n")


def _camera_for_file(camera: CameraConfig) -> dict[str, Any]:
    # camera_to_dict writes every field; parse_camera accepts exactly the schema's keys,
    # so drop the ones it fills itself and the None-valued optional ones.
    data = camera_to_dict(camera, redact_secrets=False)
    for key in ("url", "host"):
        if data.get(key) is None:
            data.pop(key, None)
    if "host" not in data:
        for key in ("port", "path", "username", "password", "scheme"):
            data.pop(key, None)
    return data
