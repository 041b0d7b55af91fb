"""The event record as stored in SQLite and as sent to API clients."""

import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Kinds of media file an event may have, with the file name suffix and the URL name.
MEDIA_KINDS = {"snapshot": "snapshot.jpg", "crop": "crop.jpg", "clip": "clip.mp4"}

# Suffix of a clip file while it is being written; it is renamed when complete.
PART_SUFFIX = ".part"

# Reason of the `end` sent for an event that was still open when the engine stopped.
REASON_RESTART = "engine_restart"
# Reason of the `update` sent when a verification result is stored.
REASON_VERIFICATION = "verification"


def new_event_id(wall_time: float | None = None) -> str:
    """Return a URL-safe event id that sorts by creation time.

    The form is `ev_<12 hex digits of Unix milliseconds>_<8 base32 characters>`, so ids
    compare in the order the events started, and two events in the same millisecond
    still get distinct ids.
    """
    millis = int((time.time() if wall_time is None else wall_time) * 1000)
    random_part = secrets.token_bytes(5)
    suffix = _base32(random_part)
    return f"ev_{millis:012x}_{suffix}"


def _base32(data: bytes) -> str:
    alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
    number = int.from_bytes(data, "big")
    chars = [alphabet[(number >> shift) & 31] for shift in range(len(data) * 8 - 5, -1, -5)]
    return "".join(chars)


@dataclass(slots=True)
class Event:
    """One tracked object's event, from confirmation to loss.

    `start`/`end` are wall-clock Unix seconds, `stream_start`/`stream_end` seconds on the
    camera stream's own clock. Media paths are relative to the media dir.
    """

    id: str
    camera: str
    label: str
    groups: list[str]
    start: float
    stream_start: float
    top_score: float
    # Detection score of the object in the current snapshot.
    score: float = 0.0
    zones: list[str] = field(default_factory=list)
    end: float | None = None
    stream_end: float | None = None
    stationary: bool = False
    snapshot_path: str | None = None
    crop_path: str | None = None
    clip_path: str | None = None
    # Reserved for a later verification step (for example a vision model's verdict).
    verdict: str | None = None
    verification_description: str | None = None
    verified_at: float | None = None
    verification_model: str | None = None

    def add_zones(self, zones: set[str] | frozenset[str] | list[str]) -> bool:
        """Add zones the object has entered; True if any was new."""
        new = set(zones) - set(self.zones)
        self.zones.extend(sorted(new))
        return bool(new)

    def media_path(self, kind: str) -> str | None:
        """Return the stored relative path of the `snapshot`, `crop` or `clip` file."""
        return getattr(self, f"{kind}_path")

    def media_file(self, kind: str) -> str:
        """Return where the event's `snapshot`, `crop` or `clip` file goes, relative to the media dir.

        The layout is `<camera>/<UTC day of the start>/<event id>-<file name>`, for
        example `front/2024-12-04/ev_..._...-snapshot.jpg`.
        """
        day = datetime.fromtimestamp(self.start, UTC).strftime("%Y-%m-%d")
        return f"{self.camera}/{day}/{self.id}-{MEDIA_KINDS[kind]}"

    def to_row(self) -> dict[str, Any]:
        """Return the columns of the `events` table."""
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Event":
        """Build an event from the columns of the `events` table."""
        return cls(**{name: row[name] for name in cls.__slots__ if name in row})

    def to_json(self) -> dict[str, Any]:
        """Return the event as API clients see it, with URLs in place of file paths."""
        data: dict[str, Any] = {
            "id": self.id,
            "camera": self.camera,
            "label": self.label,
            "groups": list(self.groups),
            "zones": list(self.zones),
            "start": self.start,
            "end": self.end,
            "stream_start": self.stream_start,
            "stream_end": self.stream_end,
            "top_score": round(self.top_score, 4),
            "score": round(self.score, 4),
            "stationary": self.stationary,
        }
        for kind, name in MEDIA_KINDS.items():
            data[f"{kind}_url"] = f"/api/events/{self.id}/{name}" if self.media_path(kind) else None
        data["verification"] = self._verification_json()
        return data

    def _verification_json(self) -> dict[str, Any] | None:
        if self.verdict is None:
            return None
        return {
            "verdict": self.verdict,
            "description": self.verification_description,
            "verified_at": self.verified_at,
            "model": self.verification_model,
        }
