"""`python -m argus_engine run`: serves the API, logs its start, and stops cleanly on SIGTERM."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.models import real_model
from tests.helpers.rtsp import free_port

REPO = Path(__file__).resolve().parents[2]


def wait_for_health(port: int, process: subprocess.Popen, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"engine exited early with {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.2)
    raise AssertionError("engine did not answer /api/health in time")


@pytest.mark.model
@pytest.mark.slow
def test_run_serves_and_stops_on_sigterm(tmp_path):
    model = real_model("yolo26n-320.onnx")
    config = tmp_path / "argus.yaml"
    config.write_text("cameras: []\n")
    port = free_port()
    env = {**os.environ, "ARGUS_TOKEN": "run-command-token-0123", "PYTHONPATH": str(REPO / "addon")}
    command = [sys.executable, "-m", "argus_engine", "run", "--config", str(config), "--data", str(tmp_path / "data"),
               "--host", "127.0.0.1", "--port", str(port), "--model", str(model)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for_health(port, process)["status"] == "ok"
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/stats", headers={"Authorization": "Bearer run-command-token-0123"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert f"Listening on http://127.0.0.1:{port}" in stderr
    assert "Engine " in stderr
    assert " stopped" in stderr
    assert (tmp_path / "data" / "engine_id").is_file()


def test_run_rejects_bad_config(tmp_path):
    config = tmp_path / "argus.yaml"
    config.write_text("cameras:\n  - name: Front\n    url: ftp://127.0.0.1/x\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "addon")}
    result = subprocess.run(
        [sys.executable, "-m", "argus_engine", "run", "--config", str(config), "--data", str(tmp_path / "data")],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2
    assert "unsupported stream URL scheme 'ftp'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.model
def test_run_reports_busy_port(tmp_path):
    model = real_model("yolo26n-320.onnx")
    config = tmp_path / "argus.yaml"
    config.write_text("cameras: []\n")
    env = {**os.environ, "ARGUS_TOKEN": "run-command-token-0123", "PYTHONPATH": str(REPO / "addon")}
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "argus_engine", "run", "--config", str(config), "--data", str(tmp_path / "data"),
             "--host", "127.0.0.1", "--port", str(port), "--model", str(model)],
            env=env, capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
