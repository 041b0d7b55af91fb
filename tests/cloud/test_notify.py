"""Alerts to a local stand-in for the Worker: signatures, encrypted attachments and the retry queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web

from custom_components.argus.cloud import CameraCloudSettings, CloudError, CloudSettings, crypto
from custom_components.argus.cloud.outbox import BASE_DELAY, Outbox
from tests.helpers.cloud import FakeClock, ImageSource, Recorder, event_message, make_manager
from tests.helpers.fake_worker import SECRET, FakeWorker, free_port, start_fake_worker

def _settings(port: int, **changes) -> CloudSettings:
    return CloudSettings(worker_url=f"http://127.0.0.1:{port}", worker_secret=SECRET,
                         attachment_key=crypto.generate_key(), timeout=5, **changes)


async def test_alert_with_encrypted_attachment(session, tmp_path: Path) -> None:
    clock = FakeClock()
    worker = FakeWorker(clock.time)
    port = free_port()
    runner = await start_fake_worker(worker, port)
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
    worker = FakeWorker(clock.time)
    port = free_port()
    runner = await start_fake_worker(worker, port)
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), clock=clock.clock)
    manager.handle_event(event_message("ev1", zones=("door",)))

    result = await manager.notify(event_id="ev1", attach="snapshot")
    fetched = await manager.notifier.fetch_attachment(result.attachment_url)
    await runner.cleanup()

    assert fetched == ImageSource().image


async def test_offline_alert_queued_then_delivered(session, tmp_path: Path, refused_socket) -> None:
    clock = FakeClock()
    port = refused_socket.getsockname()[1]
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), clock=clock.clock,
                           storage_dir=tmp_path)
    manager.handle_event(event_message("ev1", zones=("door",)))

    offline = await manager.notify(event_id="ev1", attach="snapshot")
    assert offline.status == "queued"
    assert len(list(tmp_path.glob("*.json"))) == 1
    assert await manager.flush_outbox() == 0  # not due yet

    refused_socket.close()
    worker = FakeWorker(clock.time)
    runner = await start_fake_worker(worker, port)
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
    worker = FakeWorker(clock.time)
    port = free_port()
    runner = await start_fake_worker(worker, port)
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


@pytest.mark.timeout(10)
async def test_drain_after_alert_just_finished(session, refused_socket) -> None:
    # The alert task finishes in its first step, because the restored verdict is
    # `rejected`. After the test's sleep(0) the task is done but its done callback,
    # which removes it from the manager, is still queued. A drain() that awaits
    # gather() over that finished task never yields to the loop and hangs until the timeout.
    settings = _settings(refused_socket.getsockname()[1], notify_auto=True,
                         cameras={"front": CameraCloudSettings(notify=True)})
    manager = make_manager(settings, session, ImageSource(), Recorder())
    message = event_message("ev1", zones=("door",), entered=("door",))
    message["data"]["event"]["verification"] = {"verdict": "rejected"}

    manager.handle_event(message)
    await asyncio.sleep(0)
    await manager.drain()

    assert manager.result("ev1").verdict == "rejected"
    assert manager.accounting.today.alerts_sent == 0


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
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), storage_dir=tmp_path)

    result = await manager.notify(message="test")
    await runner.cleanup()

    assert result.status == "rejected"
    assert list(tmp_path.glob("*.json")) == []


async def _start_status_server(statuses: list[int], body: str = '{"ok": true}') -> tuple[web.AppRunner, int]:
    """Serve every path with the next status from `statuses` (the last one repeats)."""

    async def respond(_: web.Request) -> web.Response:
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        return web.Response(status=status, text=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", respond)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


async def test_flush_backs_off_then_drops_rejected(session, tmp_path: Path) -> None:
    clock = FakeClock()
    runner, port = await _start_status_server([503, 503, 400])
    manager = make_manager(_settings(port), session, ImageSource(), Recorder(), clock=clock.clock,
                           storage_dir=tmp_path)

    queued = await manager.notify(message="first")
    clock.advance(BASE_DELAY + 1)
    still_queued = await manager.flush_outbox()
    (item,) = Outbox(tmp_path, max_items=10, max_bytes=1_000_000).due(now=clock.now + 3600)
    clock.advance(3600)
    dropped = await manager.flush_outbox()
    await runner.cleanup()

    assert queued.status == "queued"
    assert still_queued == 0
    assert item.attempts == 1
    assert dropped == 0
    assert list(tmp_path.glob("*.json")) == []


async def test_send_without_outbox_reports_failure(session, refused_socket) -> None:
    manager = make_manager(_settings(refused_socket.getsockname()[1]), session, ImageSource(), Recorder())

    result = await manager.notify(message="nobody listens")

    assert result.status == "failed"
    assert "Worker unreachable" in result.message
    assert await manager.flush_outbox() == 0


async def test_non_json_upload_response_rejected(session) -> None:
    runner, port = await _start_status_server([200], body="<html>proxy page</html>")
    manager = make_manager(_settings(port), session, ImageSource(), Recorder())
    manager.handle_event(event_message("ev1", zones=("door",)))

    result = await manager.notify(event_id="ev1", attach="snapshot")
    await runner.cleanup()

    assert result.status == "rejected"
    assert "non-JSON" in result.message


async def test_fetch_attachment_errors(session, refused_socket) -> None:
    runner, port = await _start_status_server([403])
    manager = make_manager(_settings(port), session, ImageSource(), Recorder())

    with pytest.raises(CloudError, match="HTTP 403"):
        await manager.notifier.fetch_attachment(f"http://127.0.0.1:{port}/v1/attachments/x")
    await runner.cleanup()
    with pytest.raises(CloudError, match="attachment download failed"):
        await manager.notifier.fetch_attachment(f"http://127.0.0.1:{refused_socket.getsockname()[1]}/v1/attachments/x")
