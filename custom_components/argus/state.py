"""Typed form of the engine's live state, config and event messages.

The engine pushes plain JSON. Everything the entities read goes through these
dataclasses, so a renamed field breaks in one place. Like `client.py`, this module
imports nothing from Home Assistant.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, kw_only=True)
class ZoneState:
    """Live state of one zone: counts per label and group, and the objects inside."""

    counts: dict[str, int] = field(default_factory=dict)
    objects: list[Mapping[str, Any]] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> ZoneState:
        """Build from the `zones.<id>` part of a camera's live state."""
        return cls(counts=_counts(data.get("counts")), objects=list(data.get("objects") or ()))


@dataclass(slots=True, kw_only=True)
class CameraState:
    """Live state of one camera as the engine last reported it."""

    status: str = "unknown"
    motion: bool = False
    detect_enabled: bool = True
    counts: dict[str, int] = field(default_factory=dict)
    zones: dict[str, ZoneState] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> CameraState:
        """Build from one camera of a `snapshot` or from a `state` push."""
        return cls(
            status=str(data.get("status", "unknown")),
            motion=bool(data.get("motion", False)),
            detect_enabled=bool(data.get("detect_enabled", True)),
            counts=_counts(data.get("counts")),
            zones={str(zone_id): ZoneState.from_data(zone) for zone_id, zone in (data.get("zones") or {}).items()},
        )

    @property
    def online(self) -> bool:
        """Return True while the engine receives frames from the camera."""
        return self.status in ONLINE_STATUSES


# Camera statuses in which the live state is current. Anything else (connecting,
# offline, error, stopped, disabled) makes the camera's detection entities unavailable.
ONLINE_STATUSES = frozenset({"online", "running", "streaming"})


@dataclass(slots=True, kw_only=True)
class CameraStats:
    """Per-camera figures from a `stats` push."""

    detect_fps: float | None = None
    detector_ms: float | None = None
    motion_percent: float | None = None


@dataclass(slots=True, kw_only=True)
class EngineStats:
    """Process and per-camera figures from a `stats` push."""

    cpu_percent: float | None = None
    rss_bytes: int | None = None
    cameras: dict[str, CameraStats] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> EngineStats:
        """Build from the data of a `stats` push or of `GET /api/stats`."""
        process = data.get("process") or {}
        cameras = {
            str(camera_id): CameraStats(
                detect_fps=_number(values.get("detect_fps", values.get("fps"))),
                detector_ms=_number(values.get("detector_ms")),
                motion_percent=_number(values.get("motion_percent")),
            )
            for camera_id, values in (data.get("cameras") or {}).items()
        }
        rss = _number(process.get("rss_bytes"))
        return cls(
            cpu_percent=_number(process.get("cpu_percent")),
            rss_bytes=int(rss) if rss is not None else None,
            cameras=cameras,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneInfo:
    """A zone's config as the engine reported it in `hello`."""

    id: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CameraInfo:
    """A camera's config as the engine reported it in `hello` (passwords as ***)."""

    id: str
    name: str
    zones: dict[str, ZoneInfo]
    config: Mapping[str, Any]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CameraInfo:
        """Build from one camera in config-file form."""
        zones = {str(zone["id"]): ZoneInfo(id=str(zone["id"]), name=str(zone["name"])) for zone in config.get("zones") or ()}
        return cls(id=str(config["id"]), name=str(config.get("name") or config["id"]), zones=zones, config=config)


@dataclass(frozen=True, slots=True, kw_only=True)
class ZoneChange:
    """One zone transition carried by an event message."""

    zone: str
    change: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EventMessage:
    """An `event` push: one step (start, update, end) of a recorded event."""

    cursor: int
    step: str
    zone_changes: tuple[ZoneChange, ...]
    event: Mapping[str, Any]

    @classmethod
    def from_push(cls, message: Mapping[str, Any]) -> EventMessage:
        """Build from the whole push message, cursor included."""
        data = message.get("data") or {}
        changes = tuple(
            ZoneChange(zone=str(change["zone"]), change=str(change["change"])) for change in data.get("zone_changes") or ()
        )
        return cls(cursor=int(message["cursor"]), step=str(data.get("type", "")), zone_changes=changes, event=data.get("event") or {})

    @property
    def event_id(self) -> str:
        """Return the engine's event id."""
        return str(self.event.get("id", ""))

    @property
    def camera_id(self) -> str:
        """Return the id of the camera the event happened on."""
        return str(self.event.get("camera", ""))


@dataclass(slots=True, kw_only=True)
class EngineState:
    """Everything the entities show, kept current from the engine's pushes."""

    cameras: dict[str, CameraState] = field(default_factory=dict)
    stats: EngineStats = field(default_factory=EngineStats)
    # The newest event per camera id, for the image entities.
    last_events: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def _counts(data: Any) -> dict[str, int]:
    if not isinstance(data, Mapping):
        return {}
    return {str(name): int(value) for name, value in data.items() if isinstance(value, int | float)}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
