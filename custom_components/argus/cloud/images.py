"""Image preparation before anything leaves the house.

Every image is decoded and re-encoded as a fresh baseline JPEG, so EXIF, GPS,
comments and other metadata of the source never reach the cloud. Pillow work is
CPU-bound: callers run these functions in an executor, never in the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

# Each shrink step keeps this share of the long side.
SHRINK_FACTOR = 0.7
MIN_SIDE = 64


@dataclass(frozen=True, slots=True)
class PreparedImage:
    """A metadata-free JPEG ready to upload, with its pixel size."""

    jpeg: bytes
    width: int
    height: int

    @property
    def long_side(self) -> int:
        """Return the longer of width and height in pixels."""
        return max(self.width, self.height)


def prepare_image(source: bytes, max_side: int, quality: int) -> PreparedImage:
    """Decode `source`, downscale it to at most `max_side` pixels on its long side and re-encode.

    Raises `ImageError` when `source` is not a readable image.
    """
    try:
        with Image.open(io.BytesIO(source)) as opened:
            # Apply the EXIF orientation before the metadata is dropped.
            image = ImageOps.exif_transpose(opened)
            image = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise ImageError(f"snapshot is not a readable image ({len(source)} bytes): {err}") from err
    return _encode(image, max_side, quality)


def shrink(prepared: PreparedImage, quality: int) -> PreparedImage:
    """Return a smaller copy of an already prepared image, for a 413 or an oversized body.

    Raises `ImageError` when the image is already at the minimum size, because
    sending the same payload again would fail the same way.
    """
    if prepared.long_side <= MIN_SIDE:
        raise ImageError(f"image is already {prepared.width}x{prepared.height}; cannot shrink further")
    with Image.open(io.BytesIO(prepared.jpeg)) as opened:
        image = opened.convert("RGB")
    target = max(MIN_SIDE, int(prepared.long_side * SHRINK_FACTOR))
    return _encode(image, target, max(30, quality - 10))


def _encode(image: Image.Image, max_side: int, quality: int) -> PreparedImage:
    image = image.copy()
    # Pillow carries some source metadata (a JPEG comment, for one) in `info`.
    image.info = {}
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # No exif=, icc_profile= or comment arguments: Pillow then writes none of them.
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return PreparedImage(buffer.getvalue(), image.width, image.height)
