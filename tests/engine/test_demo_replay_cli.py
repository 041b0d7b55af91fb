"""The `demo` and `replay` commands as a user runs them, in a subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from argus_engine.rtsp_server import gstreamer_available
from tests.helpers.media import bikes_path
from tests.helpers.models import real_model

pytestmark = [pytest.mark.model, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def _engine(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "addon")}
    return subprocess.run(
        [sys.executable, "-m", "argus_engine", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=REPO,
    )


def test_demo_prints_detections_and_events() -> None:
    model = real_model("yolo26n-640.onnx")
    args = ["demo", "--model", str(model), "--seconds", "25"]
    if not gstreamer_available():
        args.append("--direct")
    result = _engine(*args, timeout=120)

    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    labels = {line["label"] for line in lines if "box" in line}
    assert {"person", "bicycle", "motorcycle"} <= labels
    assert any(line.get("event") == "start" for line in lines)


def test_demo_without_model_one_line() -> None:
    result = _engine("demo", "--model", "/nonexistent/yolo.onnx", "--seconds", "1", timeout=60)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert "model file not found" in errors[0]


def test_replay_prints_event_lines(tmp_path: Path) -> None:
    model = real_model("yolo26n-640.onnx")
    result = _engine("replay", str(bikes_path()), "--model", str(model), "--data", str(tmp_path), timeout=300)

    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    starts = [line for line in lines if line["type"] == "start"]
    ends = {line["id"]: line for line in lines if line["type"] == "end"}
    assert {"person", "bicycle", "motorcycle"} <= {line["label"] for line in starts}
    for line in starts:
        assert set(line) >= {"id", "type", "label", "zones", "start", "end", "score", "snapshot"}
        assert line["zones"] == ["all"]
        assert 0.0 <= line["start"] <= 10.0
        assert line["end"] is None
        assert line["id"] in ends, f"event {line['id']} never ended"
        assert ends[line["id"]]["end"] >= line["start"]
        with Image.open(line["snapshot"]) as snapshot:
            assert snapshot.format == "JPEG"


def test_replay_missing_video_one_line(tmp_path: Path) -> None:
    result = _engine("replay", str(tmp_path / "missing.mp4"), timeout=60)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "video file not found" in result.stderr


def test_replay_unreadable_video_fails(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a video\n", encoding="utf-8")
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(bikes_path().read_bytes()[:200_000])

    for video in (notes, truncated):
        result = _engine("replay", str(video), "--model", str(real_model("yolo26n-320.onnx")), timeout=120)

        assert result.returncode == 2, video.name
        assert "Traceback" not in result.stderr
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1, result.stderr
        assert f"cannot replay {video}" in errors[0]
