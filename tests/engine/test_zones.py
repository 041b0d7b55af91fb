"""Zone geometry, config validation, inertia and loitering."""

from collections import deque

import pytest

from argus_engine.config import ZoneConfig, parse_camera, parse_zone
from argus_engine.errors import ConfigError
from argus_engine.labels import DEFAULT_GROUPS
from argus_engine.tracker import Track
from argus_engine.zones import ZoneTracker, in_zone

DOOR = [[0.4, 0.2], [0.6, 0.2], [0.6, 0.6], [0.4, 0.6]]
# Centre inside the door, bottom centre below it.
TALL_BOX = (600.0, 200.0, 680.0, 600.0)
# Bottom centre inside the door.
SHORT_BOX = (600.0, 150.0, 680.0, 420.0)
ALL_LABELS = frozenset({"person", "car"})


def scale(box: tuple[float, ...], factor: float) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = (value * factor for value in box)
    return (x1, y1, x2, y2)


def make_track(box: tuple[float, float, float, float], label: str = "person", score: float = 0.8) -> Track:
    return Track(id="t-1", label=label, box=box, score=score, first_seen=0.0, last_seen=0.0, scores=deque([score]))


def test_bottom_center_decides_membership() -> None:
    zone = parse_zone({"name": "Door", "points": DOOR})

    assert not in_zone(zone, TALL_BOX, (1280, 720))
    assert in_zone(zone, SHORT_BOX, (1280, 720))


def test_center_and_overlap_positions() -> None:
    by_center = parse_zone({"name": "Door", "points": DOOR, "position": "center"})
    by_overlap = parse_zone({"name": "Door", "points": DOOR, "position": "overlap"})
    far_away = (0.0, 0.0, 100.0, 100.0)

    assert in_zone(by_center, TALL_BOX, (1280, 720))
    assert in_zone(by_overlap, TALL_BOX, (1280, 720))
    assert not in_zone(by_center, far_away, (1280, 720))
    assert not in_zone(by_overlap, far_away, (1280, 720))


def test_pixel_zone_stored_normalised() -> None:
    pixels = [[768, 216], [1152, 216], [1152, 648], [768, 648]]
    zone = parse_zone({"name": "Door", "points": pixels, "units": "pixels", "frame_size": [1920, 1080]})

    assert zone.points == pytest.approx([tuple(point) for point in DOOR])
    assert not in_zone(zone, scale(TALL_BOX, 1.5), (1920, 1080))
    assert in_zone(zone, scale(SHORT_BOX, 1.5), (1920, 1080))
    # The stream changes to 1280x720: the same zone gives the same results.
    assert not in_zone(zone, TALL_BOX, (1280, 720))
    assert in_zone(zone, SHORT_BOX, (1280, 720))


def test_pixel_zone_uses_stream_size() -> None:
    pixels = [[768, 216], [1152, 216], [1152, 648], [768, 648]]
    zone = parse_zone({"name": "Door", "points": pixels, "units": "pixels"}, frame_size=(1920, 1080))

    assert zone.points == pytest.approx([tuple(point) for point in DOOR])


def test_pixel_zone_without_size_rejected() -> None:
    with pytest.raises(ConfigError, match="'Door'.*frame_size"):
        parse_zone({"name": "Door", "points": [[10, 10], [100, 10], [100, 100]], "units": "pixels"})


@pytest.mark.parametrize(
    ("points", "problem"),
    [
        ([[0.1, 0.1], [0.9, 0.9], [0.9, 0.1], [0.1, 0.9]], "intersects itself"),
        ([[0.1, 0.1], [1.5, 0.1], [0.5, 0.9]], "outside the frame"),
        ([[0.1, 0.1], [0.9, 0.1]], "needs at least 3"),
    ],
    ids=["bow-tie", "point-at-1.5", "two-points"],
)
def test_invalid_polygon_names_zone(points: list[list[float]], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as caught:
        parse_zone({"name": "Back door", "points": points})
    assert "'Back door'" in str(caught.value)

    camera = {"name": "Garden", "url": "rtsp://127.0.0.1/garden", "zones": [{"name": "Back door", "points": points}]}
    with pytest.raises(ConfigError, match=problem) as caught:
        parse_camera(camera)
    assert "'Back door'" in str(caught.value)
    assert "'Garden'" in str(caught.value)


def make_zones(**fields: object) -> ZoneTracker:
    zone = ZoneConfig(id="door", name="Door", points=tuple(tuple(point) for point in DOOR), **fields)  # type: ignore[arg-type]
    return ZoneTracker([zone], ALL_LABELS, DEFAULT_GROUPS)


def test_inertia_delays_entering_and_leaving() -> None:
    zones = make_zones(inertia=3)
    track = make_track(SHORT_BOX)

    assert zones.observe(track, (1280, 720), 0.0) == []
    assert zones.observe(track, (1280, 720), 0.2) == []
    assert [change.change for change in zones.observe(track, (1280, 720), 0.4)] == ["entered"]
    assert zones.zones_of("t-1") == {"door"}

    track.box = TALL_BOX
    assert zones.observe(track, (1280, 720), 0.6) == []
    assert zones.observe(track, (1280, 720), 0.8) == []
    assert zones.zones_of("t-1") == {"door"}
    assert [change.change for change in zones.observe(track, (1280, 720), 1.0)] == ["left"]
    assert zones.zones_of("t-1") == frozenset()


def test_single_frame_outside_does_not_leave() -> None:
    zones = make_zones(inertia=2)
    track = make_track(SHORT_BOX)
    for now in (0.0, 0.2):
        zones.observe(track, (1280, 720), now)

    track.box = TALL_BOX
    zones.observe(track, (1280, 720), 0.4)
    track.box = SHORT_BOX
    zones.observe(track, (1280, 720), 0.6)
    track.box = TALL_BOX
    zones.observe(track, (1280, 720), 0.8)

    assert zones.zones_of("t-1") == {"door"}


def test_low_score_inside_is_ignored() -> None:
    zones = make_zones(inertia=1, min_score=0.7)
    track = make_track(SHORT_BOX, score=0.6)

    assert zones.observe(track, (1280, 720), 0.0) == []
    track.score = 0.75
    assert [change.change for change in zones.observe(track, (1280, 720), 0.2)] == ["entered"]
    track.score = 0.6
    assert zones.observe(track, (1280, 720), 0.4) == []
    assert zones.zones_of("t-1") == {"door"}


def test_zone_objects_limit_labels() -> None:
    zone = ZoneConfig(id="door", name="Door", points=tuple(tuple(point) for point in DOOR), objects=("vehicle",), inertia=1)
    zones = ZoneTracker([zone], ALL_LABELS, DEFAULT_GROUPS)

    assert zones.observe(make_track(SHORT_BOX, label="person"), (1280, 720), 0.0) == []
    assert [change.change for change in zones.observe(make_track(SHORT_BOX, label="car"), (1280, 720), 0.0)] == ["entered"]
    assert zones.labels("door") == DEFAULT_GROUPS["vehicle"]


def test_loitering_reported_once() -> None:
    zones = make_zones(inertia=1, loitering_seconds=30.0)
    track = make_track(SHORT_BOX)
    zones.observe(track, (1280, 720), 0.0)

    assert zones.check_loitering("t-1", 29.9) == []
    assert [change.change for change in zones.check_loitering("t-1", 30.0)] == ["loitering"]
    assert zones.check_loitering("t-1", 31.0) == []
    assert zones.observe(track, (1280, 720), 32.0) == []


def test_remove_leaves_zones() -> None:
    zones = make_zones(inertia=1)
    zones.observe(make_track(SHORT_BOX), (1280, 720), 0.0)

    assert [(change.zone, change.change) for change in zones.remove("t-1")] == [("door", "left")]
    assert zones.zones_of("t-1") == frozenset()
    assert zones.remove("t-1") == []


def test_removed_zone_reports_left() -> None:
    zones = make_zones(inertia=1)
    zones.observe(make_track(SHORT_BOX), (1280, 720), 0.0)

    left = zones.update_config([], ALL_LABELS, DEFAULT_GROUPS)

    assert [(change.zone, change.change) for change in left["t-1"]] == [("door", "left")]
    assert zones.zones_of("t-1") == frozenset()
