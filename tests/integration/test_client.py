"""The engine client on its own, against the real engine and plain local HTTP servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from custom_components.argus import client as client_module, connection as connection_module
from custom_components.argus.client import (
    ArgusClient,
    CannotConnect,
    CommandError,
    EngineInfo,
    InvalidAuth,
    UnsupportedProtocol,
    run_connection,
)

from tests.helpers.rtsp import free_port
from tests.integration.engine_server import EngineServer, wait_until
from tests.integration.tcp_proxy import FreezableProxy


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def client_for(session: aiohttp.ClientSession, server: EngineServer, **overrides) -> ArgusClient:
    return ArgusClient(session, **{"host": "127.0.0.1", "port": server.port, "token": server.token, **overrides})


async def test_http_errors(engine_server: EngineServer, session) -> None:
    client = client_for(session, engine_server)
    assert await client.fetch_bytes("/api/cameras/nope/latest.jpg") is None
    with pytest.raises(CannotConnect, match="HTTP 400"):
        await client.fetch_json("/api/events", {"limit": "many"})
    with pytest.raises(CannotConnect, match="HTTP 400"):
        await client.fetch_bytes("/api/events", {"limit": "many"})
    with pytest.raises(InvalidAuth):
        await client_for(session, engine_server, token="wrong-token-0123456789").fetch_json("/api/events")
    with pytest.raises(CannotConnect):
        await client_for(session, engine_server, port=free_port()).fetch_json("/api/events")


async def test_ipv6_host_in_brackets(session) -> None:
    assert ArgusClient(session, host="::1", port=8765, token="t").base_url == "http://[::1]:8765"


async def test_wrong_bearer_on_upgrade(engine_server: EngineServer) -> None:
    # A proxy that adds a stale Authorization header makes the engine refuse the upgrade itself.
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer stale-token-0123456789"}) as session:
        with pytest.raises(InvalidAuth):
            await client_for(session, engine_server).connect()


async def test_not_an_engine(session, socket_enabled) -> None:
    app = web.Application()
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with pytest.raises(CannotConnect, match="HTTP 404"):
            await ArgusClient(session, host="127.0.0.1", port=port, token="t").connect()
    finally:
        await runner.cleanup()


async def test_stuck_handshake_times_out(engine_server: EngineServer, session, monkeypatch) -> None:
    monkeypatch.setattr(connection_module, "CONNECT_TIMEOUT", 0.5)
    proxy = FreezableProxy(engine_server.port)
    await proxy.start()
    proxy.freeze()
    try:
        with pytest.raises(CannotConnect):
            await client_for(session, engine_server, port=proxy.port).connect()
    finally:
        await proxy.close()


async def test_requests_and_errors(engine_server: EngineServer, session) -> None:
    connection = await client_for(session, engine_server).connect()
    info = EngineInfo.from_result(await connection.request("hello"))
    assert info.engine_id == engine_server.engine.engine_id
    assert [camera["id"] for camera in info.cameras] == ["garage"]

    with pytest.raises(CommandError) as caught:
        await connection.request("zone/add", camera_id="garage", zone={"name": "x", "points": [[0, 0], [2, 0], [0, 1]]})
    assert caught.value.code == "invalid_config"
    assert caught.value.field is not None

    await connection.close()
    assert connection.closed
    with pytest.raises(CannotConnect, match="not connected"):
        await connection.request("ping")


async def test_request_times_out(engine_server: EngineServer, session, monkeypatch) -> None:
    monkeypatch.setattr(connection_module, "REQUEST_TIMEOUT", 0.5)
    proxy = FreezableProxy(engine_server.port)
    await proxy.start()
    try:
        connection = await client_for(session, engine_server, port=proxy.port).connect()
        proxy.freeze()
        with pytest.raises(CannotConnect, match="no reply"):
            await connection.request("ping")
        await connection.close()
    finally:
        await proxy.close()


async def test_unknown_protocol_and_missing_id() -> None:
    with pytest.raises(UnsupportedProtocol):
        EngineInfo.from_result({"engine_id": "x", "protocol": "2.0"})
    with pytest.raises(client_module.ArgusError, match="no engine id"):
        EngineInfo.from_result({"protocol": "1.0"})


async def test_token_rotation_closes_others(engine_server: EngineServer, session) -> None:
    first = await client_for(session, engine_server).connect()
    second = await client_for(session, engine_server).connect()
    result = await first.request("token/rotate")
    assert result["token"] != engine_server.token

    reason = await asyncio.wait_for(second.wait_closed(), 10)
    assert isinstance(reason, InvalidAuth)
    await first.close()
    await second.close()


async def test_run_connection_stops_on_auth(engine_server: EngineServer, session) -> None:
    losses: list[Exception] = []

    async def connected(connection) -> None:
        await connection.request("subscribe")

    result = await run_connection(
        client_for(session, engine_server, token="wrong-token-0123456789"),
        on_push=lambda message: None,
        on_connected=connected,
        on_disconnected=losses.append,
    )
    assert isinstance(result, InvalidAuth)
    assert losses == [result]


async def test_run_connection_reports_failed_subscribe(engine_server: EngineServer, session) -> None:
    losses: list[Exception] = []

    async def connected(connection) -> None:
        await connection.request("subscribe", since=-1)

    task = asyncio.create_task(
        run_connection(client_for(session, engine_server), on_push=lambda m: None, on_connected=connected, on_disconnected=losses.append)
    )
    await wait_until(lambda: len(losses) >= 1, what="failed subscribe reported")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert isinstance(losses[0], CommandError)
