"""Drawing detections onto a picture, for the `detect` command's annotated JPEG."""

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..detection import Detection
from ..errors import InputError

# Distinct colours cycled by class id, so one class keeps one colour across frames.
_PALETTE = (
    (255, 56, 56),
    (72, 249, 10),
    (0, 194, 255),
    (255, 178, 29),
    (207, 210, 49),
    (146, 204, 23),
    (255, 55, 199),
    (134, 58, 255),
)


def draw_detections(rgb: np.ndarray, detections: Sequence[Detection]) -> Image.Image:
    """Return a copy of an RGB uint8 picture with a box and "label score" for each detection."""
    image = Image.fromarray(rgb, mode="RGB")
    draw = ImageDraw.Draw(image)
    line_width = max(2, round(min(image.size) / 300))
    font = ImageFont.load_default(size=max(12, min(image.size) // 40))

    for detection in detections:
        colour = _PALETTE[detection.class_id % len(_PALETTE)]
        x1, y1, x2, y2 = detection.box
        draw.rectangle((x1, y1, x2, y2), outline=colour, width=line_width)

        caption = f"{detection.label} {detection.score:.2f}"
        left, top, right, bottom = draw.textbbox((x1, y1), caption, font=font)
        # Put the caption above the box, or inside it when the box touches the top edge.
        lift = bottom - top + 4 if y1 - (bottom - top + 4) >= 0 else 0
        draw.rectangle((left, top - lift, right + 4, bottom - lift + 2), fill=colour)
        draw.text((x1 + 2, y1 - lift + 1), caption, fill=(255, 255, 255), font=font)
    return image


def write_annotated(path: str | Path, rgb: np.ndarray, detections: Sequence[Detection]) -> None:
    """Write the annotated picture, PNG for a `.png` name and JPEG otherwise; raise InputError on failure."""
    image = draw_detections(rgb, detections)
    png = str(path).lower().endswith(".png")
    try:
        if png:
            image.save(path, format="PNG")
        else:
            image.save(path, format="JPEG", quality=90)
    except OSError as err:
        raise InputError(f"cannot write annotated image {path}: {err}") from None
