"""Object filters: score, area, aspect ratio, masks, watched labels and the median threshold."""

import math

import pytest

from argus_engine.config import CameraConfig, parse_camera
from argus_engine.detection import Detection
from argus_engine.filters import ObjectFilters
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.scene import CameraScene

FRAME = (1000, 500)


def make_camera(**fields: object) -> CameraConfig:
    return parse_camera({"name": "Yard", "url": "rtsp://127.0.0.1:8554/yard", **fields})


def person(score: float = 0.8, box: tuple[float, float, float, float] = (100.0, 100.0, 150.0, 250.0)) -> Detection:
    return Detection("person", 0, score, box)


def test_median_threshold_blocks_lucky_frame() -> None:
    scene = CameraScene(make_camera(filters={"person": {"threshold": 0.7}}), DEFAULT_GROUPS)
    changes = []
    for step, score in enumerate([0.55, 0.95, 0.6, 0.55, 0.6, 0.58, 0.6, 0.55]):
        changes += scene.update([person(score)], step * 0.2, FRAME)

    assert changes == []
    assert scene.objects() == []
    assert scene.state()["counts"]["person"] == 0


def test_median_threshold_reached_starts_event() -> None:
    scene = CameraScene(make_camera(filters={"person": {"threshold": 0.7}}), DEFAULT_GROUPS)
    changes = []
    for step, score in enumerate([0.55, 0.75, 0.8, 0.72, 0.9]):
        changes += scene.update([person(score)], step * 0.2, FRAME)

    assert [change.kind for change in changes] == ["start"]
    # Confirmed at the third frame, where the median of [0.55, 0.75, 0.8] is 0.75.
    assert changes[0].time == pytest.approx(0.4)
    assert changes[0].object.top_score == pytest.approx(0.8)


def test_min_score_drops_detection() -> None:
    filters = ObjectFilters(make_camera(filters={"person": {"min_score": 0.6}}), DEFAULT_GROUPS)

    assert not filters.accept(person(0.59), FRAME)
    assert filters.accept(person(0.6), FRAME)
    assert not filters.accept(person(math.nan), FRAME)


def test_default_filter_min_score() -> None:
    filters = ObjectFilters(make_camera(), DEFAULT_GROUPS)

    assert not filters.accept(person(0.49), FRAME)
    assert filters.accept(person(0.5), FRAME)


@pytest.mark.parametrize(
    ("box", "accepted"),
    [
        ((0.0, 0.0, 50.0, 100.0), True),  # 1% of the frame
        ((0.0, 0.0, 10.0, 20.0), False),  # 0.04%, below min_area
        ((0.0, 0.0, 500.0, 500.0), False),  # 50%, above max_area
    ],
    ids=["inside", "too-small", "too-large"],
)
def test_area_filter(box: tuple[float, float, float, float], accepted: bool) -> None:
    filters = ObjectFilters(make_camera(filters={"person": {"min_area": 0.001, "max_area": 0.2}}), DEFAULT_GROUPS)

    assert filters.accept(person(box=box), FRAME) is accepted


@pytest.mark.parametrize(
    ("box", "accepted"),
    [
        ((0.0, 0.0, 50.0, 150.0), True),  # 0.33 wide per high
        ((0.0, 0.0, 150.0, 50.0), False),  # lying flat, 3.0
        ((0.0, 0.0, 10.0, 150.0), False),  # a pole, 0.07
        ((0.0, 100.0, 50.0, 100.0), False),  # no height
    ],
    ids=["upright", "flat", "pole", "no-height"],
)
def test_ratio_filter(box: tuple[float, float, float, float], accepted: bool) -> None:
    filters = ObjectFilters(make_camera(filters={"person": {"min_ratio": 0.2, "max_ratio": 1.0}}), DEFAULT_GROUPS)

    assert filters.accept(person(box=box), FRAME) is accepted


def test_mask_drops_by_bottom_center() -> None:
    # The mask covers the top half of the frame (a road behind the fence).
    filters = ObjectFilters(make_camera(masks=[[[0, 0], [1, 0], [1, 0.5], [0, 0.5]]]), DEFAULT_GROUPS)
    in_mask = person(box=(100.0, 50.0, 150.0, 200.0))
    reaching_into_mask = person(box=(100.0, 50.0, 150.0, 300.0))

    assert filters.masked(in_mask, FRAME)
    assert not filters.accept(in_mask, FRAME)
    assert not filters.masked(reaching_into_mask, FRAME)
    assert filters.accept(reaching_into_mask, FRAME)


def test_unwatched_label_dropped() -> None:
    filters = ObjectFilters(make_camera(objects=["vehicle"]), DEFAULT_GROUPS)
    truck = Detection("truck", 7, 0.9, (0.0, 0.0, 200.0, 100.0))

    assert filters.labels == DEFAULT_GROUPS["vehicle"]
    assert filters.accept(truck, FRAME)
    assert not filters.accept(person(), FRAME)


def test_filter_per_label() -> None:
    filters = ObjectFilters(make_camera(filters={"car": {"min_score": 0.9}}), DEFAULT_GROUPS)
    car = Detection("car", 2, 0.8, (0.0, 0.0, 200.0, 100.0))

    assert not filters.accept(car, FRAME)
    assert filters.accept(person(0.8), FRAME)


def test_group_filter_applies_to_labels() -> None:
    camera = make_camera(filters={"vehicle": {"min_score": 0.8}, "truck": {"min_score": 0.6}})
    filters = ObjectFilters(camera, DEFAULT_GROUPS)

    assert filters.rules_for("car").min_score == 0.8
    assert filters.rules_for("truck").min_score == 0.6
    assert filters.rules_for("person").min_score == 0.5
    assert not filters.accept(Detection("car", 2, 0.7, (0.0, 0.0, 200.0, 100.0)), FRAME)
    assert filters.accept(Detection("truck", 7, 0.7, (0.0, 0.0, 200.0, 100.0)), FRAME)
