"""Client for the Argus engine's HTTP API, and the entry point to its websocket.

This module imports nothing from Home Assistant, so it can be tested on its own and
moved into a library later. `ArgusClient` stores the address and token and makes the
one-shot calls. The websocket lives in `connection.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp

from .connection import CONNECT_TIMEOUT, REQUEST_TIMEOUT, EngineConnection, PushHandler, run_connection
from .exceptions import ArgusError, CannotConnect, CommandError, InvalidAuth, UnsupportedProtocol

__all__ = [
    "ArgusClient",
    "ArgusError",
    "CannotConnect",
    "CommandError",
    "EngineConnection",
    "EngineInfo",
    "InvalidAuth",
    "UnsupportedProtocol",
    "path_id",
    "run_connection",
]

SUPPORTED_PROTOCOL_MAJOR = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineInfo:
    """The result of the engine's `hello` request."""

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


class ArgusClient:
    """Address and token of one engine, plus its HTTP calls."""

    def __init__(self, session: aiohttp.ClientSession, *, host: str, port: int, token: str) -> None:
        """Remember where the engine is. The session belongs to the caller."""
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
        """Open and authenticate a websocket whose pushes go to `on_push`."""
        connection = EngineConnection(self, on_push or _ignore_push)
        await connection.open()
        return connection

    async def async_hello(self) -> EngineInfo:
        """Connect, request `hello` and close again, to test host, port and token."""
        connection = await self.connect()
        try:
            return EngineInfo.from_result(await connection.request("hello"))
        finally:
            await connection.close()

    async def request_http(
        self, method: str, path: str, *, params: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None
    ) -> aiohttp.ClientResponse:
        """Start an HTTP request. The caller reads and releases the response."""
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
        """Return the body of a GET, or None when the engine returns 404."""
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
