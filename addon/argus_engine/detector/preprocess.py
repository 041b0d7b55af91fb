"""Preparing a picture for the model: resize with PyAV's scaler, pad, scale to 0..1, NCHW.

Resizing uses libswscale through PyAV, the same scaler the camera source uses, so a
still image and a video frame of the same scene reach the model identically.
"""

import av
import numpy as np

from .letterbox import Letterbox, pad_to_input


def resize_rgb(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize an RGB uint8 H×W×3 picture with bilinear interpolation (libswscale)."""
    if rgb.shape[1] == width and rgb.shape[0] == height:
        return rgb
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    resized = frame.reformat(width=width, height=height, format="rgb24", interpolation="BILINEAR")
    return resized.to_ndarray()


def to_tensor(resized_rgb: np.ndarray, letterbox: Letterbox, dtype: type[np.floating] = np.float32) -> np.ndarray:
    """Pad a picture already resized to the letterbox's inner size and return the 1×3×H×W input tensor."""
    expected = (letterbox.resized_height, letterbox.resized_width, 3)
    if resized_rgb.shape != expected or resized_rgb.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 RGB of shape {expected} for this letterbox, got {resized_rgb.dtype} {resized_rgb.shape}"
        )
    padded = pad_to_input(resized_rgb, letterbox)
    tensor = padded.transpose(2, 0, 1)[np.newaxis].astype(dtype, order="C")
    tensor /= 255.0
    return tensor
