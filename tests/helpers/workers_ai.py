"""A local stand-in for the Workers AI REST API that checks each request's shape per model.

It serves `POST /client/v4/accounts/{account}/ai/run/{model}` on 127.0.0.1 and
responds with Cloudflare's envelope `{result, success, errors, messages}`. Every
request is recorded with the image it carried; a request whose body does not
match the model's documented input (see `custom_components/argus/cloud/models.py`
for the sources) gets a 400 and is listed in `shape_errors`.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

LLAMA_3_2 = "@cf/meta/llama-3.2-11b-vision-instruct"
CHAT_IMAGE_URL_MODELS = {"@cf/meta/llama-4-scout-17b-16e-instruct", "@cf/mistralai/mistral-small-3.1-24b-instruct"}
PROMPT_IMAGE_MODELS = {"@cf/llava-hf/llava-1.5-7b-hf", "@cf/unum/uform-gen2-qwen-500m"}
KNOWN_MODELS = {LLAMA_3_2} | CHAT_IMAGE_URL_MODELS | PROMPT_IMAGE_MODELS
DATA_URI_PREFIX = "data:image/jpeg;base64,"


@dataclass
class RecordedRequest:
    """One request as the server saw it."""

    account: str
    model: str
    authorization: str | None
    body: bytes
    payload: Any
    image: bytes | None
    time: float


Responder = Callable[[RecordedRequest], Awaitable[web.StreamResponse]]


def envelope(result: Any = None, *, success: bool = True, errors: list[dict[str, Any]] | None = None,
             status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Return a response in Cloudflare's v4 envelope."""
    body = {"result": result, "success": success, "errors": errors or [], "messages": []}
    return web.json_response(body, status=status, headers=headers)


def answer_for(model: str, verdict: str = "confirmed", description: str = "A person at the door.") -> Any:
    """Return the `result` a model gives: `response` for chat models, `description` for captioners."""
    text = json.dumps({"verdict": verdict, "description": description})
    return {"description": text} if model in PROMPT_IMAGE_MODELS else {"response": text}


def _byte_array(value: Any, where: str, problems: list[str]) -> bytes | None:
    if not isinstance(value, list) or not value:
        problems.append(f"{where} must be a non-empty array of byte values")
        return None
    if not all(isinstance(item, int) and 0 <= item <= 255 for item in value):
        problems.append(f"{where} contains values that are not integers 0..255")
        return None
    return bytes(value)


def _check_messages(payload: dict[str, Any], problems: list[str]) -> list[dict[str, Any]]:
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("messages must be a non-empty array")
        return []
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ("system", "user", "assistant"):
            problems.append(f"invalid message {str(message)[:80]}")
    return [message for message in messages if isinstance(message, dict)]


def check_shape(model: str, payload: Any) -> tuple[list[str], bytes | None]:
    """Return the problems of `payload` for `model` and the image it carries."""
    problems: list[str] = []
    if model not in KNOWN_MODELS:
        return [f"unknown model {model}"], None
    if not isinstance(payload, dict):
        return ["body must be a JSON object"], None
    if "max_tokens" in payload and not isinstance(payload["max_tokens"], int):
        problems.append("max_tokens must be an integer")
    if model == LLAMA_3_2:
        messages = _check_messages(payload, problems)
        if any(not isinstance(message.get("content"), str) for message in messages):
            problems.append("llama 3.2 messages carry text content; the image goes in the top-level image")
        return problems, _byte_array(payload.get("image"), "image", problems)
    if model in PROMPT_IMAGE_MODELS:
        if "messages" in payload:
            problems.append(f"{model} takes prompt + image, not messages")
        if not isinstance(payload.get("prompt"), str) or not payload["prompt"]:
            problems.append("prompt must be a non-empty string")
        return problems, _byte_array(payload.get("image"), "image", problems)
    return problems, _chat_image_url(payload, problems)


def _chat_image_url(payload: dict[str, Any], problems: list[str]) -> bytes | None:
    if "image" in payload:
        problems.append("chat models take the image as an image_url content part, not a top-level image")
    image = None
    for message in _check_messages(payload, problems):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for part in content:
            if part.get("type") == "image_url":
                url = (part.get("image_url") or {}).get("url", "")
                if not url.startswith(DATA_URI_PREFIX):
                    problems.append("image_url.url must be a data:image/jpeg;base64 URI")
                    continue
                image = base64.b64decode(url[len(DATA_URI_PREFIX):], validate=True)
            elif part.get("type") != "text" or not isinstance(part.get("text"), str):
                problems.append(f"invalid content part {str(part)[:80]}")
    if image is None:
        problems.append("no image_url content part")
    return image


@dataclass
class FakeWorkersAI:
    """State of the fake API: the expected credentials, the requests received and the responder."""

    account: str = "acc0123"
    token: str = "tok-SECRET-123"
    requests: list[RecordedRequest] = field(default_factory=list)
    shape_errors: list[str] = field(default_factory=list)
    responder: Responder | None = None
    clock: Callable[[], float] | None = None
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Record and check one run request, then respond to it."""
        body = await request.read()
        model = request.match_info["model"]
        try:
            payload = json.loads(body)
        except ValueError:
            payload = None
        problems, image = check_shape(model, payload)
        if image is not None:
            problems.extend(_jpeg_problems(image))
        record = RecordedRequest(
            account=request.match_info["account"],
            model=model,
            authorization=request.headers.get("Authorization"),
            body=body,
            payload=payload,
            image=image,
            time=self.clock() if self.clock else 0.0,
        )
        self.requests.append(record)
        if record.authorization != f"Bearer {self.token}" or record.account != self.account:
            return envelope(success=False, errors=[{"code": 10000, "message": "Authentication error"}], status=401)
        if problems:
            self.shape_errors.extend(f"{model}: {problem}" for problem in problems)
            return envelope(success=False, errors=[{"code": 5006, "message": "; ".join(problems)}], status=400)
        if self.responder is not None:
            return await self.responder(record)
        return envelope(answer_for(model))


def _jpeg_problems(image: bytes) -> list[str]:
    try:
        with Image.open(io.BytesIO(image)) as opened:
            opened.load()
            if opened.format != "JPEG":
                return [f"image is {opened.format}, not JPEG"]
    except Exception as err:  # noqa: BLE001 - any decoder error means a broken image
        return [f"image does not decode: {err}"]
    return []


async def start_fake_workers_ai(fake: FakeWorkersAI) -> web.AppRunner:
    """Serve `fake` on an ephemeral port of 127.0.0.1 and set `fake.base_url`."""
    app = web.Application(client_max_size=20 * 1024 * 1024)
    app.router.add_post("/client/v4/accounts/{account}/ai/run/{model:.+}", fake.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    fake.base_url = f"http://127.0.0.1:{port}/client/v4"
    return runner
