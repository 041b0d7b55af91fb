"""Cloud features inside Home Assistant: off by default, verify and alerts when enabled."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.argus.cloud import crypto
from custom_components.argus.cloud_setup import EVENT_VERIFIED
from custom_components.argus.const import DOMAIN
from custom_components.argus.diagnostics import async_get_config_entry_diagnostics
from custom_components.argus.repairs import async_create_fix_flow
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir

from tests.helpers.fake_worker import SECRET, FakeWorker, free_port, start_fake_worker
from tests.helpers.workers_ai import FakeWorkersAI, RecordedRequest, envelope, start_fake_workers_ai
from tests.integration.conftest import make_entry
from tests.integration.engine_server import EngineServer, wait_until

VERIFIED_DOOR = "binary_sensor.garage_door_verified_person_occupancy"
REQUESTS_TODAY = "sensor.argus_cloud_requests_today"


@pytest.fixture
async def fake_ai(socket_enabled: None) -> AsyncIterator[FakeWorkersAI]:
    fake = FakeWorkersAI()
    runner = await start_fake_workers_ai(fake)
    yield fake
    await runner.cleanup()


@pytest.fixture
def outgoing(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every outgoing connection and fail on any that is not to 127.0.0.1 or ::1."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(address: Any) -> None:
        attempts.append(address)
        if isinstance(address, tuple) and address[0] not in ("127.0.0.1", "::1"):
            raise AssertionError(f"connection to {address!r} attempted")

    def connect(self: socket.socket, address: Any) -> None:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    return attempts


def cloud_options(fake: FakeWorkersAI, **changes: Any) -> dict[str, Any]:
    return {
        "cloud": {
            "account_id": fake.account,
            "api_token": fake.token,
            "api_base": fake.base_url,
            "verify_mode": "every_person",
            "cameras": {"garage": {"verify": True}},
            **changes,
        }
    }


async def setup_entry(hass: HomeAssistant, engine_server: EngineServer, options: dict[str, Any]):
    entry = make_entry(engine_server, options=options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_default_options_keep_everything_local(hass: HomeAssistant, engine_server: EngineServer, outgoing) -> None:
    entry = await setup_entry(hass, engine_server, {})

    _, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    engine_server.record_event("garage", "end", event=event, zone_changes=[{"zone": "door", "change": "left"}])
    await hass.async_block_till_done()

    assert entry.runtime_data.cloud is None
    assert hass.states.get(VERIFIED_DOOR) is None
    assert hass.states.get(REQUESTS_TODAY) is None
    assert outgoing, "the integration connected to the engine, so the guard saw connections"
    assert {address[0] for address in outgoing if isinstance(address, tuple)} <= {"127.0.0.1", "::1"}
    with pytest.raises(ServiceValidationError, match="not set up"):
        await hass.services.async_call(
            DOMAIN, "verify", {"config_entry_id": entry.entry_id, "event_id": event.id}, blocking=True,
            return_response=True,
        )


async def test_verify_event_end_to_end(hass: HomeAssistant, engine_server: EngineServer, fake_ai, outgoing) -> None:
    verified = async_capture_events(hass, EVENT_VERIFIED)
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai))

    _, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(verified) == 1, what="argus_verified")
    await hass.async_block_till_done()

    assert fake_ai.shape_errors == []
    assert len(fake_ai.requests) == 1
    assert verified[0].data["event_id"] == event.id
    assert verified[0].data["verdict"] == "confirmed"
    assert hass.states.get(VERIFIED_DOOR).state == "on"
    assert hass.states.get(REQUESTS_TODAY).state == "1"
    assert hass.states.get("sensor.argus_verifications_confirmed_today").state == "1"

    response = await hass.services.async_call(
        DOMAIN, "verify", {"config_entry_id": entry.entry_id, "event_id": event.id}, blocking=True, return_response=True
    )
    assert response["verdict"] == "confirmed"
    assert len(fake_ai.requests) == 1  # the stored result, not a second request

    engine_server.record_event("garage", "end", event=event, zone_changes=[{"zone": "door", "change": "left"}])
    await wait_until(lambda: hass.states.get(VERIFIED_DOOR).state == "off", what="verified occupancy off")

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert fake_ai.token not in str(diagnostics)
    assert diagnostics["cloud"]["accounting"]["requests"] == 1
    assert {address[0] for address in outgoing if isinstance(address, tuple)} <= {"127.0.0.1", "::1"}


async def test_licence_error_raises_repair(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    async def licence_error(_: RecordedRequest) -> web.Response:
        return envelope(success=False, errors=[{"code": 5016, "message": "submit the prompt 'agree'"}], status=403)

    fake_ai.responder = licence_error
    verified = async_capture_events(hass, EVENT_VERIFIED)
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai))

    engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(verified) == 1, what="argus_verified")

    assert verified[0].data["verdict"] == "unverified"
    assert verified[0].data["error"] == "licence_not_accepted"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"model_licence_not_accepted_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {"model": "@cf/meta/llama-3.2-11b-vision-instruct"}


async def test_rejected_token_raises_fixable_issue(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    fake_ai.token = "another-token"
    verified = async_capture_events(hass, EVENT_VERIFIED)
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai, api_token="old-token"))

    engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(verified) == 1, what="argus_verified")

    assert verified[0].data["error"] == "auth_failed"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"cloud_auth_failed_{entry.entry_id}")
    assert issue is not None
    assert issue.is_fixable

    flow = await async_create_fix_flow(hass, issue.issue_id, issue.data)
    flow.hass = hass
    form = await flow.async_step_init()
    assert form["step_id"] == "confirm"
    done = await flow.async_step_confirm({"api_token": " another-token "})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert entry.options["cloud"]["api_token"] == "another-token"
    verified.clear()
    engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(verified) == 1, what="argus_verified after the new token")
    assert verified[0].data["verdict"] == "confirmed"


async def test_diagnostics_redact_cloud_secrets(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    options = cloud_options(fake_ai, worker_url="http://127.0.0.1:9", worker_secret="worker-SECRET-77",
                            attachment_key=key)
    entry = await setup_entry(hass, engine_server, options)

    text = str(await async_get_config_entry_diagnostics(hass, entry))

    assert fake_ai.token not in text
    assert "worker-SECRET-77" not in text
    assert key not in text
    assert "**REDACTED**" in text


async def test_verify_service_timeout_is_handled(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    release = asyncio.Event()

    async def hang(_: RecordedRequest) -> web.Response:
        # Hangs for up to 120 s; released at the end so the server can shut down cleanly.
        try:
            await asyncio.wait_for(release.wait(), timeout=120)
        except TimeoutError:
            pass
        return envelope({"response": "late"})

    fake_ai.responder = hang
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai, verify_mode="off", timeout=0.5))
    _, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await hass.async_block_till_done()

    response = await hass.services.async_call(
        DOMAIN, "verify", {"config_entry_id": entry.entry_id, "event_id": event.id}, blocking=True, return_response=True
    )

    release.set()
    await hass.async_block_till_done()

    assert response["verdict"] == "unverified"
    assert response["error"] == "timeout"


async def test_options_flow_cloud_steps(hass: HomeAssistant, loaded_entry) -> None:
    result = await hass.config_entries.options.async_init(loaded_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"annotate_stills": False, "configure_cloud": True}
    )
    assert result["step_id"] == "cloud"

    bad = {"account_id": "acc", "api_token": "tok", "model": "@cf/meta/llama-4-scout-17b-16e-instruct",
           "verify_mode": "ambiguous", "score_min": 0.7, "score_max": 0.5, "daily_cap": 50, "image_source": "crop",
           "max_image_side": 800, "timeout": 20, "worker_url": "https://alerts.example.test", "worker_secret": "s3",
           "notify_auto": True, "attachment": "snapshot"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], bad)
    assert result["errors"] == {"score_min": "invalid_cloud_option"}

    result = await hass.config_entries.options.async_configure(result["flow_id"], {**bad, "score_min": 0.4})
    assert result["step_id"] == "cloud_cameras"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"verify_cameras": ["garage"], "notify_cameras": [], "required_zones": ["garage:door"]}
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    cloud = loaded_entry.options["cloud"]
    assert loaded_entry.options["annotate_stills"] is False
    assert cloud["cameras"]["garage"] == {"verify": True, "notify": False, "zones": ["door"]}
    assert cloud["max_image_side"] == 800
    assert len(cloud["attachment_key"]) == 44


async def test_notify_service_sends_encrypted_snapshot(hass: HomeAssistant, engine_server: EngineServer) -> None:
    worker = FakeWorker(time.time)
    port = free_port()
    runner = await start_fake_worker(worker, port)
    key = crypto.generate_key()
    options = {"cloud": {"worker_url": f"http://127.0.0.1:{port}", "worker_secret": SECRET, "attachment_key": key}}
    entry = await setup_entry(hass, engine_server, options)
    _, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await hass.async_block_till_done()

    response = await hass.services.async_call(
        DOMAIN, "notify", {"config_entry_id": entry.entry_id, "event_id": event.id, "message": "Parcel?",
                           "attach": "snapshot"},
        blocking=True, return_response=True,
    )
    await runner.cleanup()

    assert response["status"] == "sent"
    assert worker.rejected == 0
    (alert,) = worker.alerts
    assert alert["event_id"] == event.id
    assert alert["zone"] == "door"
    assert alert["message"] == "Parcel?"
    (blob,) = worker.blobs.values()
    snapshot = (engine_server.engine.media_dir / event.snapshot_path).read_bytes()
    assert crypto.decrypt(key, blob) == snapshot
    assert hass.states.get("sensor.argus_cloud_upload_today").state != "0"


async def test_verify_unknown_event_raises(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai))

    with pytest.raises(ServiceValidationError, match="No event with id ev_missing"):
        await hass.services.async_call(
            DOMAIN, "verify", {"config_entry_id": entry.entry_id, "event_id": "ev_missing"}, blocking=True,
            return_response=True,
        )
    assert fake_ai.requests == []


async def test_invalid_cloud_options_turn_cloud_off(hass: HomeAssistant, engine_server: EngineServer, caplog) -> None:
    options = {"cloud": {"account_id": "acc", "api_token": "tok-SECRET-9", "score_min": 0.9, "score_max": 0.1}}
    entry = await setup_entry(hass, engine_server, options)

    assert entry.runtime_data.cloud is None
    assert "Ignoring invalid cloud options" in caplog.text
    assert "score_min 0.9 is above score_max 0.1" in caplog.text
    assert "tok-SECRET-9" not in caplog.text


async def test_fix_flow_edge_cases(hass: HomeAssistant) -> None:
    with pytest.raises(ValueError, match="has no fix flow"):
        await async_create_fix_flow(hass, "engine_unreachable_x", None)

    flow = await async_create_fix_flow(hass, "cloud_auth_failed_gone", {"entry_id": "gone"})
    flow.hass = hass
    result = await flow.async_step_init()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "entry_not_found"


async def test_missing_snapshot_is_unverified(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai, verify_mode="off"))
    _, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await hass.async_block_till_done()
    (engine_server.engine.media_dir / event.snapshot_path).unlink()

    response = await hass.services.async_call(
        DOMAIN, "verify", {"config_entry_id": entry.entry_id, "event_id": event.id}, blocking=True, return_response=True
    )

    assert response["verdict"] == "unverified"
    assert response["error"] == "image_unavailable"
    assert fake_ai.requests == []


async def test_reload_keeps_counts_and_claims(hass: HomeAssistant, engine_server: EngineServer, fake_ai) -> None:
    verified = async_capture_events(hass, EVENT_VERIFIED)
    entry = await setup_entry(hass, engine_server, cloud_options(fake_ai))
    _, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(verified) == 1, what="argus_verified")

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    engine_server.record_event("garage", "update", event=event, zone_changes=[])
    await hass.async_block_till_done()

    assert hass.states.get(REQUESTS_TODAY).state == "1"
    assert len(fake_ai.requests) == 1
