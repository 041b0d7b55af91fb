"""Preparing a picture for the model: resize with PyAV's scaler, pad, scale to 0..1, NCHW.

Resizing uses libswscale through PyAV, the same scaler the camera source uses, so a
still image and a video frame of the same scene reach the model identically.
"""

import av
import numpy as np

from .letterbox import PAD_VALUE, Letterbox, pad_to_input


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an RGB uint8 H×W×3 picture with bilinear interpolation (libswscale)."""
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    resized = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR")
    return resized.to_ndarray()


def to_tensor(resized_rgb: np.ndarray, letterbox: Letterbox, dtype: type[np.floating] = np.float32) -> np.ndarray:
    """Pad a picture already resized to the letterbox's inner size and return the 1×3×H×W input tensor."""
    _check_resized(resized_rgb, letterbox)
    padded = pad_to_input(resized_rgb, letterbox)
    tensor = padded.transpose(2, 0, 1)[np.newaxis].astype(dtype, order="C")
    tensor /= 255.0
    return tensor


class TensorBuffer:
    """One reused input tensor, equal to `to_tensor` but without allocating per frame.

    Only the picture area is rewritten per frame. The padding is refilled when the
    letterbox changes, which happens when cameras of different sizes share a detector.
    Not thread-safe, because the tensor returned is the buffer itself, valid until the next
    `fill`.
    """

    def __init__(self, dtype: type[np.floating] = np.float32) -> None:
        self._dtype = dtype
        self._tensor: np.ndarray | None = None
        self._letterbox: Letterbox | None = None

    def fill(self, resized_rgb: np.ndarray, letterbox: Letterbox) -> np.ndarray:
        """Write a resized picture into the buffer and return the 1×3×H×W tensor."""
        _check_resized(resized_rgb, letterbox)
        if self._tensor is None or letterbox != self._letterbox:
            shape = (1, 3, letterbox.input_height, letterbox.input_width)
            self._tensor = np.full(shape, PAD_VALUE, dtype=self._dtype)
            self._tensor /= 255.0
            self._letterbox = letterbox

        top, left = letterbox.pad_top, letterbox.pad_left
        area = self._tensor[0, :, top : top + letterbox.resized_height, left : left + letterbox.resized_width]
        np.divide(resized_rgb.transpose(2, 0, 1), self._dtype(255.0), out=area)
        return self._tensor


def _check_resized(resized_rgb: np.ndarray, letterbox: Letterbox) -> None:
    expected = (letterbox.resized_height, letterbox.resized_width, 3)
    if resized_rgb.shape != expected or resized_rgb.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 RGB of shape {expected} for this letterbox, got {resized_rgb.dtype} {resized_rgb.shape}"
        )
