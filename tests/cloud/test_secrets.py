"""Secrets (API token, Worker secret, attachment key) stay out of logs, results and diagnostics."""

from __future__ import annotations

import logging

from aiohttp import web

from custom_components.argus.cloud import CameraCloudSettings, crypto, redact, settings_from_mapping
from tests.helpers.cloud import FakeClock, ImageSource, Recorder, event_message, make_manager, verify_settings
from tests.helpers.workers_ai import RecordedRequest, envelope

WORKER_SECRET = "worker-SECRET-5f2a"


async def test_secrets_absent_from_logs_and_diagnostics(fake_ai, session, caplog, tmp_path, refused_socket) -> None:
    caplog.set_level(logging.DEBUG)
    statuses = iter([200, 429, 429, 429, 401])

    async def mixed(request: RecordedRequest) -> web.Response:
        status = next(statuses, 401)
        if status == 200:
            return envelope({"response": '{"verdict": "confirmed", "description": "ok"}'})
        return envelope(success=False, errors=[{"code": 1, "message": "error"}], status=status,
                        headers={"Retry-After": "1"})

    fake_ai.responder = mixed
    key = crypto.generate_key()
    settings = verify_settings(
        fake_ai,
        worker_url=f"http://127.0.0.1:{refused_socket.getsockname()[1]}",
        timeout=5,
        worker_secret=WORKER_SECRET,
        attachment_key=key,
        notify_auto=True,
        breaker_pause=1,
        cameras={"front": CameraCloudSettings(verify=True, notify=True)},
    )
    clock = FakeClock()
    manager = make_manager(settings, session, ImageSource(), Recorder(), clock=clock.clock, storage_dir=tmp_path)

    results = []
    for index in range(3):
        task = manager.handle_event(event_message(f"ev{index}", score=0.5, zones=("door",), entered=("door",)))
        results.append(await task)
        clock.advance(5)
    await manager.notify(event_id="ev0", attach="snapshot")
    await manager.drain()

    assert [result.verdict for result in results] == ["confirmed", "unverified", "unverified"]
    assert results[2].error == "auth_failed"
    texts = [caplog.text, repr(settings), str(manager.diagnostics()), *(str(result) for result in results)]
    texts += [path.read_text() for path in tmp_path.glob("*.json")]
    for text in texts:
        assert fake_ai.token not in text
        assert WORKER_SECRET not in text
        assert key not in text
    assert len(list(tmp_path.glob("*.json"))) >= 1  # the queued alerts were checked too


def test_redact_options() -> None:
    options = {"account_id": "acc", "api_token": "tok-1", "worker_secret": "sec-2",
               "attachment_key": crypto.generate_key(), "worker_url": "https://alerts.example"}

    redacted = redact(options)

    assert redacted["api_token"] == "**REDACTED**"
    assert redacted["worker_secret"] == "**REDACTED**"
    assert redacted["attachment_key"] == "**REDACTED**"
    assert redacted["account_id"] == "acc"
    assert "tok-1" not in repr(settings_from_mapping(options))
