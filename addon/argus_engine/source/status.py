"""Camera status as the source reports it, and the counters behind `CameraSource.stats`."""

import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["connecting", "online", "offline"]


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """Connection state of one camera.

    The `reason` is set while offline and is already redacted, so it never contains a password.
    """

    state: State
    reason: str | None = None
    # Wall clock (epoch seconds) of the last decoded frame, or None before the first one.
    last_frame_time: float | None = None
    # Decoded frames per second over the last complete 2 s window; 0 until one has passed.
    fps: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Return the status as JSON-ready data."""
        return {
            "state": self.state,
            "reason": self.reason,
            "last_frame_time": self.last_frame_time,
            "fps": round(self.fps, 2),
        }


class FpsMeter:
    """Frame rate measured over consecutive windows of `window` seconds, one `tick` per decoded frame."""

    def __init__(self, window: float = 2.0) -> None:
        self._window = window
        self._window_start = time.monotonic()
        self._count = 0
        self.fps = 0.0

    def tick(self, now: float) -> None:
        """Count one frame decoded at monotonic time `now`."""
        self._count += 1
        elapsed = now - self._window_start
        if elapsed >= self._window:
            self.fps = self._count / elapsed
            self._window_start = now
            self._count = 0

    def reset(self) -> None:
        """Start measuring afresh, e.g. after a reconnect."""
        self._window_start = time.monotonic()
        self._count = 0
        self.fps = 0.0


class SourceStats:
    """Thread-safe counters of one source, written by its thread and read by anyone."""

    NAMES = ("packets", "frames_decoded", "frames_sampled", "decode_errors", "reconnects")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts = dict.fromkeys(self.NAMES, 0)
        self.fps = FpsMeter()
        # Wall clock (epoch seconds) of the last decoded frame.
        self.last_frame_time: float | None = None

    def add(self, name: str) -> int:
        """Increment one counter and return its value before the increment."""
        with self._lock:
            value = self._counts[name]
            self._counts[name] = value + 1
        return value

    def frame_decoded(self, now: float) -> None:
        """Count a decoded frame at monotonic time `now`."""
        self.add("frames_decoded")
        self.fps.tick(now)
        self.last_frame_time = time.time()

    def snapshot(self) -> dict[str, float]:
        """Return every counter and the measured fps."""
        with self._lock:
            values: dict[str, float] = dict(self._counts)
        values["fps"] = self.fps.fps
        return values
