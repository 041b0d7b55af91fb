"""One authenticated websocket to the engine, and the loop that keeps one alive.

`EngineConnection` matches replies to requests by id and hands every other message to
a push callback. `run_connection` reconnects with capped backoff until the token is
rejected. Like `client.py`, this module imports nothing from Home Assistant.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp

from .exceptions import ArgusError, CannotConnect, CommandError, InvalidAuth

if TYPE_CHECKING:
    from .client import ArgusClient

_LOGGER = logging.getLogger(__name__)

# A dead connection must be noticed within 10 s: the application ping goes out every
# PING_INTERVAL seconds and the connection is dropped when its reply takes longer than
# PING_TIMEOUT, so silence is noticed after at most 8 s.
# NOTE: aiohttp's own `heartbeat=` is not used: in aiohttp 3.11.16, `receive()` re-arms the
# heartbeat timer after the heartbeat has closed the socket, which leaves a stray timer.
PING_INTERVAL = 4.0
PING_TIMEOUT = 4.0

CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 10.0
CLOSE_TIMEOUT = 2.0

# Reconnect delays double from BACKOFF_INITIAL up to BACKOFF_MAX seconds. The cap is low
# because the engine is on the local network and a restarted engine should be picked up
# within seconds, not minutes.
BACKOFF_INITIAL = 0.5
BACKOFF_MAX = 5.0

# Close code the engine uses for a wrong or revoked token.
CLOSE_UNAUTHORIZED = 4001


type PushHandler = Callable[[dict[str, Any]], None]


class EngineConnection:
    """One authenticated websocket to the engine."""

    def __init__(self, client: ArgusClient, on_push: PushHandler) -> None:
        """Prepare the connection, which `open` connects."""
        self._client = client
        self._on_push = on_push
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closed: asyncio.Future[ArgusError] = asyncio.get_running_loop().create_future()

    async def open(self) -> None:
        """Connect, authenticate, and start the reader and heartbeat tasks."""
        url = self._client.base_url + "/api/ws"
        try:
            # The session's default timeout is minutes, and a stuck handshake must not delay retries.
            async with asyncio.timeout(CONNECT_TIMEOUT):
                self._ws = await self._client.session.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=CONNECT_TIMEOUT))
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise InvalidAuth("the engine rejected the token") from err
            raise CannotConnect(f"websocket handshake with {url} failed: HTTP {err.status}") from err
        except (aiohttp.ClientError, TimeoutError, OSError) as err:
            raise CannotConnect(f"cannot connect to {url}: {err}") from err

        try:
            await self._authenticate()
        except BaseException:
            await self._ws.close()
            raise
        self._tasks = [
            asyncio.create_task(self._read_loop(), name="argus websocket reader"),
            asyncio.create_task(self._ping_loop(), name="argus websocket heartbeat"),
        ]

    async def _authenticate(self) -> None:
        assert self._ws is not None
        await self._ws.send_json({"type": "auth", "token": self._client.token})
        try:
            message = await self._ws.receive(timeout=CONNECT_TIMEOUT)
        except TimeoutError as err:
            raise CannotConnect(f"no reply to the auth message within {CONNECT_TIMEOUT:g} s") from err
        if message.type == aiohttp.WSMsgType.TEXT and _type_of(message.data) == "auth_ok":
            return
        if self._ws.close_code == CLOSE_UNAUTHORIZED or message.data == CLOSE_UNAUTHORIZED:
            raise InvalidAuth("the engine rejected the token")
        raise CannotConnect(f"unexpected reply to the auth message: {message.type.name}")

    @property
    def closed(self) -> bool:
        """Return True once the connection has ended for any reason."""
        return self._closed.done()

    async def wait_closed(self) -> ArgusError:
        """Wait until the connection ends and return why."""
        return await asyncio.shield(self._closed)

    async def request(self, message_type: str, **fields: Any) -> dict[str, Any]:
        """Send a request and return its result. An error reply raises CommandError."""
        if self._ws is None or self.closed:
            raise CannotConnect("not connected to the engine")
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        try:
            await self._ws.send_json({"id": message_id, "type": message_type, **fields})
            async with asyncio.timeout(REQUEST_TIMEOUT):
                return await future
        except (aiohttp.ClientError, ConnectionError) as err:
            raise CannotConnect(f"sending {message_type} failed: {err}") from err
        except TimeoutError as err:
            raise CannotConnect(f"no reply to {message_type} within {REQUEST_TIMEOUT:g} s") from err
        finally:
            self._pending.pop(message_id, None)

    async def close(self) -> None:
        """Close the websocket and stop the background tasks."""
        self._finish(CannotConnect("connection closed by the integration"))
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._ws is not None:
            # A dead link never replies to the close frame. Cancelling the wait makes aiohttp
            # drop the connection instead.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT):
                    await self._ws.close()

    async def _read_loop(self) -> None:
        assert self._ws is not None
        reason: ArgusError = CannotConnect("the engine closed the connection")
        try:
            async for message in self._ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(message.json())
                elif message.type == aiohttp.WSMsgType.ERROR:
                    reason = CannotConnect(f"websocket error: {self._ws.exception()}")
        except (ValueError, aiohttp.ClientError) as err:
            reason = CannotConnect(f"websocket read failed: {err}")
        if self._ws.close_code == CLOSE_UNAUTHORIZED:
            reason = InvalidAuth("the engine closed the connection because the token is no longer valid")
        elif self._ws.close_code is not None and isinstance(reason, CannotConnect):
            reason = CannotConnect(f"the engine closed the connection (code {self._ws.close_code})")
        self._finish(reason)

    def _dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") != "result" or "id" not in message:
            self._on_push(message)
            return
        future = self._pending.get(message["id"])
        if future is None or future.done():
            return
        if message.get("success"):
            future.set_result(message.get("result") or {})
            return
        error = message.get("error") or {}
        future.set_exception(
            CommandError(str(error.get("code", "unknown")), str(error.get("message", "")), error.get("field"))
        )

    async def _ping_loop(self) -> None:
        while not self.closed:
            await asyncio.sleep(PING_INTERVAL)
            try:
                async with asyncio.timeout(PING_TIMEOUT):
                    await self.request("ping")
            except (ArgusError, TimeoutError) as err:
                _LOGGER.debug("Heartbeat to %s failed: %r", self._client.base_url, err)
                self._finish(CannotConnect(f"no reply to ping within {PING_TIMEOUT:g} s"))
                return

    def _finish(self, reason: ArgusError) -> None:
        if self._closed.done():
            return
        self._closed.set_result(reason)
        for future in self._pending.values():
            if not future.done():
                future.set_exception(CannotConnect(str(reason)))


def _type_of(text: str) -> str | None:
    try:
        return json.loads(text).get("type")
    except (ValueError, AttributeError):
        return None


async def run_connection(
    client: ArgusClient,
    *,
    on_push: PushHandler,
    on_connected: Callable[[EngineConnection], Awaitable[None]],
    on_disconnected: Callable[[ArgusError], None],
) -> InvalidAuth:
    """Keep one subscribed connection alive until the token is rejected.

    `on_connected` runs after each successful connect and sends `hello` and `subscribe`.
    `on_disconnected` runs once per lost connection and per failed attempt. Returns the
    InvalidAuth error that ended the loop; cancel the task to stop it otherwise.
    """
    delay = BACKOFF_INITIAL
    while True:
        try:
            connection = await client.connect(on_push)
        except InvalidAuth as err:
            on_disconnected(err)
            return err
        except CannotConnect as err:
            on_disconnected(err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
            continue

        try:
            reason, subscribed = await _serve(connection, on_connected)
            # Report the loss before the (possibly slow) close, so entities turn unavailable at once.
            on_disconnected(reason)
        finally:
            await connection.close()
        if isinstance(reason, InvalidAuth):
            return reason
        # Only a connection that got as far as subscribing resets the backoff, so an engine
        # that fails `hello` or `subscribe` every time is not retried twice a second.
        delay = BACKOFF_INITIAL if subscribed else min(delay * 2, BACKOFF_MAX)
        await asyncio.sleep(delay)


async def _serve(
    connection: EngineConnection, on_connected: Callable[[EngineConnection], Awaitable[None]]
) -> tuple[ArgusError, bool]:
    """Run `on_connected` and wait for the end. Return why it ended and whether it subscribed."""
    try:
        await on_connected(connection)
    except ArgusError as err:
        return err, False
    return await connection.wait_closed(), True
