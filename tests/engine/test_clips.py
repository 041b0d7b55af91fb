"""Clips: the repaired timeline, the pre-roll ring buffer and MP4 clips from bikes.mp4 packets."""

import threading
from fractions import Fraction
from pathlib import Path

import av
import pytest

from argus_engine.config import RecordConfig
from argus_engine.events.clips import ClipRecorder, PacketRingBuffer
from argus_engine.events.ringbuffer import Timeline
from tests.helpers.packets import FPS, bikes_steps

TICKS = 512  # One frame of bikes.mp4 in its 1/12800 time base.


def synthetic(pts: int | None, dts: int | None, duration: int = 0) -> av.Packet:
    packet = av.Packet(b"\x00\x01")
    packet.pts = pts
    packet.dts = dts
    packet.duration = duration
    return packet


def probe(path: Path) -> tuple[float, list[float], bool]:
    """Return the clip's decoded duration, its frame times and whether the first frame is a keyframe."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
    times = [float(frame.pts * frame.time_base) for frame in frames]
    return times[-1] - times[0] + 1 / FPS, times, frames[0].key_frame


class Done:
    """Collects finished clips from the writer thread."""

    def __init__(self) -> None:
        self.paths: dict[str, Path | None] = {}
        self.event = threading.Event()

    def __call__(self, event_id: str, path: Path | None) -> None:
        self.paths[event_id] = path
        self.event.set()


def test_timeline_keeps_sane_steps() -> None:
    timeline = Timeline(Fraction(1, 90000), Fraction(25))

    placed = [timeline.place(synthetic(pts, pts)) for pts in (1000, 4600, 8200, 11800)]

    assert placed == [(0, 0), (3600, 3600), (7200, 7200), (10800, 10800)]
    assert timeline.jumps == 0


@pytest.mark.parametrize("jump", [-9800 * 90000, 2**31, -1_000_000, 0])
def test_timeline_repairs_jumps(jump: int) -> None:
    timeline = Timeline(Fraction(1, 90000), Fraction(25))
    timeline.place(synthetic(90000, 90000))

    dts, pts = timeline.place(synthetic(90000 + jump, 90000 + jump))

    assert dts == 3600
    assert pts == dts
    assert timeline.jumps == 1


def test_timeline_prefers_packet_duration() -> None:
    timeline = Timeline(Fraction(1, 90000), Fraction(25))
    timeline.place(synthetic(0, 0, 3000))

    assert timeline.place(synthetic(2**33, 2**33, 3000))[0] == 3000


def test_timeline_keeps_b_frame_offset() -> None:
    timeline = Timeline(Fraction(1, 12800), Fraction(25))
    assert timeline.place(synthetic(0, -1024)) == (-1024, 0)
    assert timeline.place(synthetic(2048, -512)) == (-512, 2048)


def test_timeline_without_timestamps_advances() -> None:
    timeline = Timeline(Fraction(1, 12800), Fraction(25))

    placed = [timeline.place(synthetic(None, None))[0] for _ in range(3)]

    assert placed == [0, TICKS, 2 * TICKS]


def test_ring_buffer_starts_at_keyframe_and_keeps_seconds() -> None:
    buffer = PacketRingBuffer(2.0)
    for index, (stream, step) in enumerate(bikes_steps()):
        if index == 0:
            buffer.reset(stream)
        buffer.append(step.packet)
        buffered = buffer.packets_from(float("-inf"))
        newest = buffer.latest_time()

        assert buffered[0].keyframe
        assert [entry.dts for entry in buffered] == sorted({entry.dts for entry in buffered})
        if newest >= 2.0:
            oldest = buffer.seconds_of(buffered[0].dts)
            assert newest - oldest >= 2.0
            # bikes.mp4's longest keyframe interval is 2.44 s.
            assert newest - oldest <= 2.0 + 2.44 + 1 / FPS


def test_ring_buffer_drops_packets_before_first_keyframe() -> None:
    buffer = PacketRingBuffer(5.0)
    steps = bikes_steps()
    stream, _ = next(steps)
    buffer.reset(stream)
    # The keyframe at 0 s is skipped, so the buffer must wait for the one at 1.2 s.
    packets = [step.packet for _, step in (next(steps) for _ in range(39))]

    results = [buffer.append(packet) for packet in packets]

    first_key = next(index for index, packet in enumerate(packets) if packet.is_keyframe)
    assert all(result is None for result in results[:first_key])
    assert results[first_key] is not None
    assert len(buffer) == 39 - first_key


def test_ring_buffer_waits_for_keyframe_with_dts() -> None:
    buffer = PacketRingBuffer(5.0)
    steps = bikes_steps()
    stream, first = next(steps)
    buffer.reset(stream)
    # Like the first packets of an RTSP session: the keyframe at 0 s comes without a DTS.
    first.packet.dts = None

    assert buffer.append(first.packet) is None
    results = [(step.packet.is_keyframe, buffer.append(step.packet)) for _, step in (next(steps) for _ in range(40))]

    first_accepted = next(index for index, (_, result) in enumerate(results) if result is not None)
    assert results[first_accepted][0]
    # The next keyframe of bikes.mp4 (1.2 s) is the 30th packet after the first.
    assert first_accepted == 29


def test_ring_buffer_stream_without_dts() -> None:
    buffer = PacketRingBuffer(5.0)
    accepted = 0
    for index, (stream, step) in enumerate(bikes_steps()):
        if index == 0:
            buffer.reset(stream)
        step.packet.dts = None
        accepted += buffer.append(step.packet) is not None

    # A stream that never sends a DTS gets buffered from its first keyframe after the
    # leading packets that are skipped (bikes.mp4 has one at 3.04 s, packet 76).
    buffered = buffer.packets_from(float("-inf"))
    assert accepted > 0
    assert buffered[0].keyframe
    assert all(later.dts > earlier.dts for earlier, later in zip(buffered, buffered[1:]))


def test_ring_buffer_packets_from_keyframe_before() -> None:
    buffer = PacketRingBuffer(10.0)
    for index, (stream, step) in enumerate(bikes_steps()):
        if index == 0:
            buffer.reset(stream)
        buffer.append(step.packet)

    # Keyframes of bikes.mp4 are at 0, 1.2, 3.04, 5.48, 7.48 and 9.68 s.
    assert buffer.seconds_of(buffer.packets_from(3.5)[0].pts) == pytest.approx(3.04)
    assert buffer.seconds_of(buffer.packets_from(3.04)[0].pts) == pytest.approx(3.04)
    assert buffer.seconds_of(buffer.packets_from(-5.0)[0].pts) == pytest.approx(0.0)


def test_ring_buffer_rejects_negative_seconds() -> None:
    with pytest.raises(ValueError, match="pre-roll"):
        PacketRingBuffer(-1)


@pytest.fixture
def recorders():
    """ClipRecorders made by a test, closed at teardown so no writer thread outlives it."""
    created: list[ClipRecorder] = []
    yield created
    for clips in created:
        clips.close()
        clips.wait(30)


def record_clip(
    recorders: list[ClipRecorder], tmp_path: Path, record: RecordConfig, start: float, end: float | None
) -> tuple[Done, ClipRecorder]:
    """Feed bikes.mp4 to a ClipRecorder with one event from `start` to `end` seconds."""
    clips = ClipRecorder("front", record)
    recorders.append(clips)
    done = Done()
    for index, (stream, step) in enumerate(bikes_steps()):
        if index == 0:
            clips.on_stream(stream)
        clips.on_packet(step.packet)
        time = float(step.packet.pts * step.packet.time_base)
        if abs(time - start) < 0.01:
            assert clips.begin("ev_1", tmp_path / "clip.mp4", step.packet.pts, 0.0, done)
        if end is not None and abs(time - end) < 0.01:
            clips.end("ev_1", step.packet.pts, 0.0)
    return done, clips


def test_clip_from_real_packets(recorders: list[ClipRecorder], tmp_path: Path) -> None:
    record = RecordConfig(pre_roll=2.0, post_roll=1.5)
    done, clips = record_clip(recorders, tmp_path, record, start=5.52, end=7.52)
    clips.close()
    assert clips.wait(30)

    path = done.paths["ev_1"]
    assert path == tmp_path / "clip.mp4"
    duration, times, keyframe_first = probe(path)
    assert keyframe_first
    assert times[0] == pytest.approx(0.0, abs=0.001)
    assert times == sorted(times)
    assert abs(duration - (2.0 + 2.0 + 1.5)) < 1.0
    assert not (tmp_path / "clip.mp4.part").exists()


def test_clip_completes_after_post_roll_without_close(recorders: list[ClipRecorder], tmp_path: Path) -> None:
    done, clips = record_clip(recorders, tmp_path, RecordConfig(pre_roll=1.0, post_roll=1.0), start=2.0, end=4.0)

    assert done.event.wait(30)
    assert clips.recording == []


def test_clip_cut_at_max_seconds(recorders: list[ClipRecorder], tmp_path: Path) -> None:
    record = RecordConfig(pre_roll=1.0, post_roll=1.0, max_seconds=3.0)
    done, clips = record_clip(recorders, tmp_path, record, start=2.0, end=None)

    assert done.event.wait(30)
    duration, _, _ = probe(done.paths["ev_1"])
    assert duration <= 3.0 + 1 / FPS
    assert duration >= 3.0 - 2 / FPS


def test_close_finishes_clip_with_packets_so_far(recorders: list[ClipRecorder], tmp_path: Path) -> None:
    done, clips = record_clip(recorders, tmp_path, RecordConfig(pre_roll=0.5, post_roll=30.0), start=8.0, end=9.0)
    assert clips.recording == ["ev_1"]

    clips.close()
    assert clips.wait(30)

    duration, _, _ = probe(done.paths["ev_1"])
    # From the keyframe at 7.48 s to the end of the file at 10 s.
    assert duration == pytest.approx(10.0 - 7.48, abs=0.1)


def test_new_stream_ends_running_clip(recorders: list[ClipRecorder], tmp_path: Path) -> None:
    done, clips = record_clip(recorders, tmp_path, RecordConfig(pre_roll=1.0, post_roll=30.0), start=3.0, end=None)
    steps = bikes_steps()
    stream, _ = next(steps)

    clips.on_stream(stream)

    assert done.event.wait(30)
    assert done.paths["ev_1"] is not None


def test_clips_disabled(tmp_path: Path) -> None:
    clips = ClipRecorder("front", RecordConfig(enabled=False))
    steps = bikes_steps()
    stream, step = next(steps)
    clips.on_stream(stream)
    clips.on_packet(step.packet)

    assert not clips.begin("ev_1", tmp_path / "clip.mp4", step.packet.pts, 0.0, Done())
    assert clips.wait(1)


def test_begin_without_stream(tmp_path: Path) -> None:
    clips = ClipRecorder("front", RecordConfig())

    assert not clips.begin("ev_1", tmp_path / "clip.mp4", None, 0.0, Done())


def test_unwritable_clip_reports_failure(recorders: list[ClipRecorder], tmp_path: Path) -> None:
    # A file where the clip's folder should be makes opening the output fail.
    (tmp_path / "blocked").write_bytes(b"")
    clips = ClipRecorder("front", RecordConfig(pre_roll=1.0, post_roll=0.5))
    recorders.append(clips)
    done = Done()
    for index, (stream, step) in enumerate(bikes_steps()):
        if index == 0:
            clips.on_stream(stream)
        clips.on_packet(step.packet)
        if index == 60:
            assert clips.begin("ev_1", tmp_path / "blocked" / "clip.mp4", step.packet.pts, 0.0, done)
        if index == 90:
            clips.end("ev_1", step.packet.pts, 0.0)

    assert done.event.wait(30)
    assert done.paths == {"ev_1": None}
    assert (tmp_path / "blocked").read_bytes() == b""
