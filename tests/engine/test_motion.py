"""Motion detector and gate on synthetic grayscale frames."""

import numpy as np
import pytest

from argus_engine.config import MotionConfig
from argus_engine.errors import InputError
from argus_engine.geometry import point_in_polygon
from argus_engine.motion import MotionCounters, MotionDetector, MotionGate, MotionResult, rasterize

HEIGHT, WIDTH = 120, 160
LEFT_HALF = ((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0))


def background(rng: np.random.Generator, level: float = 100.0) -> np.ndarray:
    noise = rng.normal(0.0, 3.0, size=(HEIGHT, WIDTH))
    return np.clip(level + noise, 0, 255).astype(np.uint8)


def with_square(frame: np.ndarray, x: int, y: int, size: int = 16) -> np.ndarray:
    frame = frame.copy()
    frame[y : y + size, x : x + size] = 220
    return frame


def warm_up(detector: MotionDetector, rng: np.random.Generator, frames: int = 10) -> float:
    now = 0.0
    for _ in range(frames):
        detector.update(background(rng), now)
        now += 0.2
    return now


def test_moving_square_is_motion() -> None:
    rng = np.random.default_rng(1)
    detector = MotionDetector(MotionConfig())
    now = warm_up(detector, rng)

    for step in range(20):
        result = detector.update(with_square(background(rng), 10 + 5 * step, 50), now + step * 0.2)
        assert result.motion, f"no motion at step {step}: {result}"
        assert not result.recalibrated
        assert result.changed_fraction > 0.005


def test_static_scene_has_no_motion() -> None:
    rng = np.random.default_rng(2)
    detector = MotionDetector(MotionConfig())
    first = detector.update(background(rng), 0.0)
    assert not first.motion

    for step in range(1, 60):
        result = detector.update(background(rng), step * 0.2)
        assert not result.motion, f"motion at step {step}: {result}"
        assert result.changed_fraction < 0.001


def test_object_that_stops_fades_into_background() -> None:
    rng = np.random.default_rng(3)
    detector = MotionDetector(MotionConfig(alpha=0.1))
    now = warm_up(detector, rng)

    results = [detector.update(with_square(background(rng), 70, 50), now + step * 0.2) for step in range(60)]

    assert results[0].motion
    assert not results[-1].motion


def test_whole_frame_change_recalibrates() -> None:
    rng = np.random.default_rng(4)
    detector = MotionDetector(MotionConfig())
    now = warm_up(detector, rng)

    switched = detector.update(background(rng, level=190.0), now)
    after = [detector.update(background(rng, level=190.0), now + step * 0.2) for step in range(1, 10)]

    assert switched.recalibrated
    assert not switched.motion
    assert switched.changed_fraction > 0.9
    assert not any(result.motion for result in after)
    assert not any(result.recalibrated for result in after)


def test_masked_region_is_ignored() -> None:
    rng = np.random.default_rng(5)
    detector = MotionDetector(MotionConfig(masks=(LEFT_HALF,)))
    now = warm_up(detector, rng)

    in_mask = [detector.update(with_square(background(rng), 5 + 5 * step, 50), now + step * 0.2) for step in range(10)]
    outside = detector.update(with_square(background(rng), 120, 50), now + 2.0)

    assert not any(result.motion for result in in_mask)
    assert all(result.changed_fraction == 0.0 for result in in_mask)
    assert outside.motion


def test_frame_size_change_resets_background() -> None:
    rng = np.random.default_rng(6)
    detector = MotionDetector(MotionConfig(masks=(LEFT_HALF,)))
    warm_up(detector, rng)

    result = detector.update(np.full((90, 160), 30, dtype=np.uint8), 5.0)
    moved = detector.update(with_square(np.full((90, 160), 30, dtype=np.uint8), 120, 40), 5.2)

    assert result == MotionResult(motion=False, changed_fraction=0.0)
    assert moved.motion


@pytest.mark.parametrize("shape", [(HEIGHT, WIDTH, 3), (0, 10), (10,)])
def test_invalid_frame_rejected(shape: tuple[int, ...]) -> None:
    detector = MotionDetector(MotionConfig())

    with pytest.raises(InputError, match="2-D grayscale"):
        detector.update(np.zeros(shape, dtype=np.uint8), 0.0)


def test_rasterize_square() -> None:
    square = ((0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75))
    expected = np.zeros((8, 8), dtype=bool)
    expected[2:6, 2:6] = True

    np.testing.assert_array_equal(rasterize([square], 8, 8), expected)
    assert not rasterize([], 8, 8).any()


def test_rasterize_matches_point_in_polygon() -> None:
    # A concave pentagon, so the even-odd crossing count matters.
    polygon = ((0.1, 0.1), (0.9, 0.2), (0.5, 0.45), (0.85, 0.9), (0.15, 0.7))
    mask = rasterize([polygon], 40, 30)

    for row in range(30):
        for column in range(40):
            point = ((column + 0.5) / 40, (row + 0.5) / 30)
            assert mask[row, column] == point_in_polygon(point, polygon), f"pixel ({column}, {row})"
    assert 0 < mask.sum() < 40 * 30


NO_MOTION = MotionResult(motion=False, changed_fraction=0.0)
MOTION = MotionResult(motion=True, changed_fraction=0.1)


def test_gate_refreshes_without_motion() -> None:
    gate = MotionGate(MotionConfig(refresh_seconds=5.0))

    decisions = [gate.decide(NO_MOTION, step * 0.5, moving_tracks=False) for step in range(21)]

    # Detects on the first frame, then every 5 s: at 0, 5 and 10 s.
    assert [step for step, detect in enumerate(decisions) if detect] == [0, 10, 20]


def test_gate_detects_on_motion_and_moving_tracks() -> None:
    gate = MotionGate(MotionConfig(refresh_seconds=5.0))
    gate.decide(NO_MOTION, 0.0, moving_tracks=False)

    assert not gate.decide(NO_MOTION, 1.0, moving_tracks=False)
    assert gate.decide(MOTION, 1.2, moving_tracks=False)
    assert gate.decide(NO_MOTION, 1.4, moving_tracks=True)
    assert gate.decide(MotionResult(motion=False, changed_fraction=0.9, recalibrated=True), 1.6, moving_tracks=False)
    assert not gate.decide(NO_MOTION, 1.8, moving_tracks=False)
    # The refresh counts from the last detection, at 1.6 s.
    assert not gate.decide(NO_MOTION, 6.5, moving_tracks=False)
    assert gate.decide(NO_MOTION, 6.6, moving_tracks=False)


def test_gate_disabled_always_detects() -> None:
    gate = MotionGate(MotionConfig(enabled=False))

    assert all(gate.decide(NO_MOTION, step * 0.2, moving_tracks=False) for step in range(20))


def test_gate_detects_after_time_goes_back() -> None:
    gate = MotionGate(MotionConfig(refresh_seconds=5.0))
    gate.decide(NO_MOTION, 100.0, moving_tracks=False)

    assert gate.decide(NO_MOTION, 0.0, moving_tracks=False)


def test_counters() -> None:
    counters = MotionCounters()
    counters.count(MOTION, detected=True)
    counters.count(NO_MOTION, detected=False)
    counters.count(NO_MOTION, detected=False)
    counters.count(NO_MOTION, detected=True)

    assert counters.to_json() == {"frames_decoded": 4, "frames_with_motion": 1, "frames_detected": 2}
    assert counters.saved_fraction() == pytest.approx(0.5)
    assert MotionCounters().saved_fraction() == 0.0
