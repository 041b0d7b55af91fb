"""Zone previews: the camera's current frame with the zone polygon drawn on it."""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence

from PIL import Image, ImageDraw

from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant

from .client import path_id
from .const import DOMAIN, PREVIEW_LIFETIME
from .coordinator import ArgusConfigEntry

type Point = tuple[float, float]

OUTLINE = (255, 64, 64)
FILL = (255, 64, 64, 70)
PREVIEW_HEIGHT = 480


def parse_points(text: str) -> list[Point]:
    """Parse `0.1,0.2; 0.5,0.2; 0.5,0.9` into normalised points, raising ValueError."""
    points: list[Point] = []
    for part in text.replace("\n", ";").split(";"):
        if not part.strip():
            continue
        x_text, comma, y_text = part.partition(",")
        if not comma:
            raise ValueError(f"point {part.strip()!r} needs the form x,y")
        x, y = float(x_text), float(y_text)
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"point {part.strip()} is outside 0..1")
        points.append((x, y))
    if len(points) < 3:
        raise ValueError("a zone needs at least 3 points")
    return points


def format_points(points: Sequence[Sequence[float]]) -> str:
    """Format points the way `parse_points` reads them."""
    return "; ".join(f"{x:g},{y:g}" for x, y in points)


def draw_zone(jpeg: bytes, points: Sequence[Point]) -> bytes:
    """Return the frame as JPEG with the polygon filled and outlined. Run it in an executor."""
    with Image.open(io.BytesIO(jpeg)) as source:
        frame = source.convert("RGBA")
    width, height = frame.size
    pixels = [(x * width, y * height) for x, y in points]
    overlay = Image.new("RGBA", frame.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.polygon(pixels, fill=FILL)
    draw.line([*pixels, pixels[0]], fill=OUTLINE, width=max(2, height // 160))
    output = io.BytesIO()
    Image.alpha_composite(frame, overlay).convert("RGB").save(output, format="JPEG", quality=85)
    return output.getvalue()


async def async_zone_preview(hass: HomeAssistant, entry: ArgusConfigEntry, camera_id: str, points: Sequence[Point]) -> str | None:
    """Draw the zone on the camera's latest frame and return a signed URL to it, or None."""
    runtime = entry.runtime_data
    frame = await runtime.client.fetch_bytes(f"/api/cameras/{path_id(camera_id)}/latest.jpg", {"height": str(PREVIEW_HEIGHT)})
    if frame is None:
        return None
    image = await hass.async_add_executor_job(draw_zone, frame, points)

    now = hass.loop.time()
    for preview_id, (_, expires) in list(runtime.previews.items()):
        if expires < now:
            del runtime.previews[preview_id]
    preview_id = secrets.token_hex(16)
    runtime.previews[preview_id] = (image, now + PREVIEW_LIFETIME.total_seconds())
    return async_sign_path(hass, f"/api/{DOMAIN}/{entry.entry_id}/preview/{preview_id}.jpg", PREVIEW_LIFETIME)
