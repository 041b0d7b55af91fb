"""Event lifecycle invariants of the scene on random detection streams."""

from hypothesis import event, given, settings
from hypothesis import strategies as st

from argus_engine.config import parse_camera
from argus_engine.detection import Detection
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.scene import CameraScene

FRAME = (640, 360)
CAMERA = parse_camera(
    {
        "name": "Yard",
        "url": "rtsp://127.0.0.1:8554/yard",
        "zones": [
            {"name": "Left", "points": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], "inertia": 2, "loitering_seconds": 3},
            {"name": "All", "points": [[0, 0], [1, 0], [1, 1], [0, 1]], "inertia": 1},
        ],
    }
)

@st.composite
def streams(draw: st.DrawFn) -> list[list[Detection] | None]:
    """Build frames from a few objects that drift, flicker and change score, as a detector reports them."""
    count = draw(st.integers(1, 120))
    actors = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["person", "car", "dog", "kite"]),
                st.floats(0, 500),  # x
                st.floats(0, 250),  # y
                st.floats(-20, 20),  # x speed, px per frame
                st.lists(st.booleans(), min_size=count, max_size=count),  # seen per frame
                st.lists(st.floats(0.3, 1.0), min_size=count, max_size=count),  # score per frame
            ),
            max_size=4,
        )
    )
    skipped = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    frames: list[list[Detection] | None] = []
    for index in range(count):
        if skipped[index]:
            frames.append(None)
            continue
        detections = []
        for label, x, y, speed, seen, scores in actors:
            left = min(max(0.0, x + speed * index), 560.0)
            if seen[index]:
                detections.append(Detection(label, 0, scores[index], (left, y, left + 60.0, y + 100.0)))
        frames.append(detections)
    return frames


@settings(max_examples=150, deadline=None)
@given(streams())
def test_one_start_and_one_end_per_object(stream: list[list[Detection] | None]) -> None:
    scene = CameraScene(CAMERA, DEFAULT_GROUPS)
    history: dict[str, list[str]] = {}
    zone_history: dict[tuple[str, str], list[str]] = {}

    for index, detections in enumerate(stream):
        now = index * 0.25
        changes = scene.advance(now) if detections is None else scene.update(detections, now, FRAME)
        for change in changes:
            history.setdefault(change.object.track_id, []).append(change.kind)
            for zone_change in change.zone_changes:
                zone_history.setdefault((change.object.track_id, zone_change.zone), []).append(zone_change.change)

        live = scene.objects()
        state = scene.state()
        assert sum(state["counts"][label] for label in ("person", "car", "dog")) == len(live)
        assert state["zones"]["all"]["counts"]["person"] <= state["counts"]["person"]
        for item in live:
            assert history[item.track_id][0] == "start"
            assert "end" not in history[item.track_id]

    for change in scene.finish(None):
        history.setdefault(change.object.track_id, []).append(change.kind)
        for zone_change in change.zone_changes:
            zone_history.setdefault((change.object.track_id, zone_change.zone), []).append(zone_change.change)
    event(f"objects with events: {min(len(history), 3)}")

    assert scene.objects() == []
    for track_id, kinds in history.items():
        assert kinds[0] == "start", f"{track_id}: {kinds}"
        assert kinds[-1] == "end", f"{track_id}: {kinds}"
        assert kinds.count("start") == 1, f"{track_id}: {kinds}"
        assert kinds.count("end") == 1, f"{track_id}: {kinds}"
    for key, changes in zone_history.items():
        moves = [change for change in changes if change != "loitering"]
        assert moves[::2] == ["entered"] * len(moves[::2]), f"{key}: {changes}"
        assert moves[1::2] == ["left"] * len(moves[1::2]), f"{key}: {changes}"
        assert moves[-1] == "left", f"{key}: {changes}"
