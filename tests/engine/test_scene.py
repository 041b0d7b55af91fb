"""Camera scene: event lifecycle, live state, config changes and skipped frames."""

import json

import pytest

from argus_engine.config import CameraConfig, MotionConfig, parse_camera, parse_zone, with_zones
from argus_engine.detection import Detection
from argus_engine.errors import InputError
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.motion import MotionGate, MotionResult
from argus_engine.objects import REASON_LOITERING, REASON_MOVING, REASON_STATIONARY, REASON_ZONE_ENTERED, REASON_ZONE_LEFT
from argus_engine.live_state import count_keys
from argus_engine.scene import CameraScene

FRAME = (1280, 720)
DOOR = [[0.4, 0.2], [0.6, 0.2], [0.6, 0.6], [0.4, 0.6]]
LOWER_HALF = [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]
BOTTOM = [[0, 0.7], [1, 0.7], [1, 1], [0, 1]]


def make_camera(zones: list[dict] | None = None, **fields: object) -> CameraConfig:
    return parse_camera({"name": "Front", "url": "rtsp://127.0.0.1:8554/front", "zones": zones or [], **fields})


def person(x: float = 600.0, y: float = 150.0, score: float = 0.85) -> Detection:
    return Detection("person", 0, score, (x, y, x + 80.0, y + 270.0))


def car(x: float = 400.0, score: float = 0.85) -> Detection:
    return Detection("car", 2, score, (x, 400.0, x + 200.0, 520.0))


def feed(scene: CameraScene, frames: list[tuple[float, list[Detection]]], frame_size: tuple[int, int] = FRAME) -> list:
    changes = []
    for now, detections in frames:
        changes += scene.update(detections, now, frame_size)
    return changes


def test_state_shape_and_zero_counts() -> None:
    scene = CameraScene(make_camera([{"name": "Door", "points": DOOR, "objects": ["person"]}]), DEFAULT_GROUPS)

    state = scene.state()

    assert set(state) == {"counts", "zones"}
    assert state["counts"]["person"] == 0
    assert state["counts"]["vehicle"] == 0
    assert state["counts"]["car"] == 0
    assert state["counts"]["dog"] == 0
    assert set(state["counts"].values()) == {0}
    assert state["zones"] == {"door": {"counts": {"person": 0}, "objects": []}}
    json.dumps(state)


def test_state_counts_label_and_group_once() -> None:
    scene = CameraScene(make_camera([{"name": "Door", "points": DOOR}]), DEFAULT_GROUPS)
    feed(scene, [(step * 0.2, [person(), car()]) for step in range(4)])

    state = scene.state()
    door = state["zones"]["door"]

    assert state["counts"]["person"] == 1
    assert state["counts"]["car"] == 1
    assert state["counts"]["vehicle"] == 1
    assert state["counts"]["truck"] == 0
    assert door["counts"]["person"] == 1
    assert door["counts"]["vehicle"] == 0
    assert [item["label"] for item in door["objects"]] == ["person"]
    assert set(door["objects"][0]) == {"track_id", "label", "score"}
    assert door["objects"][0]["score"] == pytest.approx(0.85)


def test_state_steady_while_scores_vary() -> None:
    scene = CameraScene(make_camera([{"name": "Door", "points": DOOR}]), DEFAULT_GROUPS)
    feed(scene, [(step * 0.2, [person(score=0.9)]) for step in range(4)])
    before = scene.state()

    feed(scene, [(1.0 + step * 0.2, [person(score=0.7 + step / 100)]) for step in range(10)])

    assert scene.state() == before
    assert before["zones"]["door"]["objects"][0]["score"] == 0.9


def test_count_keys_include_user_groups() -> None:
    groups = {**DEFAULT_GROUPS, "pets": frozenset({"cat", "dog"})}

    keys = count_keys(["person", "dog"], groups)

    assert keys == ["person", "dog", "animal", "pets"]


def test_lifecycle_start_update_end() -> None:
    zones = [{"name": "Door", "points": DOOR, "inertia": 2}, {"name": "Yard", "points": BOTTOM, "inertia": 2}]
    scene = CameraScene(make_camera(zones), DEFAULT_GROUPS)

    # In the door for a second, then walking down out of the door into the yard.
    changes = feed(scene, [(step * 0.2, [person(y=150.0)]) for step in range(5)])
    changes += feed(scene, [(1.0 + step * 0.2, [person(y=150.0 + 25 * step)]) for step in range(1, 11)])
    changes += feed(scene, [(3.0 + step * 0.2, []) for step in range(20)])

    kinds = [change.kind for change in changes]
    assert kinds[0] == "start"
    assert kinds[-1] == "end"
    assert set(kinds[1:-1]) == {"update"}
    zone_changes = [(item.zone, item.change) for change in changes for item in change.zone_changes]
    assert zone_changes == [("door", "entered"), ("door", "left"), ("yard", "entered"), ("yard", "left")]
    assert changes[0].object.zones == {"door"}
    assert changes[-2].object.zones == {"yard"}
    assert REASON_ZONE_ENTERED in changes[-2].reasons
    assert any(REASON_ZONE_LEFT in change.reasons for change in changes[1:-1])
    assert changes[-1].reasons == (REASON_ZONE_LEFT,)
    assert changes[-1].object.zones == frozenset()
    assert changes[-1].object.last_seen == pytest.approx(3.0)
    assert len({change.object.track_id for change in changes}) == 1


def test_stationary_and_moving_updates() -> None:
    scene = CameraScene(make_camera(), DEFAULT_GROUPS)

    changes = feed(scene, [(step * 0.5, [car()]) for step in range(12)])
    changes += feed(scene, [(6.0 + step * 0.5, [car(x=400.0 + 60 * step)]) for step in range(1, 6)])

    assert [change.kind for change in changes] == ["start", "update", "update"]
    assert changes[1].reasons == (REASON_STATIONARY,)
    assert changes[1].object.stationary
    assert changes[2].reasons == (REASON_MOVING,)
    assert not changes[2].object.stationary


def test_loitering_update_once() -> None:
    scene = CameraScene(make_camera([{"name": "Door", "points": DOOR, "inertia": 1, "loitering_seconds": 10}]), DEFAULT_GROUPS)

    changes = feed(scene, [(step * 0.5, [person()]) for step in range(40)])

    assert [change.kind for change in changes] == ["start", "update", "update"]
    loitering = [change for change in changes if REASON_LOITERING in change.reasons]
    assert len(loitering) == 1
    assert loitering[0].zone_changes[0].zone == "door"
    assert loitering[0].time == pytest.approx(10.0)


@pytest.mark.parametrize("refresh", [5.0, 60.0])
def test_skipped_frames_keep_parked_car(refresh: float) -> None:
    # The pipeline's loop: the gate skips the detector without motion or moving tracks.
    scene = CameraScene(make_camera([{"name": "Driveway", "points": LOWER_HALF}]), DEFAULT_GROUPS)
    gate = MotionGate(MotionConfig(refresh_seconds=refresh))
    changes = []
    detected_frames = 0
    for index in range(5 * 600):
        now = index / 5
        motion = MotionResult(motion=now < 3.0, changed_fraction=0.01 if now < 3.0 else 0.0)
        if gate.decide(motion, now, moving_tracks=scene.moving_tracks()):
            detected_frames += 1
            changes += scene.update([car()], now, FRAME)
        else:
            changes += scene.advance(now)
        if now > 2.0:
            assert scene.state()["zones"]["driveway"]["counts"]["car"] == 1, f"count dropped at {now:.1f} s"

    assert [change.kind for change in changes] == ["start", "update"]
    assert changes[1].reasons == (REASON_STATIONARY,)
    assert detected_frames < 5 * 600 // 10
    assert not scene.moving_tracks()


def test_advance_ends_lost_track() -> None:
    scene = CameraScene(make_camera(), DEFAULT_GROUPS)
    feed(scene, [(step * 0.2, [person(x=100.0 + 10 * step)]) for step in range(10)])
    assert scene.moving_tracks()

    # Frames the detector skipped never end a track it has not missed.
    assert scene.advance(60.0) == []
    assert scene.update([], 60.2, FRAME) == []
    assert scene.advance(62.7) == []
    assert scene.moving_tracks()
    changes = scene.advance(62.8)

    assert [change.kind for change in changes] == ["end"]
    assert changes[0].time == 62.8
    assert scene.objects() == []
    assert not scene.moving_tracks()


def test_missed_stationary_track_needs_detector() -> None:
    scene = CameraScene(make_camera(), DEFAULT_GROUPS)
    feed(scene, [(step * 0.5, [car()]) for step in range(20)])
    assert not scene.moving_tracks()

    scene.update([], 60.0, FRAME)

    assert scene.moving_tracks()
    scene.update([car()], 60.2, FRAME)
    assert not scene.moving_tracks()


def test_stream_size_change_keeps_zone() -> None:
    pixels = [[768, 216], [1152, 216], [1152, 648], [768, 648]]
    zone = parse_zone({"name": "Door", "points": pixels, "units": "pixels", "frame_size": [1920, 1080]})
    scene = CameraScene(with_zones(make_camera(), [zone]), DEFAULT_GROUPS)
    big = Detection("person", 0, 0.85, (900.0, 225.0, 1020.0, 630.0))

    changes = feed(scene, [(step * 0.2, [big]) for step in range(4)], frame_size=(1920, 1080))
    changes += feed(scene, [(1.0 + step * 0.2, [person(x=600.0)]) for step in range(10)], frame_size=(1280, 720))

    assert [change.kind for change in changes] == ["start"]
    assert scene.state()["zones"]["door"]["counts"]["person"] == 1


def test_update_config_keeps_tracks() -> None:
    camera = make_camera([{"name": "Door", "points": DOOR, "inertia": 1}])
    scene = CameraScene(camera, DEFAULT_GROUPS)
    feed(scene, [(step * 0.2, [person(), car()]) for step in range(4)])
    before = {item.label: item.track_id for item in scene.objects()}

    scene.update_config(make_camera(objects=["person"], zones=[{"name": "Yard", "points": LOWER_HALF, "inertia": 1}]))
    changes = scene.update([person(), car()], 0.8, FRAME)

    kinds = {(change.kind, change.object.label) for change in changes}
    assert ("end", "car") in kinds
    left = next(change for change in changes if change.kind == "update" and change.object.label == "person")
    assert [(item.zone, item.change) for item in left.zone_changes] == [("door", "left")]
    entered = [(item.zone, item.change) for change in changes if change.kind == "update" for item in change.zone_changes]
    assert ("yard", "entered") in entered
    assert {item.label: item.track_id for item in scene.objects()} == {"person": before["person"]}
    assert list(scene.state()["zones"]) == ["yard"]
    assert scene.state()["zones"]["yard"]["counts"] == {"person": 1}


def test_time_going_back_ends_objects() -> None:
    scene = CameraScene(make_camera(), DEFAULT_GROUPS)
    feed(scene, [(100.0 + step * 0.2, [person()]) for step in range(5)])

    jitter = scene.update([person()], 100.3, FRAME)
    restart = scene.update([person()], 0.0, FRAME)

    assert jitter == []
    assert [change.kind for change in restart] == ["end"]
    assert scene.objects() == []


def test_zone_objects_outside_camera_warned(caplog: pytest.LogCaptureFixture) -> None:
    camera = make_camera([{"name": "Door", "points": DOOR, "objects": ["person", "dog"]}], objects=["person"])

    scene = CameraScene(camera, DEFAULT_GROUPS)
    changes = feed(scene, [(step * 0.2, [Detection("dog", 16, 0.9, (600.0, 300.0, 700.0, 420.0))]) for step in range(5)])

    assert "zone door watches dog, which camera front does not watch" in caplog.text
    assert changes == []


def test_finish_ends_every_object() -> None:
    scene = CameraScene(make_camera(), DEFAULT_GROUPS)
    feed(scene, [(step * 0.2, [person(), car(), person(x=100.0, score=0.3)]) for step in range(5)])

    changes = scene.finish(None)

    assert sorted((change.kind, change.object.label) for change in changes) == [("end", "car"), ("end", "person")]
    assert all(change.time == pytest.approx(0.8) for change in changes)
    assert scene.objects() == []
    assert scene.finish(1.0) == []


@pytest.mark.parametrize("frame_size", [(0, 720), (1280, -1)])
def test_invalid_frame_size_rejected(frame_size: tuple[int, int]) -> None:
    scene = CameraScene(make_camera(), DEFAULT_GROUPS)

    with pytest.raises(InputError, match="frame size"):
        scene.update([person()], 0.0, frame_size)
