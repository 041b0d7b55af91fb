"""Event recorder: messages, snapshots before publishing, better snapshots and clips."""

from datetime import UTC, datetime
from pathlib import Path

import av
import pytest
from PIL import Image

from argus_engine.config import RecordConfig
from argus_engine.events.recorder import SNAPSHOT_INTERVAL, EventRecorder
from argus_engine.events.store import EventStore
from argus_engine.frames import SampledFrame
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.objects import REASON_CLIP, REASON_SNAPSHOT, REASON_STATIONARY, REASON_ZONE_ENTERED, ZoneChange
from tests.helpers.packets import FPS, bikes_steps, change, sampled_frame, tracked

WALL = 1_700_000_000.0
WHOLE = (200.0, 60.0, 300.0, 250.0)
CUT = (0.0, 60.0, 100.0, 250.0)
EVENT_KEYS = {
    "id", "camera", "label", "groups", "zones", "start", "end", "stream_start", "stream_end",
    "top_score", "score", "stationary", "snapshot_url", "crop_url", "clip_url", "verification",
}  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A recorder on a temporary store, collecting what it publishes."""

    def __init__(self, tmp_path: Path, record: RecordConfig | None = None) -> None:
        self.media = tmp_path / "media"
        self.store = EventStore(tmp_path / "events.db")
        self.messages: list[dict] = []
        self.clock = Clock()
        self.on_publish = lambda message: None
        self.recorder = EventRecorder(
            "front",
            store=self.store,
            media_dir=self.media,
            record=record or RecordConfig(),
            groups=DEFAULT_GROUPS,
            publish=self._publish,
            clock=self.clock,
        )

    def _publish(self, message: dict) -> None:
        self.on_publish(message)
        self.messages.append(message)

    def kinds(self) -> list[tuple[str, list[str]]]:
        return [(message["data"]["type"], message["data"]["reasons"]) for message in self.messages]


@pytest.fixture
def harness(tmp_path: Path):
    harness = Harness(tmp_path)
    yield harness
    harness.recorder.close(10)
    harness.store.close()


@pytest.fixture(scope="module")
def video_frame() -> av.VideoFrame:
    steps = bikes_steps()
    frame = next(step.frames[0] for _, step in steps if step.frames)
    steps.close()
    return frame


def frame_at(video_frame: av.VideoFrame, time: float) -> SampledFrame:
    return sampled_frame(video_frame, time, WALL + time)


def test_start_published_after_snapshot_written(harness: Harness, video_frame: av.VideoFrame) -> None:
    seen: list[str] = []

    def check_files(message: dict) -> None:
        row = harness.store.get_event(message["data"]["event"]["id"])
        assert row is not None
        for column in ("snapshot_path", "crop_path"):
            with Image.open(harness.media / row[column]) as image:
                image.verify()
            seen.append(column)
        assert message["cursor"] == harness.store.last_cursor()

    harness.on_publish = check_files
    person = tracked(time=1.0)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))

    assert len(harness.messages) == 1
    assert seen == ["snapshot_path", "crop_path"]


def test_start_message_shape(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0, zones=frozenset({"door"}), score=0.8)
    harness.recorder.handle(
        [change("start", person, 1.0, ZoneChange("door", "entered"), reasons=(REASON_ZONE_ENTERED,))],
        [person],
        frame_at(video_frame, 1.0),
    )

    message = harness.messages[0]
    event = message["data"]["event"]
    event_id = event["id"]
    assert set(message) == {"type", "cursor", "data"}
    assert message["type"] == "event"
    assert set(message["data"]) == {"type", "reasons", "zone_changes", "event"}
    assert message["data"]["type"] == "start"
    assert message["data"]["reasons"] == [REASON_ZONE_ENTERED]
    assert message["data"]["zone_changes"] == [{"zone": "door", "change": "entered"}]
    assert set(event) == EVENT_KEYS
    assert event["camera"] == "front"
    assert event["label"] == "person"
    assert event["groups"] == ["person"]
    assert event["zones"] == ["door"]
    assert event["start"] == WALL + 1.0
    assert event["end"] is None
    assert event["stream_start"] == 1.0
    assert event["score"] == 0.8
    assert event["snapshot_url"] == f"/api/events/{event_id}/snapshot.jpg"
    assert event["crop_url"] == f"/api/events/{event_id}/crop.jpg"
    assert event["clip_url"] is None
    assert event["verification"] is None


def test_media_layout(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))

    event_id = harness.messages[0]["data"]["event"]["id"]
    day = datetime.fromtimestamp(WALL + 1.0, UTC).strftime("%Y-%m-%d")
    assert harness.store.get_event(event_id)["snapshot_path"] == f"front/{day}/{event_id}-snapshot.jpg"
    assert (harness.media / "front" / day / f"{event_id}-crop.jpg").is_file()


def test_update_accumulates_zones_and_stationary(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0, zones=frozenset({"door"}))
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))
    moved = tracked(time=2.0, zones=frozenset({"path"}), stationary=True)
    harness.recorder.handle(
        [change("update", moved, 2.0, ZoneChange("door", "left"), ZoneChange("path", "entered"), reasons=(REASON_STATIONARY,))],
        [moved],
        frame_at(video_frame, 2.0),
    )

    data = harness.messages[1]["data"]
    assert data["type"] == "update"
    assert data["reasons"] == [REASON_STATIONARY]
    assert data["zone_changes"] == [{"zone": "door", "change": "left"}, {"zone": "path", "change": "entered"}]
    assert data["event"]["zones"] == ["door", "path"]
    assert data["event"]["stationary"] is True
    assert harness.store.get_event(data["event"]["id"])["zones"] == ["door", "path"]


def test_end_closes_event(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))
    harness.recorder.handle([change("end", tracked(time=4.0, score=0.95), 4.0)], [], frame_at(video_frame, 4.0))
    harness.recorder.handle([change("update", person, 5.0)], [person], frame_at(video_frame, 5.0))

    assert [kind for kind, _ in harness.kinds()] == ["start", "end"]
    event = harness.messages[1]["data"]["event"]
    assert event["end"] == WALL + 4.0
    assert event["stream_end"] == 4.0
    assert event["top_score"] == 0.95
    assert harness.store.get_event(event["id"])["end"] == WALL + 4.0


def test_start_backdated_to_change_time(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 2.5))
    other = tracked("t2", time=9.0)
    harness.recorder.handle([change("start", other, 9.0)], [other], frame_at(video_frame, 3.0))

    assert harness.messages[0]["data"]["event"]["start"] == WALL + 1.0
    # A change dated after its frame comes from a timestamp jump; the frame's time is used.
    assert harness.messages[1]["data"]["event"]["start"] == WALL + 3.0


def test_unknown_track_ignored(harness: Harness, video_frame: av.VideoFrame) -> None:
    ghost = tracked("ghost", time=1.0)
    harness.recorder.handle([change("update", ghost, 1.0), change("end", ghost, 1.0)], [ghost], frame_at(video_frame, 1.0))

    assert harness.messages == []
    assert harness.store.last_cursor() == 0


def test_whole_object_replaces_cut_snapshot(harness: Harness, video_frame: av.VideoFrame) -> None:
    cut = tracked(time=1.0, box=CUT, score=0.9)
    harness.recorder.handle([change("start", cut, 1.0)], [cut], frame_at(video_frame, 1.0))
    event_id = harness.messages[0]["data"]["event"]["id"]
    first = (harness.media / harness.store.get_event(event_id)["snapshot_path"]).read_bytes()

    harness.clock.now += SNAPSHOT_INTERVAL + 0.1
    whole = tracked(time=2.0, box=WHOLE, score=0.6)
    harness.recorder.handle([], [whole], frame_at(video_frame, 2.0))

    assert harness.kinds() == [("start", []), ("update", [REASON_SNAPSHOT])]
    assert harness.messages[1]["data"]["event"]["score"] == 0.6
    assert (harness.media / harness.store.get_event(event_id)["snapshot_path"]).read_bytes() != first


def test_cut_object_never_replaces_whole(harness: Harness, video_frame: av.VideoFrame) -> None:
    whole = tracked(time=1.0, box=WHOLE, score=0.6)
    harness.recorder.handle([change("start", whole, 1.0)], [whole], frame_at(video_frame, 1.0))

    harness.clock.now += 10
    cut = tracked(time=2.0, box=CUT, score=0.99)
    harness.recorder.handle([], [cut], frame_at(video_frame, 2.0))

    assert harness.kinds() == [("start", [])]


def test_better_snapshot_rate_limited(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0, score=0.5)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))

    harness.clock.now += SNAPSHOT_INTERVAL / 2
    harness.recorder.handle([], [tracked(time=2.0, score=0.7)], frame_at(video_frame, 2.0))
    assert len(harness.messages) == 1

    harness.clock.now += SNAPSHOT_INTERVAL
    harness.recorder.handle([], [tracked(time=3.0, score=0.7)], frame_at(video_frame, 3.0))
    harness.recorder.handle([], [tracked(time=3.2, score=0.9)], frame_at(video_frame, 3.2))
    assert harness.kinds() == [("start", []), ("update", [REASON_SNAPSHOT])]
    assert harness.messages[1]["data"]["event"]["score"] == 0.7


def test_stale_object_not_used_for_snapshot(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0, score=0.5)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))

    harness.clock.now += 10
    # Last detected at 1.5 s but handed on with the frame at 3 s: its box is a guess.
    harness.recorder.handle([], [tracked(time=1.5, score=0.9)], frame_at(video_frame, 3.0))

    assert len(harness.messages) == 1


def test_update_carries_snapshot_reason(harness: Harness, video_frame: av.VideoFrame) -> None:
    person = tracked(time=1.0, score=0.5)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))

    harness.clock.now += 10
    better = tracked(time=2.0, score=0.9, stationary=True)
    harness.recorder.handle([change("update", better, 2.0, reasons=(REASON_STATIONARY,))], [better], frame_at(video_frame, 2.0))

    assert harness.kinds() == [("start", []), ("update", [REASON_STATIONARY, REASON_SNAPSHOT])]


def test_publish_failure_keeps_recording(harness: Harness, video_frame: av.VideoFrame) -> None:
    def broken(message: dict) -> None:
        raise RuntimeError("subscriber gone")

    harness.on_publish = broken
    person = tracked(time=1.0)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))
    harness.on_publish = lambda message: None
    harness.recorder.handle([change("end", person, 2.0)], [], frame_at(video_frame, 2.0))

    assert [message["data"]["type"] for message in harness.messages] == ["end"]
    assert [message["data"]["type"] for _, message in harness.store.messages_after(0)] == ["start", "end"]


@pytest.mark.parametrize("camera_id", ["", "../x", "a/b", ".hidden"])
def test_camera_id_must_be_folder_name(tmp_path: Path, camera_id: str) -> None:
    store = EventStore(tmp_path / "events.db")
    with pytest.raises(ValueError, match="camera id"):
        EventRecorder(
            camera_id,
            store=store,
            media_dir=tmp_path,
            record=RecordConfig(),
            groups=DEFAULT_GROUPS,
            publish=lambda message: None,
        )
    store.close()


def test_clip_update_after_end(tmp_path: Path) -> None:
    harness = Harness(tmp_path, RecordConfig(pre_roll=2.0, post_roll=1.5))
    recorder = harness.recorder
    for index, (stream, step) in enumerate(bikes_steps()):
        if index == 0:
            recorder.on_stream(stream)
        recorder.on_packet(step.packet)
        for frame in step.frames:
            time = float(frame.pts * frame.time_base)
            person = tracked(time=time)
            if abs(time - 5.52) < 0.01:
                recorder.handle([change("start", person, time)], [person], sampled_frame(frame, time, WALL + time))
            elif abs(time - 7.52) < 0.01:
                recorder.handle([change("end", person, time)], [], sampled_frame(frame, time, WALL + time))
    assert recorder.close(30)

    assert harness.kinds() == [("start", []), ("end", []), ("update", [REASON_CLIP])]
    event = harness.messages[2]["data"]["event"]
    assert event["clip_url"] == f"/api/events/{event['id']}/clip.mp4"
    assert event["end"] == WALL + 7.52
    clip = harness.media / harness.store.get_event(event["id"])["clip_path"]
    with av.open(str(clip)) as container:
        times = [float(frame.pts * frame.time_base) for frame in container.decode(video=0)]
    duration = times[-1] - times[0] + 1 / FPS
    assert abs(duration - (2.0 + 2.0 + 1.5)) < 1.0
    harness.store.close()


def test_snapshot_write_failure_still_publishes(harness: Harness, video_frame: av.VideoFrame) -> None:
    # A file where the camera's media folder should be makes every snapshot write fail.
    harness.media.mkdir(parents=True)
    (harness.media / "front").write_bytes(b"")
    person = tracked(time=1.0, score=0.5)
    harness.recorder.handle([change("start", person, 1.0)], [person], frame_at(video_frame, 1.0))

    assert harness.kinds() == [("start", [])]
    assert harness.messages[0]["data"]["event"]["snapshot_url"] is None

    (harness.media / "front").unlink()
    harness.recorder.handle([], [tracked(time=1.2, score=0.5)], frame_at(video_frame, 1.2))

    assert harness.kinds() == [("start", []), ("update", [REASON_SNAPSHOT])]
    assert harness.messages[1]["data"]["event"]["snapshot_url"] is not None
