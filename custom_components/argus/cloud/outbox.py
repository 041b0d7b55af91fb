"""On-disk queue of alerts that could not be delivered yet, bounded in items and bytes.

Each alert is one JSON file written atomically (temporary file, then rename), so a
crash or power cut loses at most the alert being written. Attachments are stored
as the already encrypted blob. All methods do blocking file I/O: call them from an
executor, never from the event loop.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)

# Retry delays double from BASE_DELAY up to MAX_DELAY; an alert older than MAX_AGE is dropped.
BASE_DELAY = 30.0
MAX_DELAY = 3600.0
MAX_AGE = 86_400.0


@dataclass(slots=True)
class QueuedAlert:
    """One undelivered alert with its encrypted attachment and retry state."""

    path: Path
    alert: dict[str, Any]
    attachment: bytes | None
    content_type: str
    created: float
    attempts: int
    next_at: float


class Outbox:
    """A directory of pending alerts, oldest first, dropping the oldest when full."""

    def __init__(self, directory: Path, *, max_items: int, max_bytes: int) -> None:
        self._directory = directory
        self._max_items = max_items
        self._max_bytes = max_bytes
        self._sequence = 0
        self.dropped = 0

    def add(self, alert: dict[str, Any], attachment: bytes | None, content_type: str, now: float) -> Path:
        """Store one alert for a later retry and enforce the size bounds."""
        self._directory.mkdir(parents=True, exist_ok=True)
        record = {
            "alert": alert,
            "attachment": base64.b64encode(attachment).decode("ascii") if attachment is not None else None,
            "content_type": content_type,
            "created": now,
            "attempts": 0,
            "next_at": now + BASE_DELAY,
        }
        self._sequence += 1
        path = self._directory / f"{int(now * 1000):015d}-{self._sequence:06d}-{uuid.uuid4().hex[:8]}.json"
        self._write(path, record)
        self._enforce_bounds()
        return path

    def due(self, now: float) -> list[QueuedAlert]:
        """Return queued alerts whose retry time has come, oldest first; drop expired or unreadable ones."""
        ready = []
        for path in self._files():
            item = self._read(path)
            if item is None:
                continue
            if now - item.created > MAX_AGE:
                _LOGGER.warning("Dropping alert queued for more than %.0f h: %s", MAX_AGE / 3600, path.name)
                self._remove(path)
                self.dropped += 1
            elif item.next_at <= now:
                ready.append(item)
        return ready

    def delivered(self, item: QueuedAlert) -> None:
        """Remove an alert that has been delivered or permanently rejected."""
        self._remove(item.path)

    def failed(self, item: QueuedAlert, now: float) -> None:
        """Record one more failed attempt and schedule the next with exponential backoff."""
        item.attempts += 1
        item.next_at = now + min(MAX_DELAY, BASE_DELAY * 2**item.attempts)
        record = {
            "alert": item.alert,
            "attachment": base64.b64encode(item.attachment).decode("ascii") if item.attachment else None,
            "content_type": item.content_type,
            "created": item.created,
            "attempts": item.attempts,
            "next_at": item.next_at,
        }
        self._write(item.path, record)

    def __len__(self) -> int:
        return len(self._files())

    def _files(self) -> list[Path]:
        if not self._directory.is_dir():
            return []
        return sorted(self._directory.glob("*.json"))

    def _enforce_bounds(self) -> None:
        files = self._files()
        sizes = [path.stat().st_size for path in files]
        total = sum(sizes)
        while files and (len(files) > self._max_items or total > self._max_bytes):
            oldest = files.pop(0)
            total -= sizes.pop(0)
            self._remove(oldest)
            self.dropped += 1
            _LOGGER.warning("Alert queue full (%d items max, %d bytes max); dropped oldest %s",
                            self._max_items, self._max_bytes, oldest.name)

    def _read(self, path: Path) -> QueuedAlert | None:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            attachment = record["attachment"]
            return QueuedAlert(
                path=path,
                alert=record["alert"],
                attachment=base64.b64decode(attachment) if attachment else None,
                content_type=record["content_type"],
                created=float(record["created"]),
                attempts=int(record["attempts"]),
                next_at=float(record["next_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError) as err:
            _LOGGER.warning("Dropping unreadable queued alert %s: %s", path.name, err)
            self._remove(path)
            self.dropped += 1
            return None

    @staticmethod
    def _write(path: Path, record: dict[str, Any]) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, path)

    @staticmethod
    def _remove(path: Path) -> None:
        path.unlink(missing_ok=True)
