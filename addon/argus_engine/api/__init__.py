"""The engine's aiohttp application: routes, token middleware and shutdown of live sockets."""

import asyncio

from aiohttp import web

from ..engine import Engine
from . import views
from .auth import make_auth_middleware
from .errors import INVALID_MESSAGE, NOT_FOUND, error_response
from .ws import CLOSE_GOING_AWAY, Connection, close_all, websocket_view

ENGINE = web.AppKey("engine", Engine)
CONNECTIONS = web.AppKey("connections", set[Connection])
# Set on shutdown so endless responses (MJPEG) end instead of holding the server open.
STOPPING = web.AppKey("stopping", asyncio.Event)


def create_app(engine: Engine) -> web.Application:
    """Build the app serving `engine`; the caller starts and stops the engine itself."""
    app = web.Application(middlewares=[_json_errors, make_auth_middleware(engine.tokens)], client_max_size=64 * 1024)
    app[ENGINE] = engine
    app[CONNECTIONS] = set()
    app[STOPPING] = asyncio.Event()
    app.router.add_get("/api/health", views.health)
    app.router.add_get("/api/ws", websocket_view)
    app.router.add_get("/api/stats", views.stats)
    app.router.add_get("/api/cameras/{camera_id}/latest.jpg", views.latest_jpeg)
    app.router.add_get("/api/cameras/{camera_id}/mjpeg", views.mjpeg)
    app.router.add_get("/api/events", views.events)
    app.router.add_get("/api/events/{event_id}", views.event)
    app.router.add_get("/api/events/{event_id}/{media:snapshot\\.jpg|crop\\.jpg|clip\\.mp4}", views.event_media)
    app.on_shutdown.append(_close_websockets)
    return app


@web.middleware
async def _json_errors(request: web.Request, handler) -> web.StreamResponse:
    """Return the API's JSON error body for unknown paths and methods, instead of aiohttp's text."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return error_response(404, NOT_FOUND, f"no such endpoint or item: {request.path}")
    except web.HTTPMethodNotAllowed as err:
        response = error_response(405, INVALID_MESSAGE, f"method {request.method} is not allowed here")
        response.headers["Allow"] = ", ".join(sorted(err.allowed_methods))
        return response


async def _close_websockets(app: web.Application) -> None:
    app[STOPPING].set()
    await close_all(app[CONNECTIONS], CLOSE_GOING_AWAY, "engine stopping")
