"""Client for the Argus engine's websocket and HTTP API.

This module imports nothing from Home Assistant, so it can be tested on its own and
moved into a library later. `ArgusClient` holds the address and token and does the
one-shot calls; `EngineConnection` is one authenticated websocket with
request/response matching by id and a push callback; `run_connection` keeps one
connection alive with capped backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

_LOGGER = logging.getLogger(__name__)

SUPPORTED_PROTOCOL_MAJOR = 1

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


class ArgusError(Exception):
    """Base class of the client's errors."""


class CannotConnect(ArgusError, ConnectionError):
    """The engine could not be reached or the connection was lost."""


class InvalidAuth(ArgusError, PermissionError):
    """The engine rejected the token."""


class UnsupportedProtocol(ArgusError):
    """The engine speaks a protocol major version this client does not know."""


class CommandError(ArgusError):
    """The engine answered a request with an error."""

    def __init__(self, code: str, message: str, field_name: str | None = None) -> None:
        """Store the engine's error code, message and the config field it refers to."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field_name


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineInfo:
    """The engine's answer to `hello`."""

    engine_id: str
    version: str
    protocol: str
    model: Any
    # Camera configs in config-file form (passwords as ***), each with its zones.
    cameras: tuple[Mapping[str, Any], ...]
    groups: Mapping[str, tuple[str, ...]]
    raw: Mapping[str, Any] = field(repr=False)

    @classmethod
    def from_result(cls, result: Mapping[str, Any]) -> EngineInfo:
        """Build the info from a `hello` result, checking the protocol version."""
        protocol = str(result.get("protocol", ""))
        major = protocol.split(".", 1)[0]
        if major != str(SUPPORTED_PROTOCOL_MAJOR):
            raise UnsupportedProtocol(
                f"engine protocol {protocol!r} is not supported; this integration speaks {SUPPORTED_PROTOCOL_MAJOR}.x"
            )
        engine_id = result.get("engine_id") or result.get("id")
        if not engine_id:
            raise ArgusError("hello result carries no engine id")
        groups = result.get("groups") or {}
        return cls(
            engine_id=str(engine_id),
            version=str(result.get("version", "")),
            protocol=protocol,
            model=result.get("model"),
            cameras=tuple(result.get("cameras") or ()),
            groups={name: tuple(members) for name, members in groups.items()},
            raw=result,
        )


type PushHandler = Callable[[dict[str, Any]], None]


class ArgusClient:
    """Address and token of one engine, plus its HTTP calls."""

    def __init__(self, session: aiohttp.ClientSession, *, host: str, port: int, token: str) -> None:
        """Remember where the engine is; the session belongs to the caller."""
        self.session = session
        self.host = host
        self.port = port
        self.token = token

    @property
    def base_url(self) -> str:
        """Return the engine's HTTP root, with IPv6 hosts in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def auth_header(self) -> dict[str, str]:
        """Return the Authorization header for HTTP requests."""
        return {"Authorization": f"Bearer {self.token}"}

    async def connect(self, on_push: PushHandler | None = None) -> EngineConnection:
        """Open and authenticate a websocket; pushes go to `on_push`."""
        connection = EngineConnection(self, on_push or _ignore_push)
        await connection.open()
        return connection

    async def async_hello(self) -> EngineInfo:
        """Connect, ask `hello`, and close again; used to test host, port and token."""
        connection = await self.connect()
        try:
            return EngineInfo.from_result(await connection.request("hello"))
        finally:
            await connection.close()

    async def request_http(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """Start an HTTP request; the caller reads and releases the response."""
        try:
            response = await self.session.request(
                method,
                self.base_url + path,
                params=params,
                headers={**self.auth_header, **(headers or {})},
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT, sock_read=REQUEST_TIMEOUT),
            )
        except (aiohttp.ClientError, TimeoutError) as err:
            raise CannotConnect(f"request to {path} failed: {err}") from err
        if response.status == 401:
            response.release()
            raise InvalidAuth("the engine rejected the token")
        return response

    async def fetch_bytes(self, path: str, params: Mapping[str, str] | None = None) -> bytes | None:
        """Return the body of a GET, or None when the engine answers 404."""
        response = await self.request_http("GET", path, params=params)
        async with response:
            if response.status == 404:
                return None
            if response.status != 200:
                raise CannotConnect(f"GET {path} returned HTTP {response.status}")
            try:
                return await response.read()
            except (aiohttp.ClientError, TimeoutError) as err:
                raise CannotConnect(f"reading {path} failed: {err}") from err

    async def fetch_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """Return the decoded JSON body of a GET."""
        response = await self.request_http("GET", path, params=params)
        async with response:
            if response.status != 200:
                raise CannotConnect(f"GET {path} returned HTTP {response.status}")
            try:
                return await response.json()
            except (aiohttp.ClientError, ValueError, TimeoutError) as err:
                raise CannotConnect(f"reading {path} failed: {err}") from err


def path_id(value: str) -> str:
    """Quote an id for a URL path segment exactly as the engine stored it."""
    return quote(value, safe="")


def _ignore_push(message: dict[str, Any]) -> None:
    """Drop pushes on connections that never subscribe."""


class EngineConnection:
    """One authenticated websocket to the engine."""

    def __init__(self, client: ArgusClient, on_push: PushHandler) -> None:
        """Prepare the connection; `open` connects."""
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
            # The session's default timeout is minutes; a stuck handshake must not delay retries.
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
            raise CannotConnect("the engine did not answer the auth message within 10 s") from err
        if message.type == aiohttp.WSMsgType.TEXT and _type_of(message.data) == "auth_ok":
            return
        if self._ws.close_code == CLOSE_UNAUTHORIZED or message.data == CLOSE_UNAUTHORIZED:
            raise InvalidAuth("the engine rejected the token")
        raise CannotConnect(f"unexpected answer to auth: {message.type.name}")

    @property
    def closed(self) -> bool:
        """Return True once the connection has ended for any reason."""
        return self._closed.done()

    async def wait_closed(self) -> ArgusError:
        """Wait until the connection ends and return why."""
        return await asyncio.shield(self._closed)

    async def request(self, message_type: str, **fields: Any) -> dict[str, Any]:
        """Send a request and return its result; errors raise CommandError."""
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
            raise CannotConnect(f"no answer to {message_type} within {REQUEST_TIMEOUT:g} s") from err
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
            # A dead link never answers the close frame; cancelling the wait makes aiohttp
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
                self._finish(CannotConnect(f"no answer to ping within {PING_TIMEOUT:g} s"))
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

    `on_connected` runs after each successful connect (it sends `hello` and `subscribe`);
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
            reason = await _serve(connection, on_connected)
            # Report the loss before the (possibly slow) close, so entities turn unavailable at once.
            on_disconnected(reason)
        finally:
            await connection.close()
        if isinstance(reason, InvalidAuth):
            return reason
        delay = BACKOFF_INITIAL
        await asyncio.sleep(delay)


async def _serve(
    connection: EngineConnection, on_connected: Callable[[EngineConnection], Awaitable[None]]
) -> ArgusError:
    try:
        await on_connected(connection)
        return await connection.wait_closed()
    except ArgusError as err:
        return err
