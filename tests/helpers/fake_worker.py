"""A local stand-in for the alert-router Worker, checking signatures as the Worker does."""

from __future__ import annotations

import json
import secrets
import socket
from collections.abc import Callable

from aiohttp import web

from custom_components.argus.cloud import signing

SECRET = "worker-SECRET-xyz"


class FakeWorker:
    """Checks signatures like the Worker does and stores attachment blobs in memory."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.alerts: list[dict] = []
        self.blobs: dict[str, bytes] = {}
        self.rejected = 0
        self.base_url = ""

    def _authentic(self, request: web.Request, body: bytes) -> bool:
        timestamp = int(request.headers.get(signing.TIMESTAMP_HEADER, "0"))
        header = request.headers.get(signing.SIGNATURE_HEADER, "")
        return signing.verify(SECRET, timestamp, body, header, self.now())

    async def alert(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self._authentic(request, body):
            self.rejected += 1
            return web.json_response({"error": "invalid signature"}, status=401)
        self.alerts.append(json.loads(body))
        return web.json_response({"delivered": 1}, status=202)

    async def upload(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not self._authentic(request, body):
            self.rejected += 1
            return web.json_response({"error": "invalid signature"}, status=401)
        key = secrets.token_urlsafe(16)
        self.blobs[key] = body
        return web.json_response({"key": key, "url": f"{self.base_url}/v1/attachments/{key}", "expires": 0})

    async def download(self, request: web.Request) -> web.Response:
        return web.Response(body=self.blobs[request.match_info["key"]])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def start_fake_worker(worker: FakeWorker, port: int) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/v1/alerts", worker.alert)
    app.router.add_post("/v1/attachments", worker.upload)
    app.router.add_get("/v1/attachments/{key}", worker.download)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    worker.base_url = f"http://127.0.0.1:{port}"
    return runner
