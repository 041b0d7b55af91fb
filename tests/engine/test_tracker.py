"""IoU tracker: matching, confirmation, gaps, stationary objects and their grace."""

import pytest

from argus_engine.detection import Detection
from argus_engine.tracker import Tracker, TrackerConfig, moved


def person(x: float, score: float = 0.8, y: float = 100.0) -> Detection:
    return Detection("person", 0, score, (x, y, x + 60.0, y + 160.0))


def car(x: float, score: float = 0.8) -> Detection:
    return Detection("car", 2, score, (x, 300.0, x + 200.0, 420.0))


def run(tracker: Tracker, detections_at: list[tuple[float, list[Detection]]]) -> list:
    ended = []
    for now, detections in detections_at:
        ended += tracker.update(detections, now).ended
    return ended


def test_moving_object_keeps_id() -> None:
    tracker = Tracker()
    ids = set()
    for step in range(30):
        update = tracker.update([person(100.0 + 8 * step)], step * 0.2)
        assert update.ended == []
        ids.update(track.id for track in update.active)

    assert len(ids) == 1
    assert tracker.tracks[0].hits == 30


def test_confirmed_after_hits() -> None:
    tracker = Tracker(TrackerConfig(hits_to_confirm=3))

    confirmed = [tracker.update([person(100.0)], step * 0.2).active[0].confirmed for step in range(4)]

    assert confirmed == [False, False, True, True]


def test_labels_never_match() -> None:
    tracker = Tracker()
    tracker.update([person(100.0)], 0.0)
    update = tracker.update([Detection("dog", 16, 0.8, person(100.0).box)], 0.2)

    assert {track.label for track in update.active} == {"person", "dog"}
    assert len(update.detected) == 1


def test_best_overlap_wins() -> None:
    tracker = Tracker()
    tracker.update([person(100.0), person(200.0)], 0.0)
    first, second = tracker.tracks

    # Both detections overlap the first track; each goes to its closest track.
    tracker.update([person(190.0), person(110.0)], 0.2)

    assert first.box == person(110.0).box
    assert second.box == person(190.0).box


@pytest.mark.parametrize("speed", [0.0, 20.0, 80.0], ids=["standing", "slow", "walking"])
def test_short_gap_keeps_id(speed: float) -> None:
    # Walking at 80 px/s, a 60 px wide person moves past their old box during the gap.
    tracker = Tracker()
    frames = [(step * 0.25, [person(100.0 + speed * step / 4)]) for step in range(40)]
    frames += [(step * 0.25, []) for step in range(40, 46)]
    frames += [(step * 0.25, [person(100.0 + speed * step / 4)]) for step in range(46, 60)]

    ended = run(tracker, frames)

    assert ended == []
    assert len(tracker.tracks) == 1
    assert tracker.tracks[0].missed_since is None


def test_long_gap_ends_moving_track() -> None:
    tracker = Tracker(TrackerConfig(max_gap_seconds=2.5))
    run(tracker, [(step * 0.25, [person(100.0 + 5 * step)]) for step in range(12)])
    assert tracker.tracks[0].last_seen == 2.75

    # The gap counts from the first run that missed the track, at 3.0 s.
    assert run(tracker, [(3.0 + step * 0.25, []) for step in range(11)]) == []
    assert tracker.tracks[0].missed_since == 3.0
    ended = tracker.update([], 5.75).ended

    assert [track.label for track in ended] == ["person"]
    assert tracker.tracks == []


def test_tentative_track_dropped_quickly() -> None:
    tracker = Tracker(TrackerConfig(tentative_max_gap=1.0))
    tracker.update([person(100.0)], 0.0)

    assert tracker.update([], 0.2).ended == []
    assert tracker.update([], 1.2).ended == []
    assert len(tracker.update([], 1.3).ended) == 1


def test_still_object_becomes_stationary() -> None:
    tracker = Tracker(TrackerConfig(stationary_window=5.0))
    run(tracker, [(step * 0.5, [car(400.0 + (step % 3))]) for step in range(10)])
    assert not tracker.tracks[0].stationary

    run(tracker, [(5.0, [car(401.0)])])
    track = tracker.tracks[0]

    assert track.stationary
    assert track.stationary_since == 0.0


def test_walking_person_never_stationary() -> None:
    tracker = Tracker()
    run(tracker, [(step * 0.25, [person(100.0 + 5 * step)]) for step in range(120)])

    assert not tracker.tracks[0].stationary


def test_stationary_grace_grows_with_stillness() -> None:
    config = TrackerConfig()
    tracker = Tracker(config)
    run(tracker, [(float(second), [car(400.0)]) for second in range(1201)])
    track = tracker.tracks[0]

    assert track.stationary
    assert tracker.grace(track) == config.stationary_grace_max
    # Missing for 20 s after 20 min still: same track.
    ended = run(tracker, [(float(second), []) for second in range(1201, 1221)])
    ended += run(tracker, [(float(second), [car(415.0)]) for second in range(1221, 1230)])

    assert ended == []
    assert tracker.tracks == [track]


def test_briefly_still_object_has_short_grace() -> None:
    config = TrackerConfig()
    tracker = Tracker(config)
    run(tracker, [(float(second), [car(400.0)]) for second in range(8)])
    track = tracker.tracks[0]

    assert track.stationary
    assert tracker.grace(track) == config.stationary_grace_min
    tracker.update([], 8.0)
    assert tracker.advance(8.0 + config.stationary_grace_min) == []
    assert tracker.advance(8.1 + config.stationary_grace_min) == [track]


def test_skipped_frames_never_end_track() -> None:
    tracker = Tracker()
    run(tracker, [(step * 0.2, [person(100.0 + 10 * step)]) for step in range(5)])

    assert tracker.advance(3600.0) == []
    assert len(tracker.tracks) == 1


def test_stationary_object_moves_again() -> None:
    tracker = Tracker(TrackerConfig(moving_hits=3))
    run(tracker, [(float(second), [car(400.0)]) for second in range(8)])
    track = tracker.tracks[0]
    assert track.stationary

    # One jittery box is not movement.
    run(tracker, [(8.0, [car(460.0)]), (9.0, [car(400.0)])])
    assert track.stationary

    run(tracker, [(10.0 + step * 0.2, [car(450.0 + 20 * step)]) for step in range(3)])
    assert not track.stationary
    assert track.stationary_since is None
    assert tracker.grace(track) == TrackerConfig().max_gap_seconds


def test_stationary_object_leaving_ends_promptly() -> None:
    config = TrackerConfig()
    tracker = Tracker(config)
    run(tracker, [(float(second), [car(400.0)]) for second in range(600)])
    track = tracker.tracks[0]
    assert tracker.grace(track) == pytest.approx(config.stationary_grace_factor * 599.0)

    # One shifted box (someone walking past) keeps the long grace.
    run(tracker, [(600.0, [car(450.0)])])
    assert tracker.grace(track) == pytest.approx(config.stationary_grace_factor * 600.0)

    # Seen twice driving off, then gone.
    run(tracker, [(600.2, [car(480.0)])])

    assert track.stationary
    assert tracker.grace(track) == config.max_gap_seconds
    tracker.update([], 600.4)
    assert tracker.advance(600.4 + config.max_gap_seconds + 0.1) == [track]


def test_median_and_top_score() -> None:
    tracker = Tracker(TrackerConfig(score_history=3))
    run(tracker, [(step * 0.2, [person(100.0, score=score)]) for step, score in enumerate([0.9, 0.5, 0.6, 0.55])])
    track = tracker.tracks[0]

    assert track.median_score() == pytest.approx(0.55)
    assert track.top_score == pytest.approx(0.9)
    assert track.score == pytest.approx(0.55)


def test_ids_unique_across_trackers() -> None:
    first = Tracker().update([person(100.0)], 0.0).active[0].id
    second = Tracker().update([person(100.0)], 0.0).active[0].id

    assert first != second
    assert first.replace("-", "").isalnum()


def test_moved_relative_to_box_size() -> None:
    box = (0.0, 0.0, 100.0, 50.0)

    assert not moved(box, (15.0, 0.0, 115.0, 50.0), 0.2)
    assert moved(box, (25.0, 0.0, 125.0, 50.0), 0.2)
    assert moved(box, (0.0, 11.0, 100.0, 61.0), 0.2)


def test_rescale_keeps_track_after_resolution_change() -> None:
    tracker = Tracker()
    run(tracker, [(step * 0.2, [person(300.0)]) for step in range(5)])
    track = tracker.tracks[0]

    tracker.rescale(2 / 3, 2 / 3)
    update = tracker.update([Detection("person", 0, 0.8, (200.0, 66.7, 240.0, 173.3))], 1.0)

    assert update.active == [track]
    assert track.id in update.detected
    assert track.history[0][1] == pytest.approx((200.0, 66.67, 240.0, 173.33), abs=0.01)
