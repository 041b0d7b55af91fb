"""Motion gate: decide cheaply whether a sampled frame is worth running the detector on.

The detector is by far the most expensive step per frame, and most frames of a security
camera show nothing new. `MotionDetector` compares a small grayscale copy of each frame
with a running-average background, and `MotionGate` turns that into the decision
whether to detect, keeping tracks alive with a periodic refresh.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .config import MotionConfig
from .errors import InputError
from .geometry import Point

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MotionResult:
    """Motion detector result for one frame."""

    motion: bool
    # Fraction of the unmasked pixels that differ from the background by more than the threshold.
    changed_fraction: float
    # True when a whole-frame change (IR switch, lightning) reset the background; such a
    # frame never reports motion.
    recalibrated: bool = False


@dataclass(slots=True)
class MotionCounters:
    """Per-camera frame counters that show how much detector work the gate saves."""

    frames_decoded: int = 0
    frames_with_motion: int = 0
    frames_detected: int = 0

    def count(self, motion: MotionResult, detected: bool) -> None:
        """Add one sampled frame to the counters."""
        self.frames_decoded += 1
        self.frames_with_motion += int(motion.motion)
        self.frames_detected += int(detected)

    def saved_fraction(self) -> float:
        """Return the fraction of frames the detector skipped (0 before any frame)."""
        if not self.frames_decoded:
            return 0.0
        return 1.0 - self.frames_detected / self.frames_decoded

    def to_json(self) -> dict[str, int]:
        """Return the counters as JSON-ready data."""
        return {
            "frames_decoded": self.frames_decoded,
            "frames_with_motion": self.frames_with_motion,
            "frames_detected": self.frames_detected,
        }


class MotionDetector:
    """Running-average background subtraction on a small grayscale frame.

    The first frame, and the first after a change of frame size, only sets the background.
    """

    def __init__(self, config: MotionConfig) -> None:
        self._config = config
        self._background: np.ndarray | None = None
        # Pixels that count (True) after the masks, rasterised once per frame size.
        self._watched: np.ndarray | None = None
        self._watched_count = 0

    @property
    def config(self) -> MotionConfig:
        """The settings in use."""
        return self._config

    def update_config(self, config: MotionConfig) -> None:
        """Apply new settings; the background is kept, masks are rasterised again."""
        self._config = config
        self._watched = None

    def reset(self) -> None:
        """Forget the background, e.g. after the stream was reopened."""
        self._background = None

    def update(self, gray: np.ndarray, now: float) -> MotionResult:
        """Compare one grayscale frame (uint8, H×W) with the background and learn from it."""
        if gray.ndim != 2 or gray.size == 0:
            raise InputError(f"motion detection needs a non-empty 2-D grayscale frame, got shape {gray.shape}")
        frame = gray.astype(np.float32)
        if self._background is None or self._background.shape != frame.shape:
            self._start(frame, now)
            return MotionResult(motion=False, changed_fraction=0.0)

        changed = np.abs(frame - self._background) > self._config.threshold
        changed &= self._watched_pixels(frame.shape)
        fraction = float(np.count_nonzero(changed)) / self._watched_count if self._watched_count else 0.0

        if fraction > self._config.recalibrate_area:
            _LOGGER.debug("%.0f%% of the frame changed at %.2f s; background reset", fraction * 100, now)
            self._background = frame
            return MotionResult(motion=False, changed_fraction=fraction, recalibrated=True)

        # Learn the new frame slowly. At alpha 0.05 an object that stops, 120 grey levels
        # off the background, merges into it after about 30 frames, while one passing
        # through barely marks it.
        self._background += self._config.alpha * (frame - self._background)
        return MotionResult(motion=fraction >= self._config.min_area and fraction > 0.0, changed_fraction=fraction)

    def _start(self, frame: np.ndarray, now: float) -> None:
        if self._background is not None:
            _LOGGER.debug("frame size changed to %dx%d at %.2f s; background reset", frame.shape[1], frame.shape[0], now)
        self._background = frame
        self._watched = None

    def _watched_pixels(self, shape: tuple[int, ...]) -> np.ndarray:
        if self._watched is None or self._watched.shape != shape:
            height, width = shape
            self._watched = ~rasterize(self._config.masks, width, height)
            self._watched_count = int(np.count_nonzero(self._watched))
        return self._watched


class MotionGate:
    """Decide per frame whether to run the detector."""

    def __init__(self, config: MotionConfig) -> None:
        self._config = config
        self._last_detect: float | None = None

    def update_config(self, config: MotionConfig) -> None:
        """Apply new settings."""
        self._config = config

    def decide(self, motion: MotionResult, now: float, *, moving_tracks: bool) -> bool:
        """Return True when the detector should run on this frame, and remember when it did.

        It runs on motion, on a recalibration (the light changed, so tracks need checking),
        while any live track is moving, and at least every `refresh_seconds` so stationary
        objects stay confirmed. With the gate disabled it always runs.
        """
        detect = (
            not self._config.enabled
            or motion.motion
            or motion.recalibrated
            or moving_tracks
            or self._refresh_due(now)
        )
        if detect:
            self._last_detect = now
        return detect

    def _refresh_due(self, now: float) -> bool:
        if self._last_detect is None:
            return True
        # A stream time that went backwards (reopened stream) counts as due.
        elapsed = now - self._last_detect
        return elapsed < 0 or elapsed >= self._config.refresh_seconds


def rasterize(polygons: Sequence[Sequence[Point]], width: int, height: int) -> np.ndarray:
    """Return a bool H×W array that is True on pixels whose centre lies in any polygon.

    Polygon points are normalised to 0..1 of the frame; the even-odd rule decides inside.
    """
    inside_any = np.zeros((height, width), dtype=bool)
    if not polygons:
        return inside_any
    xs = (np.arange(width, dtype=np.float64) + 0.5) / width
    ys = (np.arange(height, dtype=np.float64) + 0.5) / height
    grid_x, grid_y = np.meshgrid(xs, ys)
    for polygon in polygons:
        inside_any |= _inside_polygon(grid_x, grid_y, polygon)
    return inside_any


def _inside_polygon(grid_x: np.ndarray, grid_y: np.ndarray, polygon: Sequence[Point]) -> np.ndarray:
    inside = np.zeros(grid_x.shape, dtype=bool)
    count = len(polygon)
    for index in range(count):
        x1, y1 = polygon[index]
        x2, y2 = polygon[(index + 1) % count]
        if y1 == y2:
            continue
        spans = (y1 > grid_y) != (y2 > grid_y)
        crossing_x = x1 + (grid_y - y1) * (x2 - x1) / (y2 - y1)
        inside ^= spans & (grid_x < crossing_x)
    return inside
