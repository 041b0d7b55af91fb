"""Scene behaviour on long synthetic detection streams with a fake clock (no model).

Each test feeds `CameraScene.update` one frame at a time, as the pipeline does when the
detector runs on every sampled frame, and checks events, track ids and zone counts at
every step.
"""

from collections.abc import Iterator

import pytest

from argus_engine.config import CameraConfig, parse_camera
from argus_engine.detection import Detection
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.objects import ObjectChange
from argus_engine.scene import CameraScene

FRAME = (1280, 720)
DOOR = [[0.4, 0.2], [0.6, 0.2], [0.6, 0.6], [0.4, 0.6]]


def make_camera(zones: list[dict]) -> CameraConfig:
    return parse_camera({"name": "Front", "url": "rtsp://127.0.0.1:8554/front", "zones": zones})


def car(score: float, dx: float = 0.0) -> Detection:
    return Detection("car", 2, score, (400.0 + dx, 300.0, 600.0 + dx, 420.0))


def person(score: float, x: float, y: float = 150.0, height: float = 270.0) -> Detection:
    return Detection("person", 0, score, (x, y, x + 80.0, y + height))


def frame_times(fps: float, seconds: float) -> Iterator[float]:
    for index in range(round(fps * seconds)):
        yield index / fps


def kinds(changes: list[ObjectChange], kind: str) -> list[ObjectChange]:
    return [change for change in changes if change.kind == kind]


@pytest.mark.parametrize("shift_stays", [True, False], ids=["shift-stays", "shift-back"])
def test_parked_car_one_event_through_dropouts(shift_stays: bool) -> None:
    scene = CameraScene(make_camera([{"name": "Driveway", "points": [[0, 0.3], [1, 0.3], [1, 1], [0, 1]]}]), DEFAULT_GROUPS)
    changes: list[ObjectChange] = []
    counted_since: float | None = None
    first_id: str | None = None

    for now in frame_times(3, 3600):
        if 1200 <= now < 1210:
            detections = []
        elif 2400 <= now < 2420:
            detections = [car(0.40, dx=15)]
        else:
            detections = [car(0.82, dx=15 if shift_stays and now >= 2420 else 0)]
        changes += scene.update(detections, now, FRAME)

        count = scene.state()["zones"]["driveway"]["counts"]["car"]
        if counted_since is None and count == 1:
            counted_since = now
            first_id = scene.objects()[0].track_id
        if counted_since is not None:
            assert count == 1, f"driveway car count is {count} at {now:.2f} s"
            assert [item.track_id for item in scene.objects()] == [first_id], f"track changed at {now:.2f} s"
            assert scene.state()["zones"]["driveway"]["counts"]["vehicle"] == 1

    assert counted_since is not None
    assert counted_since < 2.0
    assert len(kinds(changes, "start")) == 1
    assert kinds(changes, "end") == []
    assert {change.object.track_id for change in changes} == {first_id}
    assert kinds(changes, "start")[0].zone_changes[0].zone == "driveway"


@pytest.mark.parametrize("speed", [40.0, 0.0], ids=["walking", "standing"])
def test_person_short_dropout_one_event(speed: float) -> None:
    scene = CameraScene(make_camera([{"name": "Yard", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}]), DEFAULT_GROUPS)
    changes: list[ObjectChange] = []
    occupancy: list[tuple[float, bool]] = []

    for now in frame_times(4, 60):
        present = now < 10.0 or 11.5 <= now < 20.0
        detections = [person(0.85, x=300.0 + speed * now)] if present else []
        step = scene.update(detections, now, FRAME)
        changes += step

        occupied = scene.state()["zones"]["yard"]["counts"]["person"] > 0
        if not occupancy or occupancy[-1][1] != occupied:
            occupancy.append((now, occupied))

    starts = kinds(changes, "start")
    ends = kinds(changes, "end")
    assert len(starts) == 1
    assert len(ends) == 1
    assert starts[0].object.track_id == ends[0].object.track_id
    assert [occupied for _, occupied in occupancy] == [False, True, False]
    assert occupancy[2][0] == ends[0].time
    assert ends[0].time >= 20.0
    assert ends[0].zone_changes[0].change == "left"


def test_standing_person_every_other_frame() -> None:
    scene = CameraScene(make_camera([{"name": "Door", "points": DOOR}]), DEFAULT_GROUPS)
    changes: list[ObjectChange] = []
    counted = False

    for index, now in enumerate(frame_times(5, 120)):
        jitter = (index % 4) - 1.5
        detections = [person(0.78, x=600.0 + jitter)] if index % 2 == 0 else []
        changes += scene.update(detections, now, FRAME)

        count = scene.state()["zones"]["door"]["counts"]["person"]
        counted = counted or count == 1
        if counted:
            assert count == 1, f"door person count is {count} at {now:.2f} s"

    assert counted
    assert len(kinds(changes, "start")) == 1
    assert kinds(changes, "end") == []
    assert len({change.object.track_id for change in changes}) == 1
    assert kinds(changes, "start")[0].time < 2.0
