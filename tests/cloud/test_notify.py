"""Alerts to a local stand-in for the Worker: signatures, encrypted attachments and the retry queue."""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path

import pytest
from aiohttp import web

from custom_components.argus.cloud import CameraCloudSettings, CloudSettings, crypto, signing
from custom_components.argus.cloud.outbox import BASE_DELAY, Outbox
from tests.helpers.cloud import FakeClock, ImageSource, Recorder, event_message, make_manager

SECRET = "worker-SECRET-xyz"


class FakeWorker:
    """Checks signatures like the Worker does and stores attachment blobs in memory."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.alerts: list[dict] = []
        self.blobs: dict[str, bytes] = {}
        self.rejected = 0
        self.base_url = ""

    def _authentic(self, request: web.Request, body: bytes) -> bool:
        timestamp = int(request.headers.get(signing.TIMESTAMP_HEADER, "0"))
        header = request.headers.get(signing.SIGNATURE_HEADER, "")
        return signing.verify(SECRET, timestamp, body, header, self.clock.time())

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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _start(worker: FakeWorker, port: int) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/v1/alerts", worker.alert)
    app.router.add_post("/v1/attachments", worker.upload)
    app.router.add_get("/v1/attachments/{key}", worker.download)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    worker.base_url = f"http://127.0.0.1:{port}"
    return runner


def _settings(port: int, **changes) -> CloudSettings:
    return CloudSettings(worker_url=f"http://127.0.0.1:{port}", worker_secret=SECRET,
                         attachment_key=crypto.generate_key(), **changes)


async def test_alert_with_encrypted_attachment(session, tmp_path: Path) -> None:
    clock = FakeClock()
    worker = FakeWorker(clock)
    port = _free_port()
    runner = await _start(worker, port)
    images = ImageSource()
    manager = make_manager(_settings(port), session, images, Recorder(), clock=clock.clock, storage_dir=tmp_path)
    manager.handle_event(event_message("ev1", zones=("door",)))

    result = await manager.notify(event_id="ev1", message="Someone at the door", attach="snapshot")
    await runner.cleanup()

    assert result.status == "sent"
    assert worker.rejected == 0
    assert manager.accounting.today.alerts_sent == 1
    (alert,) = worker.alerts
    assert alert["camera"] == "front"
    assert alert["zone"] == "door"
    assert alert["verdict"] == "unverified"
    assert alert["message"] == "Someone at the door"
    (blob,) = worker.blobs.values()
    assert images.image not in blob
    assert crypto.decrypt(manager.settings.attachment_key, blob) == images.image
    assert alert["attachment"]["url"] == result.attachment_url


async def test_fetch_attachment_decrypts(session, tmp_path: Path) -> None:
    clock = FakeClock()
    worker = FakeWorker(clock)
    port = _free_port()
    runner = await _start(worker, port)
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), clock=clock.clock)
    manager.handle_event(event_message("ev1", zones=("door",)))

    result = await manager.notify(event_id="ev1", attach="snapshot")
    fetched = await manager.notifier.fetch_attachment(result.attachment_url)
    await runner.cleanup()

    assert fetched == ImageSource().image


async def test_offline_alert_queued_then_delivered(session, tmp_path: Path) -> None:
    clock = FakeClock()
    port = _free_port()
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), clock=clock.clock,
                           storage_dir=tmp_path)
    manager.handle_event(event_message("ev1", zones=("door",)))

    offline = await manager.notify(event_id="ev1", attach="snapshot")
    assert offline.status == "queued"
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert await manager.flush_outbox() == 0  # not due yet

    worker = FakeWorker(clock)
    runner = await _start(worker, port)
    clock.advance(BASE_DELAY + 1)
    delivered = await manager.flush_outbox()
    await runner.cleanup()

    assert delivered == 1
    assert manager.accounting.today.alerts_sent == 1
    assert list(tmp_path.glob("*.json")) == []
    assert worker.alerts[0]["event_id"] == "ev1"
    assert worker.rejected == 0  # signed at delivery time, so the timestamp is fresh
    assert len(worker.blobs) == 1


async def test_auto_alert_on_zone_entry(session, tmp_path: Path) -> None:
    clock = FakeClock()
    worker = FakeWorker(clock)
    port = _free_port()
    runner = await _start(worker, port)
    settings = _settings(port, notify_auto=True, cameras={"front": CameraCloudSettings(notify=True)})
    manager = make_manager(settings, session, ImageSource(), Recorder(), clock=clock.clock)

    manager.handle_event(event_message("ev1", kind="start"))
    manager.handle_event(event_message("ev1", kind="update", zones=("door",), entered=("door",)))
    manager.handle_event(event_message("ev1", kind="update", zones=("door",), entered=("door",)))
    manager.handle_event(event_message("ev2", camera="back", zones=("door",), entered=("door",)))
    await manager.drain()
    await runner.cleanup()

    assert [alert["event_id"] for alert in worker.alerts] == ["ev1"]
    assert "attachment" not in worker.alerts[0]


def test_outbox_bounded_and_persistent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, max_items=3, max_bytes=1_000_000)
    for index in range(5):
        outbox.add({"event_id": f"ev{index}"}, None, "image/jpeg", now=1000.0 + index)

    reopened = Outbox(tmp_path, max_items=3, max_bytes=1_000_000)
    due = reopened.due(now=2000.0)

    assert outbox.dropped == 2
    assert [item.alert["event_id"] for item in due] == ["ev2", "ev3", "ev4"]


def test_outbox_byte_bound_and_backoff(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, max_items=100, max_bytes=5_000)
    for index in range(4):
        outbox.add({"event_id": f"ev{index}"}, bytes(2_000), "image/jpeg", now=1000.0)
    assert len(outbox) == 1

    (item,) = outbox.due(now=1000.0 + BASE_DELAY)
    outbox.failed(item, now=2000.0)
    assert outbox.due(now=2000.0 + BASE_DELAY) == []
    assert len(outbox.due(now=2000.0 + 2 * BASE_DELAY)) == 1


def test_outbox_drops_unreadable_file(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path, max_items=10, max_bytes=1_000_000)
    outbox.add({"event_id": "ev1"}, None, "image/jpeg", now=1000.0)
    (tmp_path / "0000-broken.json").write_text("{not json")

    due = outbox.due(now=5000.0)

    assert [item.alert["event_id"] for item in due] == ["ev1"]
    assert not (tmp_path / "0000-broken.json").exists()


@pytest.mark.parametrize("status", [400, 401])
async def test_rejected_alert_not_queued(session, tmp_path: Path, status) -> None:
    async def reject(_: web.Request) -> web.Response:
        return web.json_response({"error": "no"}, status=status)

    app = web.Application()
    app.router.add_post("/v1/alerts", reject)
    runner = web.AppRunner(app)
    await runner.setup()
    port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), storage_dir=tmp_path)

    result = await manager.notify(message="test")
    await runner.cleanup()

    assert result.status == "rejected"
    assert list(tmp_path.glob("*.json")) == []
