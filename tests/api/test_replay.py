"""Replay from a cursor: a client that reconnects gets every missed event exactly once, in order."""

import asyncio
import threading

from tests.helpers.engine_api import StillWorker, receive_until, request, running_api


def is_event(message):
    return message.get("type") == "event"


async def subscribe(api, since=None):
    ws = await api.ws()
    message = {"id": 1, "type": "subscribe"} if since is None else {"id": 1, "type": "subscribe", "since": since}
    reply = await request(ws, message)
    assert reply["success"], reply
    snapshot = await ws.receive_json(timeout=10)
    assert snapshot["type"] == "snapshot"
    return ws, reply["result"]["cursor"]


async def received_events(ws, count):
    return [await receive_until(ws, is_event) for _ in range(count)]


async def assert_quiet(ws, seconds=0.5):
    """Fail if another event arrives within `seconds`."""
    try:
        message = await receive_until(ws, is_event, timeout=seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected extra event: {message}")


async def test_reconnect_replays_missed_events(tmp_path):
    async with running_api(tmp_path) as api:
        ws, _ = await subscribe(api)
        api.record_event()
        last_seen = (await received_events(ws, 1))[0]["cursor"]
        await ws.close()

        missed = [api.record_event(kind="end")[0] for _ in range(5)]

        ws, cursor = await subscribe(api, since=last_seen)
        assert cursor == missed[-1]
        replayed = await received_events(ws, 5)
        assert [message["cursor"] for message in replayed] == missed
        assert all(message["data"]["type"] == "end" for message in replayed)

        live = [api.record_event()[0] for _ in range(2)]
        assert [message["cursor"] for message in await received_events(ws, 2)] == live
        await assert_quiet(ws)
        await ws.close()


async def test_replay_across_engine_restart(tmp_path):
    async with running_api(tmp_path) as api:
        ws, _ = await subscribe(api)
        api.record_event(kind="end")
        last_seen = (await received_events(ws, 1))[0]["cursor"]
        await ws.close()
        missed = [api.record_event(kind="end")[0] for _ in range(3)]

    async with running_api(tmp_path) as api:
        missed += [api.record_event(kind="end")[0] for _ in range(2)]
        ws, cursor = await subscribe(api, since=last_seen)
        replayed = await received_events(ws, 5)
        assert [message["cursor"] for message in replayed] == missed
        assert cursor == missed[-1]
        live, _ = api.record_event()
        assert (await received_events(ws, 1))[0]["cursor"] == live
        await assert_quiet(ws)
        await ws.close()


async def test_restart_ends_open_events(tmp_path):
    async with running_api(tmp_path) as api:
        cursor, event = api.record_event(kind="start")
    async with running_api(tmp_path) as api:
        ws, _ = await subscribe(api, since=cursor)
        (ended,) = await received_events(ws, 1)
        assert ended["data"]["type"] == "end"
        assert ended["data"]["event"]["id"] == event.id
        assert ended["data"]["reasons"] == ["engine_restart"]
        await assert_quiet(ws)
        await ws.close()


async def test_subscribe_during_event_burst(tmp_path):
    """Subscribe with since=0 while two threads journal events: cursors arrive 1..N once each."""
    async with running_api(tmp_path) as api:
        total = 400
        started = threading.Event()

        def burst():
            started.set()
            for _ in range(total // 2):
                api.record_event()

        threads = [threading.Thread(target=burst) for _ in range(2)]
        for thread in threads:
            thread.start()
        await asyncio.to_thread(started.wait)
        await asyncio.sleep(0.05)
        ws, _ = await subscribe(api, since=0)
        cursors = [message["cursor"] for message in await received_events(ws, total)]
        for thread in threads:
            await asyncio.to_thread(thread.join)
        assert cursors == list(range(1, total + 1))
        await assert_quiet(ws)
        await ws.close()


async def test_state_pushes_follow_snapshot(api):
    ws, _ = await subscribe(api)
    worker = StillWorker.instances[0]
    await asyncio.to_thread(worker.publish_state, 2)
    message = await receive_until(ws, lambda message: message.get("type") == "state")
    assert message["camera"] == "front"
    assert message["data"]["counts"] == {"person": 2}
    snapshot = api.engine.snapshot()["cameras"]["front"]
    assert snapshot["counts"] == {"person": 2}
    await ws.close()
