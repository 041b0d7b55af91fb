"""A local H.264 RTSP server for the demo and the tests, built on GStreamer's gst-rtsp-server.

The module has two halves. Imported (from the engine's Python), it offers
`gstreamer_available`, `start_rtsp_server` and `wait_ready`, which need no GStreamer
bindings. Run as a script with the system Python that has `gi` (`/usr/bin/python3` on
Debian), it serves each file at `rtsp://HOST:PORT/<name>` and prints `READY <port>` on
stdout once it listens. That half must stay valid for the system Python (3.11 on Debian 12).

Files are served as they are, H.264 in MP4 without re-encoding, through one shared media
per mount, so any number of clients can watch at once. GStreamer plays each file once,
so `start_rtsp_server` first concatenates a short clip into a long looping copy with
`ffmpeg -stream_loop N -c copy`.
"""

import argparse
import functools
import hashlib
import logging
import os
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

_LOGGER = logging.getLogger(__name__)

SYSTEM_PYTHON = "/usr/bin/python3"
READY_PREFIX = "READY"
# Long enough for a demo session or a test run. The stream ends after this, and a
# client's reconnect starts it again from the beginning.
DEFAULT_LOOP_SECONDS = 600.0
_MOUNT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_GI_CHECK = (
    "import gi; gi.require_version('Gst', '1.0'); gi.require_version('GstRtspServer', '1.0'); "
    "from gi.repository import Gst, GstRtspServer"
)


@functools.cache
def gstreamer_available() -> bool:
    """Return True when the system Python can import GStreamer's RTSP server bindings."""
    if not os.path.exists(SYSTEM_PYTHON):
        return False
    try:
        result = subprocess.run([SYSTEM_PYTHON, "-c", _GI_CHECK], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


def looped_copy(source: Path, seconds: float = DEFAULT_LOOP_SECONDS, cache_dir: Path | None = None) -> Path:
    """Return a copy of `source` repeated to last about `seconds`, made with ffmpeg once and cached.

    Without ffmpeg on PATH the source itself is returned, which plays once.
    """
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        _LOGGER.warning("ffmpeg not found; %s is served once, without looping", source)
        return source
    stat = source.stat()
    key = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{seconds}".encode()).hexdigest()[:16]
    cache_dir = cache_dir or Path(tempfile.gettempdir()) / "argus-rtsp-media"
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / f"{source.stem}-{key}.mp4"
    if target.exists():
        return target

    repeats = max(0, int(seconds // max(_duration(source), 0.1)))
    # Written under a private name and renamed, so two processes never serve a half-written file.
    partial = target.with_suffix(f".{os.getpid()}.partial.mp4")
    command = [ffmpeg, "-nostdin", "-loglevel", "error", "-y", "-stream_loop", str(repeats), "-i", str(source),
               "-map", "0:v:0", "-c", "copy", str(partial)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"ffmpeg failed to loop {source}: {result.stderr.strip()[-500:]}")
    partial.replace(target)
    return target


def _duration(path: Path) -> float:
    """Return the file's duration in seconds from ffprobe, or 10 s when ffprobe is missing or fails."""
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        return 10.0
    command = [ffprobe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    try:
        return float(result.stdout.strip())
    except ValueError:
        return 10.0


def start_rtsp_server(
    media: dict[str, Path],
    port: int,
    *,
    host: str = "127.0.0.1",
    loop_seconds: float | None = DEFAULT_LOOP_SECONDS,
    ready_timeout: float = 60.0,
) -> subprocess.Popen:
    """Start the server process serving each file at `/<name>` and return once it listens.

    `loop_seconds=None` serves the files as they are. Raises FileNotFoundError for a
    missing file, ValueError for a bad mount name and RuntimeError when the server fails
    to start (with the end of its stderr).
    """
    arguments = [SYSTEM_PYTHON, "-u", str(Path(__file__).resolve()), "--host", host, "--port", str(port)]
    for name, path in media.items():
        if not _MOUNT_NAME.match(name):
            raise ValueError(f"invalid RTSP mount name {name!r}; use 1-64 of A-Z, a-z, 0-9, _ and -")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"media file not found: {path}")
        served = looped_copy(path, loop_seconds) if loop_seconds else path
        arguments.append(f"{name}={served.resolve()}")

    # stderr goes to a temporary file rather than an unread pipe, so GStreamer warnings
    # cannot fill the pipe buffer and block the server.
    stderr = tempfile.TemporaryFile()
    process = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True)
    try:
        _wait_for_ready_line(process, ready_timeout)
    except RuntimeError as err:
        stop_rtsp_server(process)
        stderr.seek(0)
        tail = stderr.read().decode(errors="replace").strip()[-1000:]
        raise RuntimeError(f"{err}; stderr: {tail or '(empty)'}") from None
    finally:
        stderr.close()
    _LOGGER.info("RTSP server pid %d serving %s on %s:%d", process.pid, ", ".join(media), host, port)
    return process


def _wait_for_ready_line(process: subprocess.Popen, timeout: float) -> None:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            line = process.stdout.readline()
            if line.startswith(READY_PREFIX):
                return
            if not line:
                raise RuntimeError(f"RTSP server exited with code {process.wait(timeout=5)} before it was ready")
    raise RuntimeError(f"RTSP server not ready within {timeout:g} s")


def stop_rtsp_server(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate the server process, killing it when it does not exit within `timeout` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
    if process.stdout is not None:
        process.stdout.close()


def wait_ready(url: str, timeout: float = 30.0) -> None:
    """Send DESCRIBE for `url` until the server returns 200 OK; raise TimeoutError after `timeout` seconds."""
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or 554)
    request = f"DESCRIBE {url} RTSP/1.0\r\nCSeq: 1\r\nAccept: application/sdp\r\n\r\n".encode()
    deadline = time.monotonic() + timeout
    last_problem = "no answer"
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(address, timeout=5) as connection:
                connection.sendall(request)
                status_line = connection.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
            if " 200 " in status_line + " ":
                return
            last_problem = status_line or "empty answer"
        except OSError as err:
            last_problem = str(err)
        time.sleep(0.2)
    raise TimeoutError(f"RTSP server at {address[0]}:{address[1]} not ready within {timeout:g} s: {last_problem}")


# --- server half: runs under the system Python with GStreamer -------------------------


def _launch_line(path: str) -> str:
    if '"' in path or "\\" in path:
        raise ValueError(f"media path must not contain quotes or backslashes: {path}")
    # config-interval=-1 repeats SPS/PPS before every key frame, so a client joining a
    # shared stream can start decoding at the next key frame.
    return (
        f'( filesrc location="{path}" ! qtdemux ! h264parse ! '
        "rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def _serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Serve H.264 MP4 files over RTSP")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("media", nargs="+", metavar="NAME=PATH", help="serve PATH at rtsp://HOST:PORT/NAME")
    args = parser.parse_args(argv)

    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    for item in args.media:
        name, _, path = item.partition("=")
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(_launch_line(path))
        factory.set_shared(True)
        mounts.add_factory("/" + name, factory)

    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for signal_number in (2, 15):  # SIGINT, SIGTERM
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal_number, loop.quit)
    print(f"{READY_PREFIX} {args.port}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1:]))
