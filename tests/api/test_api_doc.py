"""Run every example in addon/API.md against a real engine, so the protocol doc cannot drift.

The block rules are stated at the top of API.md. Examples run in document order on
one websocket (authenticated by its first `auth` example) and one HTTP client.
"""

import asyncio
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.engine_api import StillWorker, receive_until, running_api, stored_event
from tests.helpers.models import real_model

API_DOC = Path(__file__).resolve().parents[2] / "addon" / "API.md"
BLOCK = re.compile(r"^```(\w+) (request|response|push)(?: (\d+))?\n(.*?)\n```$", re.MULTILINE | re.DOTALL)
EVENT_ID = "ev_0193a5f0c1d2_k3m9x2ab"
ANY = "..."


@dataclass
class Step:
    kind: str  # "ws", "http" or "push"
    request: str = ""
    expected: list = field(default_factory=list)
    status: int | None = None
    line: int = 0


def parse_doc(text: str) -> list[Step]:
    """Turn the fenced example blocks into steps: a request with its responses, or a push."""
    steps: list[Step] = []
    for match in BLOCK.finditer(text):
        language, role, status, body = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        if role == "request":
            steps.append(Step("http" if language == "http" else "ws", request=body, line=line))
        elif role == "push":
            steps.append(Step("push", expected=[json.loads(body)], line=line))
        else:
            assert steps and steps[-1].kind in ("ws", "http"), f"API.md:{line}: response without a request"
            steps[-1].expected.append(body if language == "http" else json.loads(body))
            steps[-1].status = int(status) if status else steps[-1].status
    return steps


def matches(expected, actual) -> bool:
    """Compare by the rules in API.md: "..." is any value, objects may have more fields."""
    if expected == ANY:
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(key in actual and matches(value, actual[key]) for key, value in expected.items())
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return False
        if expected and expected[-1] == ANY:
            head = expected[:-1]
            return len(actual) >= len(head) and all(matches(e, a) for e, a in zip(head, actual))
        return len(expected) == len(actual) and all(matches(e, a) for e, a in zip(expected, actual))
    return expected == actual and type(expected) is type(actual) or (isinstance(expected, float) and expected == actual)


def test_matcher_rules():
    assert matches({"a": 1}, {"a": 1, "b": 2})
    assert not matches({"a": 1, "c": 3}, {"a": 1})
    assert matches([1, ANY], [1, 2, 3])
    assert not matches([1, 2], [1, 2, 3])
    assert not matches({"a": True}, {"a": 1})
    assert matches({"a": ANY}, {"a": None})


def test_doc_has_examples_for_every_request_type():
    text = API_DOC.read_text(encoding="utf-8")
    sent = {json.loads(step.request).get("type") for step in parse_doc(text) if step.kind == "ws" and step.request.startswith("{") and step.request.endswith("}")}
    from argus_engine.api.commands import HANDLERS

    assert set(HANDLERS) - sent == set()
    pushes = {step.expected[0]["type"] for step in parse_doc(text) if step.kind == "push"}
    assert pushes == {"state", "event", "camera_status", "config", "stats"}


class DocRunner:
    def __init__(self, api) -> None:
        self.api = api
        self.ws = None

    async def run(self, steps: list[Step]) -> None:
        self.ws = await self.api.client.ws_connect("/api/ws")
        for step in steps:
            where = f"API.md:{step.line}"
            if step.kind == "ws":
                await self.ws_step(step, where)
            elif step.kind == "http":
                await self.http_step(step, where)
            else:
                await self.push_step(step, where)
        await self.ws.close()

    async def ws_step(self, step: Step, where: str) -> None:
        await self.ws.send_str(step.request.replace("<token>", self.api.engine.tokens.value))
        remaining = list(step.expected)
        received = []
        while remaining:
            message = await self.ws.receive_json(timeout=10)
            received.append(message)
            hit = next((item for item in remaining if matches(item, message)), None)
            if hit is not None:
                remaining.remove(hit)
            elif message.get("type") == "result" or len(received) > 20:
                pytest.fail(f"{where}: reply does not match the example\nexpected one of: {remaining}\nreceived: {message}")

    async def http_step(self, step: Step, where: str) -> None:
        request_line, *header_lines = step.request.splitlines()
        method, path = request_line.split(" ", 1)
        headers = dict(line.split(": ", 1) for line in header_lines)
        headers.setdefault("Authorization", f"Bearer {self.api.engine.tokens.value}")
        response = await self.api.client.request(method, path, headers=headers)
        (expected,) = step.expected
        if isinstance(expected, str):
            status, content_type = expected.split()
            assert response.status == int(status), f"{where}: status {response.status}"
            assert response.content_type == content_type, f"{where}: content type {response.content_type}"
            assert len(await response.read()) > 0
            return
        body = await response.json()
        assert response.status == step.status, f"{where}: status {response.status}, body {body}"
        assert matches(expected, body), f"{where}: body does not match the example\nexpected: {expected}\nreceived: {body}"

    async def push_step(self, step: Step, where: str) -> None:
        (expected,) = step.expected
        await self.trigger(expected["type"])
        try:
            await receive_until(self.ws, lambda message: matches(expected, message), timeout=10)
        except TimeoutError:
            pytest.fail(f"{where}: no {expected['type']} push matching {expected}")

    async def trigger(self, kind: str) -> None:
        """Make the engine send one push of this type."""
        worker = next(worker for worker in StillWorker.instances if worker.camera.id == "front" and not worker.stopped)
        engine = self.api.engine
        if kind == "state":
            await asyncio.to_thread(worker.publish_state, 1)
        elif kind == "camera_status":
            await asyncio.to_thread(worker.publish_status, "offline", "connection refused by 127.0.0.1:8554")
        elif kind == "event":
            await asyncio.to_thread(self.api.record_event, "front", "end")
        elif kind == "config":
            engine.cameras_changed("front")
        elif kind == "stats":
            await engine.broadcast_stats()


@pytest.mark.model
async def test_api_doc_examples(tmp_path):
    model = real_model("yolo26n-320.onnx")
    StillWorker.instances.clear()
    steps = parse_doc(API_DOC.read_text(encoding="utf-8"))
    assert len(steps) > 30
    async with running_api(tmp_path, model_path=model) as api:
        event = stored_event(api, EVENT_ID, top_score=0.91, zone_changes=[("door", "entered")])
        assert event.id == EVENT_ID
        await DocRunner(api).run(steps)
