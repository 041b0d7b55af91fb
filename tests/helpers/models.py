"""Models for tests: the real YOLO26n exports, and synthetic ONNX models built with onnx.helper.

Real models are looked up in `ARGUS_MODEL_DIR`, else `<repo>/models/` (filled by
`scripts/dev`); tests that need one skip with the reason when it is absent.

A synthetic model ignores its picture and always returns one fixed output array. That
pins the decoding rules (output kinds, class maps, NaN rows, symbolic dims, shapes)
through the real onnxruntime path without needing weights.
"""

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

REPO_ROOT = Path(__file__).resolve().parents[2]

# onnxruntime 1.32 loads IR version 10 and opset 17 models.
IR_VERSION = 10
OPSET = 17

COCO_NAMES_REPR = "{0: 'person', 1: 'bicycle', 2: 'car', 3: 'motorcycle', 5: 'bus', 7: 'truck'}"


def model_dir() -> Path:
    """Return the folder with the real models (`ARGUS_MODEL_DIR`, else `<repo>/models`)."""
    configured = os.environ.get("ARGUS_MODEL_DIR")
    return Path(configured) if configured else REPO_ROOT / "models"


def real_model(file_name: str) -> Path:
    """Return the path of a real model file, or skip the test saying where it was expected."""
    path = model_dir() / file_name
    if not path.is_file():
        pytest.skip(f"real model {file_name} not found in {path.parent}; run scripts/dev setup or set ARGUS_MODEL_DIR")
    return path


def reference_detections() -> dict[str, dict[str, list[dict]]]:
    """Load Ultralytics' reference detections (model file → image → detections), or skip."""
    path = model_dir() / "reference-detections.json"
    if not path.is_file():
        pytest.skip(f"reference-detections.json not found in {path.parent}; run scripts/dev setup or set ARGUS_MODEL_DIR")
    return json.loads(path.read_text(encoding="utf-8"))


def shared_media(file_name: str) -> Path:
    """Return a test picture or clip from `ARGUS_MEDIA_DIR`, else `<repo>/../shared/media`, or skip."""
    configured = os.environ.get("ARGUS_MEDIA_DIR")
    folder = Path(configured) if configured else REPO_ROOT.parent / "shared" / "media"
    path = folder / file_name
    if not path.is_file():
        pytest.skip(f"test media {file_name} not found in {folder}; set ARGUS_MEDIA_DIR")
    return path


def build_constant_model(
    path: Path,
    output: np.ndarray,
    *,
    input_shape: list[int | str] | None = None,
    output_shape: list[int | str] | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Path:
    """Write an ONNX model whose output is always `output` (float32), whatever the picture.

    `input_shape` defaults to [1, 3, 640, 640], and string dims are symbolic. `output_shape`
    is the declared output shape (default: the array's shape) and may be symbolic too.
    The picture still flows into the result (times zero), so onnxruntime cannot prune
    the input.
    """
    input_shape = input_shape or [1, 3, 640, 640]
    output = np.asarray(output, dtype=np.float32)
    output_shape = output_shape or list(output.shape)

    nodes = [
        helper.make_node("ReduceMax", ["images"], ["picture_max"], keepdims=0),
        helper.make_node("Mul", ["picture_max", "zero"], ["nothing"]),
        helper.make_node("Add", ["fixed_output", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(
        nodes,
        "constant_detector",
        inputs=[helper.make_tensor_value_info("images", TensorProto.FLOAT, input_shape)],
        outputs=[helper.make_tensor_value_info("output0", TensorProto.FLOAT, output_shape)],
        initializer=[
            numpy_helper.from_array(output, name="fixed_output"),
            numpy_helper.from_array(np.array(0.0, dtype=np.float32), name="zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    helper.set_model_props(model, dict(metadata or {}))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def end2end_output(rows: list[list[float]], count: int = 300) -> np.ndarray:
    """Return a [1, count, 6] end2end output: the given rows first, then zero-score padding."""
    output = np.zeros((1, count, 6), dtype=np.float32)
    output[0, : len(rows)] = np.asarray(rows, dtype=np.float32).reshape(-1, 6)
    return output


def classic_output(anchors: list[tuple[float, float, float, float, int, float]], classes: int, count: int = 64) -> np.ndarray:
    """Return a [1, 4 + classes, count] classic output from (cx, cy, w, h, class, score) anchors."""
    output = np.zeros((1, 4 + classes, count), dtype=np.float32)
    for index, (cx, cy, width, height, class_id, score) in enumerate(anchors):
        output[0, 0:4, index] = (cx, cy, width, height)
        output[0, 4 + class_id, index] = score
    return output
