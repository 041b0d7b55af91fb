"""The add-on entry point against a mock Supervisor on 127.0.0.1, with the real engine and model."""

import asyncio
import hashlib
import logging

import aiohttp
import pytest
import yaml

from argus_engine.commands.addon import run_addon
from argus_engine.errors import ConfigError
from argus_engine.supervisor import AddonOptions, AddonPaths, announce, discovery_payload, read_options
from tests.helpers.addon_runtime import SUPERVISOR_TOKEN, MockSupervisor, free_port, wait_for_api, write_options
from tests.helpers.model_server import model_server  # noqa: F401 - fixture
from tests.helpers.models import real_model


@pytest.fixture
def paths(tmp_path) -> AddonPaths:
    (tmp_path / "config").mkdir()
    return AddonPaths(options_file=tmp_path / "options.json", data_dir=tmp_path / "data", config_dir=tmp_path / "config")


@pytest.fixture
async def supervisor_503_then_ok():
    supervisor = await MockSupervisor(statuses=[503, 200]).start()
    yield supervisor
    await supervisor.stop()


async def test_entry_point_announces_engine(paths, supervisor_503_then_ok, monkeypatch, caplog):
    real_model("yolo26n-640.onnx")
    monkeypatch.setenv("SUPERVISOR_TOKEN", SUPERVISOR_TOKEN)
    monkeypatch.setenv("ARGUS_DISCOVERY_HOST", "127.0.0.1")
    write_options(paths.options_file, detector_threads=1)
    port = free_port()
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)

    task = asyncio.create_task(run_addon(paths, host="127.0.0.1", port=port, supervisor_url=supervisor_503_then_ok.url, stop=stop))
    try:
        await asyncio.wait_for(supervisor_503_then_ok.accepted.wait(), timeout=120)
        await wait_for_api(port)
        token = (paths.data_dir / "token").read_text().strip()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/api/events", headers={"Authorization": f"Bearer {token}"}) as response:
                events_status = response.status
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)

    first, second = supervisor_503_then_ok.requests
    expected = {"service": "argus", "config": {"host": "127.0.0.1", "port": port, "token": token}}
    assert first["json"] == expected
    assert second["json"] == expected
    assert second["headers"]["Authorization"] == f"Bearer {SUPERVISOR_TOKEN}"
    assert events_status == 200
    log = caplog.text
    for step in ("Reading add-on options", "Using model", "Engine", "API listening", "Discovery attempt 1 failed", "accepted the discovery"):
        assert step in log, f"no log line for {step!r}"


async def test_entry_point_without_supervisor(paths, monkeypatch, caplog):
    real_model("yolo26n-640.onnx")
    monkeypatch.delenv("SUPERVISOR_TOKEN", raising=False)
    write_options(paths.options_file)
    port = free_port()
    stop = asyncio.Event()

    task = asyncio.create_task(run_addon(paths, host="127.0.0.1", port=port, supervisor_url="http://127.0.0.1:9", stop=stop))
    try:
        await wait_for_api(port)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)

    assert "SUPERVISOR_TOKEN is not set" in caplog.text


async def test_announce_gives_up_on_403(caplog):
    supervisor = await MockSupervisor(statuses=[403]).start()
    try:
        async with aiohttp.ClientSession() as session:
            result = await announce(session, supervisor.url, "wrong", discovery_payload("argus", 8765, "t" * 20))
    finally:
        await supervisor.stop()

    assert result is None
    assert len(supervisor.requests) == 1
    assert "rejected the discovery message: HTTP 403" in caplog.text


async def test_announce_retries_unreachable(caplog):
    port = free_port()
    supervisor = MockSupervisor()

    async def start_late() -> None:
        await asyncio.sleep(1.5)
        await supervisor.start(port)

    late = asyncio.create_task(start_late())
    payload = discovery_payload("argus", 8765, "t" * 20)
    try:
        async with aiohttp.ClientSession() as session:
            result = await asyncio.wait_for(
                announce(session, f"http://127.0.0.1:{port}", SUPERVISOR_TOKEN, payload, first_delay=0.5),
                timeout=60,
            )
    finally:
        await late
        await supervisor.stop()

    assert result == supervisor.uuid
    assert "Discovery attempt 1 failed (ClientConnectorError" in caplog.text


def test_options_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="options file not found"):
        read_options(tmp_path / "missing.json")

    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read add-on options file"):
        read_options(tmp_path / "bad.json")

    (tmp_path / "range.json").write_text('{"retention_days": 0}')
    with pytest.raises(ConfigError, match="retention_days"):
        read_options(tmp_path / "range.json")


def test_options_defaults_and_extras():
    options = AddonOptions.from_dict({"model": "yolo26n-320", "media_dir": "", "future_option": 1})

    assert options.model == "yolo26n-320"
    assert options.media_dir is None
    assert options.log_level == "info"


def test_api_token_option_checked():
    assert AddonOptions.from_dict({"api_token": "x" * 16}).api_token == "x" * 16
    assert AddonOptions.from_dict({"api_token": ""}).api_token is None
    with pytest.raises(ConfigError, match="api_token"):
        AddonOptions.from_dict({"api_token": "short"})


async def _run_briefly(paths: AddonPaths) -> None:
    """Start the add-on, wait for its API, then stop it."""
    port = free_port()
    stop = asyncio.Event()
    task = asyncio.create_task(run_addon(paths, host="127.0.0.1", port=port, supervisor_url="http://127.0.0.1:9", stop=stop))
    try:
        await wait_for_api(port)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=60)


async def test_first_start_fetches_model(paths, model_server, monkeypatch, caplog):
    real_model("yolo26n-640-int8-qdq.onnx")
    url, state = model_server
    monkeypatch.delenv("SUPERVISOR_TOKEN", raising=False)
    caplog.set_level(logging.INFO)
    sha256 = hashlib.sha256(state.body).hexdigest()
    write_options(paths.options_file, model="site-model", model_url=url, model_sha256=sha256)

    await _run_briefly(paths)
    await _run_briefly(paths)

    cached = paths.data_dir / "models" / "site-model.onnx"
    assert cached.read_bytes() == state.body
    assert len(state.requests) == 1, "the second start downloaded the model again"
    assert f"Using model {cached}" in caplog.text
    assert "Model loaded: site-model" in caplog.text


async def test_bad_checksum_keeps_api_up(paths, model_server, monkeypatch, caplog):
    url, _ = model_server
    monkeypatch.delenv("SUPERVISOR_TOKEN", raising=False)
    write_options(paths.options_file, model="site-model", model_url=url, model_sha256="0" * 64)

    await _run_briefly(paths)

    assert "checksum mismatch" in caplog.text
    assert not (paths.data_dir / "models" / "site-model.onnx").exists()
    assert not (paths.data_dir / "models" / "site-model.onnx.part").exists()


async def test_missing_labels_logged(paths, monkeypatch, caplog):
    real_model("yolo26n-640.onnx")
    monkeypatch.delenv("SUPERVISOR_TOKEN", raising=False)
    write_options(paths.options_file)
    camera = {"id": "dock", "name": "Dock", "url": "rtsp://127.0.0.1:9/x", "enabled": False, "objects": ["person", "forklift"]}
    (paths.config_dir / "argus.yaml").write_text(yaml.safe_dump({"cameras": [camera]}))

    await _run_briefly(paths)

    assert "Camera dock: model yolo26n-640 has no class for 'forklift';" in caplog.text
    assert "'person'" not in caplog.text.split("has no class for", 1)[1].split("\n", 1)[0]
