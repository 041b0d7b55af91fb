"""Frames as the source hands them on: sampled, with the cheap conversions already done."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .detector.letterbox import Letterbox

if TYPE_CHECKING:
    import av


@dataclass(slots=True)
class SampledFrame:
    """A decoded frame picked at the camera's detect fps.

    Only these frames are converted: `gray` for the motion gate and `rgb` resized for the
    detector by PyAV's scaler. The full-size picture stays as the decoded `video_frame`
    and is converted only when a snapshot needs it.
    """

    camera_id: str
    # Sequence number among sampled frames since the source started; it never goes back.
    index: int
    # Stream seconds from PTS, kept increasing across reconnects and loops, and the wall
    # clock at decode.
    time: float
    wall_time: float
    width: int
    height: int
    # Small grayscale copy (uint8, H×W) from the Y plane, for the motion gate.
    gray: np.ndarray
    # RGB (uint8, H×W×3) resized to the letterbox's inner size, not yet padded.
    rgb: np.ndarray
    letterbox: Letterbox
    video_frame: "av.VideoFrame"

    def full_rgb(self) -> np.ndarray:
        """Return the full-size frame as RGB (uint8, H×W×3); costly, for snapshots only."""
        return self.video_frame.to_ndarray(format="rgb24")
