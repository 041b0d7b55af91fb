"""Running the add-on entry point in tests: a mock Supervisor, options files, API calls.

The mock Supervisor is a real aiohttp server on 127.0.0.1 that implements the one
endpoint the add-on uses, `POST /discovery`. Its responses follow a script of status
codes, so tests can make it reject a message (503) before it accepts one.
"""

import asyncio
import json
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

SUPERVISOR_TOKEN = "supervisor-token-for-tests"


@dataclass
class MockSupervisor:
    """A discovery endpoint that responds to each POST with the next scripted status."""

    statuses: list[int] = field(default_factory=lambda: [200])
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    url: str = ""
    _runner: web.AppRunner | None = None

    async def start(self, port: int = 0) -> "MockSupervisor":
        app = web.Application()
        app.router.add_post("/discovery", self._discovery)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _discovery(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "json": body})
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status != 200:
            return web.json_response({"result": "error", "message": "Home Assistant is starting"}, status=status)
        self.accepted.set()
        return web.json_response({"result": "ok", "data": {"uuid": self.uuid}})


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_options(path: Path, **options: Any) -> Path:
    """Write an add-on options file the way the Supervisor does (JSON, all defaults filled)."""
    values = {"log_level": "info", "detector_threads": 1, "model": "yolo26n-640", "retention_days": 10}
    values.update(options)
    path.write_text(json.dumps(values), encoding="utf-8")
    return path


async def wait_for_api(port: int, timeout: float = 60.0) -> None:
    """Wait until the engine's health endpoint responds on 127.0.0.1:`port`."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(f"http://127.0.0.1:{port}/api/health") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"engine API on port {port} did not respond within {timeout:.0f} s")
            await asyncio.sleep(0.2)


async def ws_call(port: int, token: str, *messages: dict[str, Any]) -> list[dict[str, Any]]:
    """Send websocket requests (ids added in order) and return their results."""
    results = []
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession() as session, session.ws_connect(f"http://127.0.0.1:{port}/api/ws", headers=headers) as ws:
        for number, message in enumerate(messages, start=1):
            await ws.send_json({"id": number, **message})
            while True:
                reply = await asyncio.wait_for(ws.receive_json(), timeout=30)
                if reply.get("id") == number:
                    break
            results.append(reply)
    return results
