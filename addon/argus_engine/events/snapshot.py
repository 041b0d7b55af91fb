"""Event snapshots: the full frame with the object's box drawn, and a crop around it.

Both are JPEG files written atomically (temporary file, then `os.replace`), so a reader
never sees half a picture. Which frame is the best snapshot is decided by
`SnapshotRank`: an object whole in the frame beats one cut by the frame edge, then the
higher detection score wins.
"""

import os
import tempfile
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..detection import Box

JPEG_QUALITY = 85
# Pixels between a box and the frame edge below which the object counts as cut.
EDGE_MARGIN_PX = 4
# The crop adds this fraction of the box size on every side, and is never smaller
# than MIN_CROP_SIDE pixels on a side (unless the frame itself is smaller).
CROP_MARGIN = 0.15
MIN_CROP_SIDE = 64

_BOX_COLOR = (255, 64, 32)


class SnapshotRank(NamedTuple):
    """Quality of an object's snapshot, compared as a tuple: greater is better."""

    whole: bool
    score: float


def is_cut_by_edge(box: Box, frame_size: tuple[int, int], margin_px: float = EDGE_MARGIN_PX) -> bool:
    """Return True when the box touches the frame edge, so the object is likely cut off.

    `frame_size` is (width, height) in pixels.
    """
    width, height = frame_size
    x1, y1, x2, y2 = box
    return x1 <= margin_px or y1 <= margin_px or x2 >= width - margin_px or y2 >= height - margin_px


def snapshot_rank(score: float, box: Box, frame_size: tuple[int, int]) -> SnapshotRank:
    """Return the rank of a snapshot of an object with this score and box."""
    return SnapshotRank(not is_cut_by_edge(box, frame_size), score)


def crop_box(box: Box, frame_size: tuple[int, int]) -> tuple[int, int, int, int]:
    """Return the integer crop region around a box: the box plus a margin, kept in the frame."""
    width, height = frame_size
    x1, y1, x2, y2 = box
    left, right = _crop_span(x1, x2, width)
    top, bottom = _crop_span(y1, y2, height)
    return left, top, right, bottom


def _crop_span(low: float, high: float, limit: int) -> tuple[int, int]:
    low = min(max(low, 0.0), float(limit))
    high = min(max(high, low), float(limit))
    size = high - low
    side = min(max(size * (1 + 2 * CROP_MARGIN), MIN_CROP_SIDE), limit)
    center = (low + high) / 2
    start = int(round(center - side / 2))
    start = min(max(start, 0), limit - int(round(side)))
    return start, start + int(round(side))


def render_snapshot(rgb: np.ndarray, box: Box, caption: str) -> bytes:
    """Return a JPEG of the full frame with the box and its caption drawn."""
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    line = max(2, round(min(image.size) / 200))
    draw.rectangle([round(value) for value in box], outline=_BOX_COLOR, width=line)

    font = ImageFont.load_default(size=max(12, round(image.height / 30)))
    left, top, right, bottom = draw.textbbox((0, 0), caption, font=font)
    text_x = max(0, min(round(box[0]), image.width - (right - left) - 4))
    text_y = round(box[1]) - (bottom - top) - 6
    if text_y < 0:
        text_y = min(round(box[1]) + line, image.height - (bottom - top) - 6)
    draw.rectangle([text_x, text_y, text_x + right - left + 4, text_y + bottom - top + 6], fill=_BOX_COLOR)
    draw.text((text_x + 2 - left, text_y + 3 - top), caption, fill=(255, 255, 255), font=font)
    return _jpeg(image)


def render_crop(rgb: np.ndarray, box: Box) -> bytes:
    """Return a JPEG of the region `crop_box` picks around the box, without drawing."""
    height, width = rgb.shape[:2]
    left, top, right, bottom = crop_box(box, (width, height))
    return _jpeg(Image.fromarray(rgb[top:bottom, left:right]))


def _jpeg(image: Image.Image) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def caption(label: str, score: float) -> str:
    """Return the text drawn beside the box, e.g. `person 91%`."""
    return f"{label} {score:.0%}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_snapshot(rgb: np.ndarray, box: Box, label: str, score: float, snapshot: Path, crop: Path) -> None:
    """Write the snapshot and the crop of one object in one frame."""
    write_atomic(snapshot, render_snapshot(rgb, box, caption(label, score)))
    write_atomic(crop, render_crop(rgb, box))
