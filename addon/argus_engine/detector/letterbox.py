"""Letterbox geometry, exactly as Ultralytics computes it.

The frame is resized keeping its aspect ratio to fit the model input, centred, and the
rest padded with grey 114. Boxes the model returns are in input pixels and are mapped
back by removing the padding and undoing the scale.
"""

from dataclasses import dataclass

import numpy as np

PAD_VALUE = 114


@dataclass(frozen=True, slots=True)
class Letterbox:
    """Mapping of one frame size into one model input size."""

    scale: float
    # Resized picture size inside the input, and padding before it.
    resized_width: int
    resized_height: int
    pad_left: int
    pad_top: int
    input_width: int
    input_height: int


def letterbox_for(frame_width: int, frame_height: int, input_width: int, input_height: int) -> Letterbox:
    """Return the letterbox that fits a frame into a model input (Ultralytics' rounding)."""
    scale = min(input_width / frame_width, input_height / frame_height)
    resized_width = int(round(frame_width * scale))
    resized_height = int(round(frame_height * scale))
    # Ultralytics splits odd padding with round(d - 0.1) before and round(d + 0.1) after.
    pad_left = int(round((input_width - resized_width) / 2 - 0.1))
    pad_top = int(round((input_height - resized_height) / 2 - 0.1))
    return Letterbox(scale, resized_width, resized_height, pad_left, pad_top, input_width, input_height)


def pad_to_input(resized_rgb: np.ndarray, letterbox: Letterbox) -> np.ndarray:
    """Place a resized RGB uint8 picture into the padded input; returns uint8 H×W×3."""
    canvas = np.full((letterbox.input_height, letterbox.input_width, 3), PAD_VALUE, dtype=np.uint8)
    top, left = letterbox.pad_top, letterbox.pad_left
    canvas[top : top + letterbox.resized_height, left : left + letterbox.resized_width] = resized_rgb
    return canvas


def boxes_to_frame(boxes: np.ndarray, letterbox: Letterbox, frame_width: int, frame_height: int) -> np.ndarray:
    """Map N×4 boxes (x1, y1, x2, y2) from input pixels back to frame pixels, clipped to the frame."""
    mapped = boxes.astype(np.float64, copy=True)
    mapped[:, [0, 2]] = (mapped[:, [0, 2]] - letterbox.pad_left) / letterbox.scale
    mapped[:, [1, 3]] = (mapped[:, [1, 3]] - letterbox.pad_top) / letterbox.scale
    mapped[:, [0, 2]] = mapped[:, [0, 2]].clip(0, frame_width)
    mapped[:, [1, 3]] = mapped[:, [1, 3]].clip(0, frame_height)
    return mapped
