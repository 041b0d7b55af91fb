"""Pick frames at the camera's detect fps by their timestamps and convert only those.

Sampling uses presentation time, not arrival count, so a stream that bursts after a
network hiccup or runs at a variable frame rate still yields evenly spaced frames.
"""

import time

import av

from ..detector.letterbox import letterbox_for
from ..frames import SampledFrame

# Frames whose time lands within this much of the due time count as due, so float
# rounding of PTS × time_base never skips the frame that is exactly on time.
_TOLERANCE = 0.001


class FrameSampler:
    """Decide which decoded frames to keep for a target rate in frames per second."""

    def __init__(self, fps: float) -> None:
        if fps <= 0:
            raise ValueError(f"invalid detect fps {fps}; it must be > 0")
        self.interval = 1.0 / fps
        self._due: float | None = None

    def take(self, frame_time: float) -> bool:
        """Return True when the frame at `frame_time` (seconds) should be kept."""
        if self._due is None or frame_time < self._due - self.interval:
            # First frame, or time went backwards: start the schedule again here.
            self._due = frame_time
        if frame_time + _TOLERANCE < self._due:
            return False

        self._due += self.interval
        if self._due <= frame_time:
            # A gap in the stream longer than the interval: keep the rate from now on
            # instead of taking a burst of catch-up frames.
            self._due = frame_time + self.interval
        return True

    def reset(self) -> None:
        """Forget the schedule, for a stream whose timestamps restart."""
        self._due = None


def gray_size(width: int, height: int, motion_height: int) -> tuple[int, int]:
    """Return (width, height) of the motion copy: `motion_height` rows, aspect kept, even width."""
    rows = min(motion_height, height)
    columns = max(2, round(width * rows / height / 2) * 2)
    return columns, rows


def convert(
    frame: av.VideoFrame,
    *,
    camera_id: str,
    index: int,
    time_seconds: float,
    input_size: tuple[int, int],
    motion_height: int,
) -> SampledFrame:
    """Build a SampledFrame with the grey motion copy and the letterboxed RGB, both by swscale.

    Scaling in PyAV's scaler straight from YUV avoids building a full-size RGB picture
    only to shrink it, which costs several times more for a 1080p or 4K camera.
    """
    width, height = frame.width, frame.height
    gray_width, gray_height = gray_size(width, height, motion_height)
    gray = frame.reformat(width=gray_width, height=gray_height, format="gray").to_ndarray()

    letterbox = letterbox_for(width, height, *input_size)
    rgb = frame.reformat(
        width=letterbox.resized_width,
        height=letterbox.resized_height,
        format="rgb24",
        interpolation="BILINEAR",
    ).to_ndarray()

    return SampledFrame(
        camera_id=camera_id,
        index=index,
        time=time_seconds,
        wall_time=time.time(),
        width=width,
        height=height,
        gray=gray,
        rgb=rgb,
        letterbox=letterbox,
        video_frame=frame,
    )
