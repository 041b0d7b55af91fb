"""The local RTSP server helper: looping copies, start-up errors, several mounts and clients."""

import socket
import subprocess
import threading
import time

import av
import pytest

from argus_engine import rtsp_server as rtsp_server_module
from argus_engine.config import CameraConfig
from argus_engine.frames import SampledFrame
from argus_engine.rtsp_server import (
    gstreamer_available,
    looped_copy,
    start_rtsp_server,
    stop_rtsp_server,
    wait_ready,
)
from argus_engine.source import CameraSource
from tests.helpers.media import bikes_path, shared_media
from tests.helpers.rtsp import HOST, RtspServer, allow_local_sockets, free_port

needs_gstreamer = pytest.mark.skipif(
    not gstreamer_available(), reason="GStreamer's RTSP server is not available (needs /usr/bin/python3 with gi)"
)


def test_looped_copy_lasts_and_is_cached(tmp_path) -> None:
    copy = looped_copy(bikes_path(), 35.0, tmp_path)
    with av.open(str(copy)) as container:
        seconds = container.duration / 1_000_000
        codec = container.streams.video[0].codec_context.name
    modified = copy.stat().st_mtime_ns

    assert seconds >= 30.0
    assert codec == "h264"
    assert looped_copy(bikes_path(), 35.0, tmp_path) == copy
    assert copy.stat().st_mtime_ns == modified
    assert not list(tmp_path.glob("*.partial.mp4"))


def test_looped_copy_without_ffmpeg(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(rtsp_server_module.shutil, "which", lambda name: None)

    assert looped_copy(bikes_path(), 35.0, tmp_path) == bikes_path()
    assert not list(tmp_path.iterdir())


def test_start_rejects_bad_mount_name() -> None:
    with pytest.raises(ValueError, match="invalid RTSP mount name 'a/b'"):
        start_rtsp_server({"a/b": bikes_path()}, 1)


def test_start_rejects_missing_file(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="media file not found"):
        start_rtsp_server({"clip": tmp_path / "missing.mp4"}, 1)


@needs_gstreamer
@pytest.mark.rtsp
def test_start_fails_on_busy_port(request) -> None:
    allow_local_sockets(request)
    with socket.create_server((HOST, 0)) as busy:
        port = busy.getsockname()[1]
        with pytest.raises(RuntimeError, match="exited with code 1 before it was ready") as caught:
            start_rtsp_server({"bikes": bikes_path()}, port, loop_seconds=None)

    assert f"cannot listen on {HOST}:{port}" in str(caught.value)


def test_wait_ready_times_out(request) -> None:
    allow_local_sockets(request)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="not ready within 1 s"):
        wait_ready(f"rtsp://{HOST}:{free_port()}/bikes", timeout=1.0)
    assert time.monotonic() - started < 10.0


@needs_gstreamer
@pytest.mark.rtsp
def test_stop_terminates_process(request) -> None:
    allow_local_sockets(request)
    process = start_rtsp_server({"bikes": bikes_path()}, free_port(), loop_seconds=None)
    stop_rtsp_server(process)
    assert process.poll() is not None


def first_frames(urls: list[str], count: int, timeout: float) -> list[list[SampledFrame]]:
    """Run one source per URL until each has `count` frames or time runs out; return each one's frames."""
    frames: list[list[SampledFrame]] = [[] for _ in urls]
    done = threading.Event()

    def collector(index: int):
        def on_frame(frame: SampledFrame) -> None:
            frames[index].append(frame)
            if all(len(items) >= count for items in frames):
                done.set()

        return on_frame

    sources = [
        CameraSource(
            CameraConfig(id=f"client_{index}", name=f"Client {index}", url=url),
            input_size=(640, 640),
            motion_height=120,
            on_frame=collector(index),
            on_status=lambda status: None,
        )
        for index, url in enumerate(urls)
    ]
    for source in sources:
        source.start()
    try:
        done.wait(timeout)
    finally:
        for source in sources:
            assert source.stop(timeout=15.0)
    return frames


@needs_gstreamer
@pytest.mark.rtsp
@pytest.mark.slow
def test_two_clients_share_mount(rtsp_server) -> None:
    url = rtsp_server.url("bikes")
    first, second = first_frames([url, url], count=10, timeout=30.0)

    assert len(first) >= 10
    assert len(second) >= 10


@needs_gstreamer
@pytest.mark.rtsp
@pytest.mark.slow
def test_several_mounts(request) -> None:
    allow_local_sockets(request)
    server = RtspServer({"bikes": bikes_path(), "cars": shared_media("car-detection.mp4")}, free_port())
    server.start()
    try:
        frames = first_frames([server.url("bikes"), server.url("cars")], count=3, timeout=30.0)
    finally:
        server.kill()

    bikes, cars = frames
    assert bikes, "no frames from /bikes"
    assert cars, "no frames from /cars"
    assert (bikes[0].width, bikes[0].height) == (640, 272)
    assert (cars[0].width, cars[0].height) == (768, 432)


def test_server_script_runs_on_system_python() -> None:
    if not gstreamer_available():
        pytest.skip("no system Python with GStreamer bindings")
    # The script half must parse and run on the system Python (3.11 on Debian 12).
    result = subprocess.run(
        ["/usr/bin/python3", rtsp_server_module.__file__, "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "NAME=PATH" in result.stdout
