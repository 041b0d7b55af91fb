"""Fixtures for the cloud tests: a fake Workers AI server on 127.0.0.1, a fake clock and a socket guard."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from tests.helpers.cloud import FakeClock
from tests.helpers.workers_ai import FakeWorkersAI, start_fake_workers_ai


@pytest.fixture(autouse=True)
def _allow_local_sockets(socket_enabled: None) -> None:
    """Lift the socket block that the Home Assistant test plugin sets for every test.

    Its pytest-socket setup still limits connections to 127.0.0.1, and `socket_guard`
    checks the same for the tests that use it.
    """


@pytest.fixture
async def fake_ai() -> AsyncIterator[FakeWorkersAI]:
    fake = FakeWorkersAI()
    runner = await start_fake_workers_ai(fake)
    yield fake
    await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def refused_socket() -> Iterator[socket.socket]:
    """A bound, never listening socket: connections to its port are refused at once.

    Holding the port keeps any other server from taking it, so "unreachable" stays
    unreachable on a busy machine.
    """
    with socket.socket() as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def socket_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Record every outgoing connection and refuse any that is not to 127.0.0.1 or ::1."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        attempts.append(address)
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1"):
            raise AssertionError(f"connection to {address!r} attempted")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield attempts


