"""Decoding rules, pinned with synthetic ONNX models run through onnxruntime and the Detector.

Each model returns a fixed output whatever the picture, so every test controls exactly
which rows the decoder receives. Pictures are 640×640, so input pixels equal frame pixels.
"""

import math

import numpy as np
import pytest

from argus_engine.detector.decode import class_aware_nms, nms
from argus_engine.detector.letterbox import letterbox_for
from argus_engine.detector.model import load_model
from argus_engine.detector.service import Detector
from tests.helpers.models import build_constant_model, classic_output, end2end_output

ODD_NAMES = "{0: 'person', 5: 'bus', 7: 'x'}"
BLANK = np.zeros((640, 640, 3), dtype=np.uint8)


def _detector(tmp_path, output, names=ODD_NAMES, **kwargs) -> Detector:
    path = build_constant_model(tmp_path / "model.onnx", output, metadata={"names": names}, **kwargs)
    return Detector(load_model(path, threads=1))


def _identity(detector: Detector):
    """Return (letterbox, frame size) for a 640×640 frame, where input and frame pixels agree."""
    return letterbox_for(640, 640, *detector.model.input_size), (640, 640)


def _labels(detections) -> list[str]:
    return [detection.label for detection in detections]


def test_end2end_odd_class_map(tmp_path):
    rows = [
        [10, 10, 50, 50, 0.90, 0],
        [60, 60, 90, 90, 0.80, 5],
        [100, 100, 150, 150, 0.70, 7],
        [200, 200, 250, 250, 0.60, 3],
        [300, 300, 350, 350, 0.50, 80],
    ]
    detector = _detector(tmp_path, end2end_output(rows))

    detections = detector.detect_image(BLANK)

    assert _labels(detections) == ["person", "bus", "x", "unknown_3", "unknown_80"]
    assert [detection.class_id for detection in detections] == [0, 5, 7, 3, 80]


def test_classic_odd_class_map(tmp_path):
    anchors = [
        (30, 30, 40, 40, 0, 0.9),
        (100, 100, 40, 40, 5, 0.8),
        (200, 200, 40, 40, 7, 0.7),
        (300, 300, 40, 40, 3, 0.6),
    ]
    detector = _detector(tmp_path, classic_output(anchors, classes=8))

    detections = detector.detect_image(BLANK)

    assert detector.model.output_kind == "classic"
    assert _labels(detections) == ["person", "bus", "x", "unknown_3"]


def test_classic_box_is_center_width_height(tmp_path):
    detector = _detector(tmp_path, classic_output([(100, 200, 40, 60, 0, 0.9)], classes=8))

    (detection,) = detector.detect_image(BLANK)

    assert detection.box == pytest.approx((80, 170, 120, 230))


def test_end2end_nonfinite_rows_dropped(tmp_path):
    rows = [
        [10, 10, 50, 50, 0.90, 0],
        [10, 10, 50, 50, math.nan, 0],
        [math.inf, 10, 50, 50, 0.95, 0],
        [10, 10, 50, 50, 0.95, math.nan],
        [60, 60, 90, 90, 0.80, 5],
    ]
    detector = _detector(tmp_path, end2end_output(rows))

    detections = detector.detect_image(BLANK)
    detector.detect_image(BLANK)

    assert _labels(detections) == ["person", "bus"]
    assert detector.stats()["dropped_nonfinite"] == 6
    assert detector.stats()["runs"] == 2


def test_classic_nonfinite_anchors_dropped(tmp_path):
    output = classic_output([(30, 30, 40, 40, 0, 0.9), (300, 300, 40, 40, 5, 0.8)], classes=8)
    output[0, 2, 2] = math.nan
    output[0, 4, 2] = 0.99
    output[0, 6, 3] = -math.inf
    detector = _detector(tmp_path, output)

    detections = detector.detect_image(BLANK)

    assert _labels(detections) == ["person", "bus"]
    assert detector.stats()["dropped_nonfinite"] == 2


@pytest.mark.parametrize("kind", ["end2end", "classic"])
def test_class_filter_before_top_k(tmp_path, kind):
    # Ten confident buses, then one weaker person: with top 3, the person must survive
    # the filter for "person", which only works when the filter runs first.
    boxes = [(20 + 60 * i, 20, 50, 50) for i in range(10)]
    if kind == "end2end":
        rows = [[x - 25, y - 25, x + 25, y + 25, 0.9, 5] for x, y, _, _ in boxes]
        rows.append([300, 300, 350, 350, 0.4, 0])
        output = end2end_output(rows)
    else:
        anchors = [(x, y, w, h, 5, 0.9) for x, y, w, h in boxes]
        anchors.append((325, 325, 50, 50, 0, 0.4))
        output = classic_output(anchors, classes=8)
    detector = _detector(tmp_path, output)

    filtered = detector.detect(BLANK, *_identity(detector), labels={"person"}, max_detections=3)
    unfiltered = detector.detect(BLANK, *_identity(detector), max_detections=3)

    assert _labels(filtered) == ["person"]
    assert _labels(unfiltered) == ["bus", "bus", "bus"]


def test_unknown_label_can_be_requested(tmp_path):
    rows = [[10, 10, 50, 50, 0.9, 3], [60, 60, 90, 90, 0.8, 0]]
    detector = _detector(tmp_path, end2end_output(rows))

    detections = detector.detect_image(BLANK, labels={"unknown_3"})

    assert _labels(detections) == ["unknown_3"]


def test_min_score_filter(tmp_path):
    rows = [[10, 10, 50, 50, 0.9, 0], [60, 60, 90, 90, 0.3, 0], [100, 100, 150, 150, 0.2, 0]]
    detector = _detector(tmp_path, end2end_output(rows))

    assert len(detector.detect_image(BLANK)) == 2
    assert len(detector.detect_image(BLANK, min_score=0.5)) == 1
    assert len(detector.detect_image(BLANK, min_score=0.1)) == 3


def test_results_best_first(tmp_path):
    rows = [[10, 10, 50, 50, 0.3, 0], [60, 60, 90, 90, 0.9, 5], [100, 100, 150, 150, 0.6, 7]]
    detector = _detector(tmp_path, end2end_output(rows))

    scores = [detection.score for detection in detector.detect_image(BLANK)]

    assert scores == sorted(scores, reverse=True)
    assert scores[0] == pytest.approx(0.9)


def test_classic_nms_same_class(tmp_path):
    anchors = [
        # Same class, IoU 0.90 with the first: suppressed.
        (100, 100, 100, 100, 0, 0.9),
        (105, 100, 100, 100, 0, 0.8),
        # Same class, IoU 0.54 with the first: kept (Ultralytics' threshold is 0.7).
        (130, 100, 100, 100, 0, 0.7),
        # Another class exactly on the first: kept, because NMS is per class.
        (100, 100, 100, 100, 5, 0.6),
    ]
    detector = _detector(tmp_path, classic_output(anchors, classes=8))

    detections = detector.detect_image(BLANK)

    assert [(d.label, round(d.score, 2)) for d in detections] == [("person", 0.9), ("person", 0.7), ("bus", 0.6)]


def test_nms_threshold_is_strict():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]], dtype=np.float64)
    scores = np.array([0.5, 0.9, 0.4])

    assert nms(boxes, scores, 0.7).tolist() == [1, 2]
    assert nms(boxes, scores, 1.0).tolist() == [1, 0, 2]


def test_class_aware_nms_negative_coordinates():
    # Two classes on the same box with negative coordinates must not be compared.
    boxes = np.array([[-50, -50, -10, -10], [-50, -50, -10, -10]], dtype=np.float64)
    scores = np.array([0.9, 0.8])

    kept = class_aware_nms(boxes, scores, np.array([0, 1]), 0.7)

    assert sorted(kept.tolist()) == [0, 1]


def test_max_detections_caps_output(tmp_path):
    rows = [[10 + i, 10, 50 + i, 50, 0.9 - i * 0.01, 0] for i in range(20)]
    detector = _detector(tmp_path, end2end_output(rows))

    assert len(detector.detect(BLANK, *_identity(detector), max_detections=5)) == 5


def test_boxes_clipped_to_frame(tmp_path):
    detector = _detector(tmp_path, end2end_output([[-20, -5, 700, 650, 0.9, 0]]))

    (detection,) = detector.detect_image(BLANK)

    assert detection.box == (0.0, 0.0, 640.0, 640.0)


def test_nms_stops_at_max_keep():
    boxes = np.array([[i * 20, 0, i * 20 + 10, 10] for i in range(10)], dtype=np.float64)
    scores = np.linspace(0.9, 0.1, 10)

    assert nms(boxes, scores, 0.7, max_keep=3).tolist() == [0, 1, 2]
    assert nms(boxes, scores, 0.7).tolist() == list(range(10))
