"""HTTP endpoints: health, camera frames, the event list and event media, stats."""

import asyncio
import json
import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import __version__
from ..events.model import Event
from .errors import INVALID_MESSAGE, UNAVAILABLE, error_response, not_found

_LOGGER = logging.getLogger(__name__)

# Event ids look like `ev_0193a5f0c1d2_k3m9x2ab`; anything else cannot name an event.
EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
MEDIA = {"snapshot.jpg": ("snapshot", "image/jpeg"), "crop.jpg": ("crop", "image/jpeg"), "clip.mp4": ("clip", "video/mp4")}
MAX_HEIGHT = 4320
MJPEG_BOUNDARY = "argusframe"
MJPEG_MAX_FPS = 10.0
EVENTS_DEFAULT_LIMIT = 50
EVENTS_MAX_LIMIT = 500


def _engine(request: web.Request) -> Any:
    from . import ENGINE

    return request.app[ENGINE]


async def health(request: web.Request) -> web.Response:
    """Return ok and the version, without a token, for liveness probes."""
    return web.json_response({"status": "ok", "version": __version__})


async def stats(request: web.Request) -> web.Response:
    """Return fresh per-camera, detector and process figures."""
    engine = _engine(request)
    return web.json_response(await asyncio.to_thread(engine.collect_stats))


# --- camera frames ---------------------------------------------------------------------


def _frame_options(request: web.Request) -> tuple[bool, int | None]:
    annotate = request.query.get("annotate", "0").lower() in ("1", "true", "yes")
    height_text = request.query.get("height")
    if height_text is None:
        return annotate, None
    if not height_text.isdigit() or not 1 <= int(height_text) <= MAX_HEIGHT:
        raise _bad_query(f"height must be an integer from 1 to {MAX_HEIGHT}")
    return annotate, int(height_text)


def _worker(request: web.Request) -> Any:
    engine = _engine(request)
    camera_id = request.match_info["camera_id"]
    if not any(camera.id == camera_id for camera in engine.cameras.cameras):
        return None, not_found(f"camera {camera_id[:64]!r}")
    worker = engine.cameras.worker(camera_id)
    if worker is None:
        return None, error_response(503, UNAVAILABLE, f"camera {camera_id!r} is not running")
    return worker, None


async def latest_jpeg(request: web.Request) -> web.Response:
    """Return the camera's newest frame as JPEG, optionally annotated and scaled down."""
    annotate, height = _frame_options(request)
    worker, error = _worker(request)
    if error is not None:
        return error
    jpeg = await asyncio.to_thread(worker.latest_jpeg, annotate=annotate, height=height)
    if jpeg is None:
        return error_response(503, UNAVAILABLE, "no frame received from the camera yet")
    return web.Response(body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def mjpeg(request: web.Request) -> web.StreamResponse:
    """Stream annotated frames as multipart/x-mixed-replace until the client goes away."""
    annotate = request.query.get("annotate", "1").lower() in ("1", "true", "yes")
    _, height = _frame_options(request)
    worker, error = _worker(request)
    if error is not None:
        return error
    response = web.StreamResponse(headers={"Cache-Control": "no-store"})
    response.content_type = f"multipart/x-mixed-replace;boundary={MJPEG_BOUNDARY}"
    await response.prepare(request)
    interval = 1.0 / min(MJPEG_MAX_FPS, max(_camera_fps(_engine(request), request), 1.0))
    stopping = _stopping(request)
    try:
        while not stopping.is_set():
            jpeg = await asyncio.to_thread(worker.latest_jpeg, annotate=annotate, height=height)
            if jpeg is not None:
                await response.write(_mjpeg_part(jpeg))
            try:
                await asyncio.wait_for(stopping.wait(), interval)
            except TimeoutError:
                pass
    except ConnectionError:
        # The client closed the view; aiohttp may also cancel the handler instead.
        _LOGGER.debug("MJPEG client %s left", request.remote)
    return response


def _stopping(request: web.Request) -> asyncio.Event:
    from . import STOPPING

    return request.app[STOPPING]


def _camera_fps(engine: Any, request: web.Request) -> float:
    """Return the camera's detect fps, the rate at which its annotated frame changes."""
    camera_id = request.match_info["camera_id"]
    camera = next((camera for camera in engine.cameras.cameras if camera.id == camera_id), None)
    return camera.detect_fps if camera is not None else 1.0


def _mjpeg_part(jpeg: bytes) -> bytes:
    head = f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
    return head.encode("ascii") + jpeg + b"\r\n"


# --- events ------------------------------------------------------------------------------


def _float_query(request: web.Request, name: str) -> float | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise _bad_query(f"{name} must be a Unix time in seconds")
    return value


def _bad_query(message: str) -> web.HTTPBadRequest:
    body = json.dumps({"error": {"code": INVALID_MESSAGE, "message": message}})
    return web.HTTPBadRequest(text=body, content_type="application/json")


def _limit(request: web.Request) -> int:
    text = request.query.get("limit", str(EVENTS_DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= EVENTS_MAX_LIMIT:
        raise _bad_query(f"limit must be an integer from 1 to {EVENTS_MAX_LIMIT}")
    return int(text)


async def events(request: web.Request) -> web.Response:
    """Return one page of events, newest first, and the cursor of the next page."""
    engine = _engine(request)
    cursor = request.query.get("cursor")
    if cursor is not None and not EVENT_ID.match(cursor):
        raise _bad_query("cursor must be a next value from an earlier page")
    filters = {name: request.query.get(name) for name in ("camera", "label", "zone")}
    rows, next_cursor = await asyncio.to_thread(
        engine.store.query_events,
        **filters,
        after=_float_query(request, "after"),
        before=_float_query(request, "before"),
        limit=_limit(request),
        cursor=cursor,
    )
    return web.json_response({"events": [Event.from_row(row).to_json() for row in rows], "next": next_cursor})


async def _event_row(request: web.Request) -> dict[str, Any] | None:
    event_id = request.match_info["event_id"]
    if not EVENT_ID.match(event_id):
        return None
    return await asyncio.to_thread(_engine(request).store.get_event, event_id)


async def event(request: web.Request) -> web.Response:
    """Return one event."""
    row = await _event_row(request)
    if row is None:
        return not_found("event")
    return web.json_response(Event.from_row(row).to_json())


async def event_media(request: web.Request) -> web.StreamResponse:
    """Return an event's snapshot, crop or clip; FileResponse serves range requests."""
    kind, content_type = MEDIA[request.match_info["media"]]
    row = await _event_row(request)
    if row is None:
        return not_found("event")
    path = safe_media_path(_engine(request).media_dir, row.get(f"{kind}_path"))
    if path is None:
        return not_found(f"{kind} of this event")
    return web.FileResponse(path, headers={"Content-Type": content_type, "Cache-Control": "private, max-age=86400"})


def safe_media_path(media_dir: Path, relative: Any) -> Path | None:
    """Resolve a stored media path; None unless it is an existing file inside `media_dir`."""
    if not isinstance(relative, str) or not relative or "\x00" in relative:
        return None
    root = media_dir.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
