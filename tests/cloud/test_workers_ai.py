"""Workers AI requests per model against a local server that checks each request's shape."""

from __future__ import annotations

import io

import pytest
from aiohttp import web
from PIL import Image

from custom_components.argus.cloud import models
from tests.helpers.cloud import ImageSource, Recorder, event_message, make_manager, verify_settings
from tests.helpers.workers_ai import RecordedRequest, answer_for, envelope

ALL_MODELS = sorted(models.MODELS)


@pytest.mark.parametrize("model_id", ALL_MODELS)
async def test_each_model_request_shape(fake_ai, session, model_id) -> None:
    recorder = Recorder()
    manager = make_manager(verify_settings(fake_ai, model=model_id), session, ImageSource(), recorder)

    task = manager.handle_event(event_message("ev1", score=0.5))
    assert task is not None
    result = await task

    assert fake_ai.shape_errors == []
    assert len(fake_ai.requests) == 1
    request = fake_ai.requests[0]
    assert request.model == model_id
    assert request.authorization == f"Bearer {fake_ai.token}"
    assert request.image is not None
    assert result.verdict == "confirmed"
    assert result.description == "A person at the door."
    assert recorder.stored == [result]
    assert recorder.fired == [result]


async def test_wrong_shape_is_rejected_by_fake(fake_ai, session) -> None:
    # The checker must be able to fail: a chat-style body sent to LLaVA is refused.
    body = models.MODELS[models.LLAMA_4_SCOUT].build_request(ImageSource().image, "person")
    url = f"{fake_ai.base_url}/accounts/{fake_ai.account}/ai/run/{models.LLAVA_1_5}"
    async with session.post(url, json=body, headers={"Authorization": f"Bearer {fake_ai.token}"}) as response:
        assert response.status == 400
    assert any("prompt" in problem for problem in fake_ai.shape_errors)


async def test_licence_error_creates_repair_once(fake_ai, session) -> None:
    async def licence_error(_: RecordedRequest) -> web.Response:
        errors = [{"code": 5016, "message": "Prior to using this model, you must submit the prompt 'agree'"}]
        return envelope(success=False, errors=errors, status=403)

    fake_ai.responder = licence_error
    recorder = Recorder()
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), recorder)

    first = await manager.handle_event(event_message("ev1", score=0.5))
    second = await manager.handle_event(event_message("ev2", score=0.5))

    assert first.verdict == "unverified"
    assert first.error == "licence_not_accepted"
    assert second.error == "licence_not_accepted"
    assert len(fake_ai.requests) == 1
    assert recorder.repairs == [("model_licence_not_accepted", {"model": models.LLAMA_3_2_VISION})]
    assert recorder.reauths == 0
    # Argus never accepts the licence itself.
    assert all(request.payload.get("prompt") != "agree" for request in fake_ai.requests)


@pytest.mark.parametrize("status", [401, 403])
async def test_rejected_token_starts_reauth(fake_ai, session, status) -> None:
    async def auth_error(_: RecordedRequest) -> web.Response:
        return envelope(success=False, errors=[{"code": 10000, "message": "Authentication error"}], status=status)

    fake_ai.responder = auth_error
    recorder = Recorder()
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), recorder)

    first = await manager.handle_event(event_message("ev1", score=0.5))
    second = await manager.handle_event(event_message("ev2", score=0.5))

    assert first.error == "auth_failed"
    assert second.error == "auth_failed"
    assert recorder.reauths == 1
    assert len(fake_ai.requests) == 1


async def test_413_shrinks_once_with_new_payload(fake_ai, session) -> None:
    async def too_large_first(request: RecordedRequest) -> web.Response:
        if len(fake_ai.requests) == 1:
            return envelope(success=False, errors=[{"code": 3006, "message": "Request too large"}], status=413)
        return envelope(answer_for(request.model))

    fake_ai.responder = too_large_first
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder())

    result = await manager.handle_event(event_message("ev1", score=0.5))

    assert result.verdict == "confirmed"
    assert result.attempts == 2
    first, second = fake_ai.requests
    assert second.body != first.body
    assert len(second.image) < len(first.image)
    first_side = max(Image.open(io.BytesIO(first.image)).size)
    second_side = max(Image.open(io.BytesIO(second.image)).size)
    assert second_side < first_side


async def test_413_twice_gives_up(fake_ai, session) -> None:
    async def always_too_large(_: RecordedRequest) -> web.Response:
        return envelope(success=False, errors=[{"code": 3006, "message": "Request too large"}], status=413)

    fake_ai.responder = always_too_large
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder())

    result = await manager.handle_event(event_message("ev1", score=0.5))

    assert result.verdict == "unverified"
    assert result.error == "payload_too_large"
    assert len(fake_ai.requests) == 2
    assert len({request.body for request in fake_ai.requests}) == 2


async def test_server_error_is_unverified(fake_ai, session) -> None:
    async def broken(_: RecordedRequest) -> web.Response:
        return web.Response(status=502, text="<html>bad gateway</html>")

    fake_ai.responder = broken
    manager = make_manager(verify_settings(fake_ai), session, ImageSource(), Recorder())

    result = await manager.handle_event(event_message("ev1", score=0.5))

    assert result.verdict == "unverified"
    assert result.error == "server_error"
    assert "502" in result.message
