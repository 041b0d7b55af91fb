"""The websocket endpoint `/api/ws`: authentication, request dispatch and the live feed.

Each connection reads requests in order and replies to each one before reading the next.
Live pushes go through the connection's `Subscriber` (hub.py), whose bounded queue is
drained by its own task, so a client that stops reading is cut off instead of growing
the engine's memory.
"""

import asyncio
import itertools
import json
import logging
import math
import socket
from typing import Any

from aiohttp import WSMsgType, web

from ..camera_registry import CommandError
from ..hub import Subscriber, encode
from ..stream_url import redact
from .errors import INTERNAL_ERROR, INVALID_JSON, INVALID_MESSAGE, UNAUTHORIZED, UNKNOWN_TYPE, ApiError

_LOGGER = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 64 * 1024
# Seconds between websocket pings; a client that misses the pong for half of it is closed.
HEARTBEAT = 20.0
AUTH_TIMEOUT = 10.0
# The deepest valid request (camera, zones, zone, points, point) nests 6 levels; validating
# much deeper input would only exhaust the validator's recursion.
MAX_DEPTH = 16
SEND_BUFFER_BYTES = 64 * 1024
CLOSE_UNAUTHORIZED = 4001
CLOSE_GOING_AWAY = 1001
# JSON integers must survive a round trip through a JavaScript client.
MAX_SAFE_INTEGER = 2**53 - 1

_numbers = itertools.count(1)


class Connection:
    """One authenticated (or authenticating) websocket client."""

    def __init__(self, app: web.Application, request: web.Request, ws: web.WebSocketResponse) -> None:
        from . import CONNECTIONS, ENGINE

        self.app = app
        self.engine = app[ENGINE]
        self.connections = app[CONNECTIONS]
        self.request = request
        self.ws = ws
        self.name = f"ws{next(_numbers)}@{request.remote}"
        self.subscriber: Subscriber | None = None

    async def run(self) -> None:
        """Serve the connection until the client or the engine closes it."""
        if not self.request.get("authenticated") and not await self._authenticate():
            return
        self.connections.add(self)
        _LOGGER.debug("Websocket %s connected", self.name)
        try:
            async for message in self.ws:
                if message.type is WSMsgType.TEXT:
                    await self.handle_text(message.data)
                elif message.type is WSMsgType.BINARY:
                    await self.send_error(None, ApiError(INVALID_MESSAGE, "binary frames are not supported; send JSON text"))
        finally:
            self.connections.discard(self)
            await self.unsubscribe()
            _LOGGER.debug("Websocket %s closed (code %s)", self.name, self.ws.close_code)

    async def _authenticate(self) -> bool:
        try:
            message = await self.ws.receive(timeout=AUTH_TIMEOUT)
        except TimeoutError:
            await self.close(CLOSE_UNAUTHORIZED, "no auth message within 10 s")
            return False
        data = _loads(message.data) if message.type is WSMsgType.TEXT else None
        if not isinstance(data, dict) or data.get("type") != "auth" or not self.engine.tokens.check(data.get("token")):
            await self.close(CLOSE_UNAUTHORIZED, "unauthorized")
            return False
        reply: dict[str, Any] = {"type": "auth_ok"}
        if _valid_id(data.get("id")):
            reply["id"] = data["id"]
        await self.send(reply)
        return True

    async def handle_text(self, text: str) -> None:
        """Parse one request and send its reply; every failure becomes an error reply."""
        from .commands import HANDLERS, REPLIED

        data = _loads(text)
        if data is _INVALID:
            await self.send_error(None, ApiError(INVALID_JSON, "message is not valid JSON"))
            return
        if not isinstance(data, dict):
            await self.send_error(None, ApiError(INVALID_MESSAGE, "message must be a JSON object"))
            return
        if _too_deep(data):
            await self.send_error(None, ApiError(INVALID_MESSAGE, f"message is nested deeper than {MAX_DEPTH} levels"))
            return
        if data.get("type") == "auth":
            await self._repeat_auth(data)
            return
        request_id = data.get("id")
        if not _valid_id(request_id):
            await self.send_error(None, ApiError(INVALID_MESSAGE, "id must be an integer", field="id"))
            return
        kind = data.get("type")
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await self.send_error(request_id, ApiError(UNKNOWN_TYPE, f"unknown message type {_short(kind)}", field="type"))
            return

        try:
            result = await handler(self, data)
        except ApiError as err:
            await self.send_error(request_id, err)
        except CommandError as err:
            await self.send_error(request_id, ApiError(err.code, redact(str(err)), field=err.field))
        except Exception:
            _LOGGER.exception("Request %s from %s failed", kind, self.name)
            await self.send_error(request_id, ApiError(INTERNAL_ERROR, f"{kind} failed inside the engine; see the engine log"))
        else:
            if result is not REPLIED:
                await self.send({"id": request_id, "type": "result", "success": True, "result": result})

    async def _repeat_auth(self, data: dict[str, Any]) -> None:
        """Reply to an `auth` on a socket that already authenticated by header."""
        request_id = data["id"] if _valid_id(data.get("id")) else None
        if not self.engine.tokens.check(data.get("token")):
            await self.send_error(request_id, ApiError(UNAUTHORIZED, "wrong token", field="token"))
            return
        reply: dict[str, Any] = {"type": "auth_ok"}
        if request_id is not None:
            reply["id"] = request_id
        await self.send(reply)

    async def send(self, message: dict[str, Any]) -> None:
        """Send one message now (replies, snapshot and replay)."""
        try:
            text = encode(message)
        except (TypeError, ValueError):
            _LOGGER.exception("Message of type %s to %s cannot be encoded as JSON", message.get("type"), self.name)
            error = ApiError(INTERNAL_ERROR, "the reply could not be encoded; see the engine log")
            text = encode({"id": message.get("id"), "type": "result", "success": False, "error": error.to_json()})
        await self.send_text(text)

    async def send_text(self, text: str) -> None:
        """Send already encoded text; a connection that went away is left to `run` to clean up."""
        if self.ws.closed:
            return
        try:
            await self.ws.send_str(text)
        except ConnectionError as err:
            _LOGGER.debug("Send to %s failed: %r", self.name, err)

    async def send_error(self, request_id: int | None, error: ApiError) -> None:
        """Send an error reply."""
        await self.send({"id": request_id, "type": "result", "success": False, "error": error.to_json()})

    async def close(self, code: int, reason: str) -> None:
        """Close the websocket with a code and a reason."""
        await self.ws.close(code=code, message=reason.encode("utf-8"))

    async def unsubscribe(self) -> None:
        """Leave the live feed, if subscribed."""
        subscriber, self.subscriber = self.subscriber, None
        if subscriber is not None:
            self.engine.hub.discard(subscriber)
            await subscriber.stop()


async def websocket_view(request: web.Request) -> web.WebSocketResponse:
    """Upgrade to a websocket and serve it."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE_SIZE)
    await ws.prepare(request)
    _limit_send_buffer(request)
    connection = Connection(request.app, request, ws)
    await connection.run()
    return ws


def _limit_send_buffer(request: web.Request) -> None:
    # Linux grows a socket's send buffer up to several MB for a client that does not
    # read. Capping it keeps that memory small, and the subscriber queue then fills
    # up, which is how a slow consumer is detected.
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        except OSError as err:
            _LOGGER.debug("Cannot set the send buffer size: %s", err)


async def close_all(connections: set[Connection], code: int, reason: str, *, keep: Connection | None = None) -> None:
    """Close every connection but `keep`."""
    targets = [connection for connection in list(connections) if connection is not keep]
    await asyncio.gather(*(connection.close(code, reason) for connection in targets), return_exceptions=True)


_INVALID = object()


def _loads(text: Any) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, RecursionError, TypeError):
        # RecursionError: deeply nested arrays exceed the parser's stack.
        return _INVALID


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:20]} is out of range")
    return value


def _too_deep(value: Any) -> bool:
    """Return True when arrays and objects nest deeper than MAX_DEPTH (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _valid_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_SAFE_INTEGER


def _short(value: Any) -> str:
    """Return a repr short enough to echo in an error message."""
    text = repr(value)
    return text if len(text) <= 64 else text[:61] + "..."
