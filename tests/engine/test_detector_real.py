"""The real YOLO26n exports on bus.jpg and zidane.jpg, through the `detect` command.

Expected detections come from Ultralytics' own predictor (reference-detections.json
next to the models). The resize filter differs (libswscale here, OpenCV there), which
moves scores by a few hundredths and edges by a few pixels. So every reference
detection scoring ≥ 0.5 must be found with the same label and box IoU ≥ 0.9, and no
detection the reference lacks may score above 0.6.
"""

import json

import pytest
from PIL import Image

from argus_engine.__main__ import main
from argus_engine.geometry import iou
from tests.helpers.models import real_model, reference_detections, shared_media

pytestmark = pytest.mark.model

MODELS = ["yolo26n-640.onnx", "yolo26n-640-classic.onnx", "yolo26n-320.onnx", "yolo26n-640-int8-qdq.onnx"]
IMAGES = ["bus.jpg", "zidane.jpg"]
MATCH_IOU = 0.9


def _detect(capsys, *args: str) -> list[dict]:
    exit_code = main(["--log-level", "warning", "detect", *args])
    output = capsys.readouterr().out
    assert exit_code == 0
    return [json.loads(line) for line in output.splitlines()]


def _best_match(reference: dict, detections: list[dict]) -> float:
    overlaps = [iou(tuple(reference["box"]), tuple(found["box"])) for found in detections if found["label"] == reference["label"]]
    return max(overlaps, default=0.0)


@pytest.mark.parametrize("image", IMAGES)
@pytest.mark.parametrize("model_file", MODELS)
def test_reference_detections_found(capsys, model_file, image):
    model = real_model(model_file)
    expected = reference_detections()[model_file][image]

    detections = _detect(capsys, str(shared_media(image)), "--model", str(model), "--min-score", "0.25")

    for reference in (r for r in expected if r["score"] >= 0.5):
        assert _best_match(reference, detections) >= MATCH_IOU, f"{reference} not found in {detections}"
    for found in (d for d in detections if d["score"] > 0.6):
        assert _best_match(found, expected) >= MATCH_IOU, f"unexpected {found}; reference: {expected}"


def test_bus_at_640_is_bus_and_four_persons(capsys):
    model = real_model("yolo26n-640.onnx")

    detections = _detect(capsys, str(shared_media("bus.jpg")), "--model", str(model))

    labels = sorted(detection["label"] for detection in detections)
    assert labels == ["bus", "person", "person", "person", "person"]
    assert all(len(detection["box"]) == 4 for detection in detections)


def test_classic_matches_end2end(capsys):
    # The classic export is built from the same head, so NMS must give the same boxes.
    end2end = _detect(capsys, str(shared_media("bus.jpg")), "--model", str(real_model("yolo26n-640.onnx")))
    classic = _detect(capsys, str(shared_media("bus.jpg")), "--model", str(real_model("yolo26n-640-classic.onnx")))

    assert [d["label"] for d in classic] == [d["label"] for d in end2end]
    for ours, theirs in zip(classic, end2end, strict=True):
        assert ours["box"] == pytest.approx(theirs["box"], abs=0.5)
        assert ours["score"] == pytest.approx(theirs["score"], abs=0.01)


def test_dynamic_model_uses_imgsz(capsys):
    model = real_model("yolo26n-dyn.onnx")

    detections = _detect(capsys, str(shared_media("bus.jpg")), "--model", str(model), "--min-score", "0.5")

    assert sorted(d["label"] for d in detections) == ["bus", "person", "person", "person"]


def test_annotated_jpeg_written(capsys, tmp_path):
    out = tmp_path / "bus-annotated.jpg"
    source = shared_media("bus.jpg")

    _detect(capsys, str(source), "--model", str(real_model("yolo26n-640.onnx")), "--annotate", str(out))

    with Image.open(out) as written, Image.open(source) as original:
        assert written.format == "JPEG"
        assert written.size == original.size
