"""Clips from streams with broken timestamps: jumps back, jumps forward, resets to 0.

bikes.mp4 is played three times in a row (30 s) through the real event recorder, with
each packet's timestamps rewritten to a pattern a faulty camera produces. One event
runs from 13.6 s to 23.2 s of true time, with 2 s pre-roll and 1.5 s post-roll, so the
clip must last about 13.5 s and play with strictly increasing timestamps.
"""

from collections.abc import Callable
from pathlib import Path

import av
import pytest

from argus_engine.config import RecordConfig
from argus_engine.events.recorder import EventRecorder
from argus_engine.events.store import EventStore
from argus_engine.labels import DEFAULT_GROUPS
from tests.helpers.packets import FPS, bikes_steps, change, sampled_frame, tracked

TICKS_PER_FRAME = 512  # bikes.mp4 uses a 1/12800 time base at 25 fps.
TICKS_PER_SECOND = 12800
START_INDEX, END_INDEX = 340, 580  # 13.6 s and 23.2 s
PRE_ROLL, POST_ROLL = 2.0, 1.5
EXPECTED_SECONDS = (END_INDEX - START_INDEX) / FPS + PRE_ROLL + POST_ROLL


def no_jump(index: int) -> int:
    return 0


def back_every_two_seconds(index: int) -> int:
    return -(index // (2 * FPS)) * 9800 * TICKS_PER_SECOND


def forward_by_2_pow_31(index: int) -> int:
    return 2**31 if index >= 400 else 0


def reset_to_zero(index: int) -> int:
    return -(400 * TICKS_PER_FRAME - 1024) if index >= 400 else 0


def record_event(tmp_path: Path, jump: Callable[[int], int]) -> tuple[list[dict], Path]:
    """Run the recorder over the retimed stream; return the messages and the clip file."""
    messages: list[dict] = []
    store = EventStore(tmp_path / "events.db")
    recorder = EventRecorder(
        "front",
        store=store,
        media_dir=tmp_path / "media",
        record=RecordConfig(pre_roll=PRE_ROLL, post_roll=POST_ROLL),
        groups=DEFAULT_GROUPS,
        publish=messages.append,
    )
    # Rewritten PTS -> true time in seconds, to know which frame is which.
    truth: dict[int, float] = {}

    def retime(index: int, packet: av.Packet) -> None:
        offset = packet.pts - packet.dts
        packet.dts = index * TICKS_PER_FRAME - 1024 + jump(index)
        packet.pts = packet.dts + offset
        truth[packet.pts] = (index * TICKS_PER_FRAME - 1024 + offset) / TICKS_PER_SECOND

    stream_seen = False
    for stream, step in bikes_steps(retime, loops=3):
        if not stream_seen:
            recorder.on_stream(stream)
            stream_seen = True
        recorder.on_packet(step.packet)
        for frame in step.frames:
            true_time = truth[frame.pts]
            # A naive source's stream time follows the broken PTS.
            stream_time = float(frame.pts * frame.time_base)
            sampled = sampled_frame(frame, stream_time, 1_700_000_000.0 + true_time)
            person = tracked(time=stream_time)
            if abs(true_time - START_INDEX / FPS) < 0.01:
                recorder.handle([change("start", person, stream_time)], [person], sampled)
            elif abs(true_time - END_INDEX / FPS) < 0.01:
                recorder.handle([change("end", person, stream_time)], [], sampled)
    assert recorder.close(30)
    store.close()

    clip_messages = [message for message in messages if "clip" in message["data"]["reasons"]]
    assert len(clip_messages) == 1, [message["data"]["reasons"] for message in messages]
    row_path = clip_messages[0]["data"]["event"]["clip_url"]
    assert row_path.endswith("/clip.mp4")
    clips = list((tmp_path / "media").rglob("*-clip.mp4"))
    assert len(clips) == 1
    return messages, clips[0]


@pytest.mark.parametrize(
    "jump",
    [no_jump, back_every_two_seconds, forward_by_2_pow_31, reset_to_zero],
    ids=["monotonic", "back-9800s-every-2s", "forward-2^31", "reset-to-0"],
)
def test_clip_timestamp_jumps(tmp_path: Path, jump: Callable[[int], int]) -> None:
    messages, clip = record_event(tmp_path, jump)

    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        dts = [packet.dts for packet in container.demux(stream) if packet.dts is not None]
    with av.open(str(clip)) as container:
        frames = list(container.decode(video=0))
    times = [float(frame.pts * frame.time_base) for frame in frames]
    duration = times[-1] - times[0] + 1 / FPS

    assert [message["data"]["type"] for message in messages] == ["start", "end", "update"]
    assert frames[0].key_frame
    assert times[0] == pytest.approx(0.0, abs=0.001)
    assert all(later > earlier for earlier, later in zip(dts, dts[1:]))
    assert all(later > earlier for earlier, later in zip(times, times[1:]))
    assert abs(duration - EXPECTED_SECONDS) < 1.0
