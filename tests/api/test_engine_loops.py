"""The engine's background loops: stats pushes and event retention."""

import asyncio
import time

from argus_engine.config import parse_engine
from argus_engine.events.model import Event
from argus_engine.events.store import EventStore
from tests.helpers.engine_api import FRONT, receive_until, request, running_api


async def test_stats_pushed_periodically(tmp_path):
    async with running_api(tmp_path, stats_interval=0.2) as api:
        ws = await api.ws()
        assert (await request(ws, {"id": 1, "type": "subscribe"}))["success"]
        first = await receive_until(ws, lambda message: message.get("type") == "stats", timeout=30)
        second = await receive_until(ws, lambda message: message.get("type") == "stats", timeout=30)
        assert second["data"]["time"] > first["data"]["time"]
        assert first["data"]["cameras"]["front"]["fps"] == 5.0
        assert first["data"]["process"]["rss_bytes"] > 0
        assert first["data"]["subscribers"] == 1
        await ws.close()


async def test_retention_removes_old_events_on_start(tmp_path):
    store = EventStore(tmp_path / "events.db", media_dir=tmp_path / "media")
    now = time.time()
    old = Event(id="ev_000000000001_aaaaaaaa", camera="front", label="person", groups=["person"], start=now - 20 * 86400, stream_start=0.0, top_score=0.9, end=now - 20 * 86400 + 5)
    recent = Event(id="ev_000000000002_aaaaaaaa", camera="front", label="person", groups=["person"], start=now - 86400, stream_start=0.0, top_score=0.9, end=now - 86400 + 5)
    for event in (old, recent):
        store.record(event, {"type": "end", "reasons": [], "zone_changes": [], "event": event.to_json()})
    store.close()

    config = parse_engine({"cameras": [FRONT], "retention_days": 10})
    async with running_api(tmp_path, config) as api:
        deadline = time.monotonic() + 30
        while api.engine.store.get_event(old.id) is not None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert api.engine.store.get_event(old.id) is None
        assert api.engine.store.get_event(recent.id) is not None
