"""Event recorder driven from two threads, as the camera pipeline drives it.

The source thread demuxes and calls `on_packet`; the worker thread handles frames with
overlapping events; the clip writer thread finishes clips at the same time.
"""

import queue
import threading
from pathlib import Path

import av

from argus_engine.config import RecordConfig
from argus_engine.events.recorder import EventRecorder
from argus_engine.events.store import EventStore
from argus_engine.labels import DEFAULT_GROUPS
from tests.helpers.packets import bikes_steps, change, sampled_frame, tracked

WALL = 1_700_000_000.0
# (track id, start, end) in seconds of the 30 s stream: overlapping events.
EVENTS = [("a", 2.0, 6.0), ("b", 4.0, 12.0), ("c", 11.0, 11.6), ("d", 15.0, 24.0), ("e", 20.0, 27.0)]


def test_recorder_two_threads(tmp_path: Path) -> None:
    published: list[dict] = []
    store = EventStore(tmp_path / "events.db")
    recorder = EventRecorder(
        "front",
        store=store,
        media_dir=tmp_path / "media",
        record=RecordConfig(pre_roll=1.0, post_roll=1.0),
        groups=DEFAULT_GROUPS,
        publish=published.append,
    )
    frames: queue.Queue = queue.Queue(maxsize=8)
    errors: list[BaseException] = []

    def source() -> None:
        try:
            for index, (stream, step) in enumerate(bikes_steps(retime=continuous, loops=3)):
                if index == 0:
                    recorder.on_stream(stream)
                recorder.on_packet(step.packet)
                for frame in step.frames:
                    frames.put(frame)
        except BaseException as err:
            errors.append(err)
        finally:
            frames.put(None)

    producer = threading.Thread(target=source, name="test-source")
    producer.start()
    try:
        handle_frames(recorder, frames)
    finally:
        producer.join(60)
    assert recorder.close(30)

    assert errors == []
    journal = store.messages_after(0)
    assert [message for _, message in journal] == published
    assert [cursor for cursor, _ in journal] == sorted({cursor for cursor, _ in journal})
    events, _ = store.query_events()
    assert len(events) == len(EVENTS)
    for row in events:
        assert row["end"] is not None
        assert row["clip_path"] is not None
        with av.open(str(tmp_path / "media" / row["clip_path"])) as clip:
            assert sum(1 for _ in clip.decode(video=0)) > 0
    store.close()


def continuous(index: int, packet: av.Packet) -> None:
    """Give the looped packets one continuous timeline, as a live camera would."""
    offset = packet.pts - packet.dts
    packet.dts = index * 512 - 1024
    packet.pts = packet.dts + offset


def handle_frames(recorder: EventRecorder, frames: queue.Queue) -> None:
    started: set[str] = set()
    ended: set[str] = set()
    while (frame := frames.get(timeout=60)) is not None:
        time = float(frame.pts * frame.time_base)
        changes = []
        for track_id, start, end in EVENTS:
            person = tracked(track_id, time=time)
            if track_id not in started and time >= start:
                started.add(track_id)
                changes.append(change("start", person, time))
            elif track_id in started and track_id not in ended and time >= end:
                ended.add(track_id)
                changes.append(change("end", person, time))
        live = [tracked(track_id, time=time) for track_id in started - ended]
        recorder.handle(changes, live, sampled_frame(frame, time, WALL + time))
