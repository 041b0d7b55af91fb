"""Fixtures for stream tests: a real GStreamer RTSP server and a TCP "black hole".

Both listen on 127.0.0.1 only. Under pytest-homeassistant-custom-component, sockets are
blocked for every test, so these fixtures take pytest-socket's `socket_enabled` when it
is installed.
"""

import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus_engine.rtsp_server import gstreamer_available, start_rtsp_server, stop_rtsp_server, wait_ready

from .media import bikes_path

HOST = "127.0.0.1"


def allow_local_sockets(request: pytest.FixtureRequest) -> None:
    """Lift pytest-socket's block for this test when the plugin is active."""
    try:
        request.getfixturevalue("socket_enabled")
    except pytest.FixtureLookupError:
        pass


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class RtspServer:
    """A GStreamer RTSP server process serving media files at rtsp://127.0.0.1:PORT/<name>."""

    def __init__(self, media: dict[str, Path], port: int) -> None:
        self.media = media
        self.port = port
        self.process: subprocess.Popen | None = None

    def url(self, name: str) -> str:
        """Return the RTSP URL of one mount."""
        return f"rtsp://{HOST}:{self.port}/{name}"

    def start(self) -> None:
        """Start the server (on the same port) and wait until every mount returns 200 to DESCRIBE."""
        self.process = start_rtsp_server(self.media, self.port)
        for name in self.media:
            wait_ready(self.url(name), timeout=30)

    def kill(self) -> None:
        """Stop the server abruptly, as a crashing camera would; clients see the connection drop."""
        if self.process is not None:
            self.process.kill()
            stop_rtsp_server(self.process)
            self.process = None

    def restart(self) -> None:
        """Start the server again after `kill`."""
        self.kill()
        self.start()


@pytest.fixture
def rtsp_server(request: pytest.FixtureRequest) -> Iterator[RtspServer]:
    """A running RTSP server serving bikes.mp4, looped, at `/bikes`; skipped without GStreamer."""
    if not gstreamer_available():
        pytest.skip("GStreamer's RTSP server is not available (needs /usr/bin/python3 with gi and GstRtspServer 1.0)")
    allow_local_sockets(request)
    server = RtspServer({"bikes": bikes_path()}, free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()


class BlackHole:
    """A TCP listener that accepts connections and never sends a byte."""

    def __init__(self) -> None:
        self.listener = socket.create_server((HOST, 0))
        # close() does not wake a thread blocked in accept(), so accept polls instead.
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="black-hole", daemon=True)
        self._thread.start()

    def url(self, path: str = "stream") -> str:
        """Return an RTSP URL pointing at the listener."""
        return f"rtsp://{HOST}:{self.port}/{path}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(connection)

    def close(self) -> None:
        """Close the listener and every accepted connection."""
        self._closed.set()
        self._thread.join(5)
        self.listener.close()
        for connection in self.connections:
            connection.close()


@pytest.fixture
def black_hole(request: pytest.FixtureRequest) -> Iterator[BlackHole]:
    """A listener on 127.0.0.1 that accepts connections and never replies, like a hung camera."""
    allow_local_sockets(request)
    hole = BlackHole()
    try:
        yield hole
    finally:
        hole.close()
