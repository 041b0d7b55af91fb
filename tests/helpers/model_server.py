"""A real HTTP file server on 127.0.0.1 for model downloads, with scripted faults.

It serves one file at /model.onnx and honours Range requests unless `honour_range` is
off. It can also cut the connection part way or flip a byte, so tests can check resume
and checksum handling against real sockets.
"""

import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from argus_engine.model_store import REPO_MODEL_DIR


@dataclass
class ServerState:
    """The test server's script and the requests it received."""

    body: bytes
    # Close the connection after this many body bytes, for this many requests.
    cut_after: int | None = None
    cuts_left: int = 0
    honour_range: bool = True
    corrupt: bool = False
    requests: list[dict[str, str]] = field(default_factory=list)


class ModelHandler(BaseHTTPRequestHandler):
    """Handler for /model.onnx with optional Range support and faults."""

    state: ServerState

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        state = self.server.state
        state.requests.append(dict(self.headers))
        if self.path != "/model.onnx":
            self.send_error(404)
            return

        body = bytearray(state.body)
        if state.corrupt:
            body[len(body) // 2] ^= 0xFF
        start = self._range_start() if state.honour_range else None
        if start is not None and start >= len(body):
            self.send_error(416)
            return

        payload = bytes(body[start or 0 :])
        self.send_response(206 if start is not None else 200)
        if start is not None:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Accept-Ranges", "bytes" if state.honour_range else "none")
        self.end_headers()

        if state.cuts_left > 0 and state.cut_after is not None:
            state.cuts_left -= 1
            self.wfile.write(payload[: state.cut_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)

    def _range_start(self) -> int | None:
        header = self.headers.get("Range")
        if not header or not header.startswith("bytes=") or not header.endswith("-"):
            return None
        return int(header[len("bytes=") : -1])

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server signature
        pass


def _model_bytes() -> bytes:
    """Return a real model file when the repo has one, else 3 MB of fixed pseudo-random bytes."""
    real = Path(os.environ.get("ARGUS_MODEL_DIR", REPO_MODEL_DIR)) / "yolo26n-640-int8-qdq.onnx"
    if real.is_file():
        return real.read_bytes()
    return hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32)


@pytest.fixture
def model_server() -> Iterator[tuple[str, ServerState]]:
    """Start the model server on 127.0.0.1 and return (url, state)."""
    state = ServerState(body=_model_bytes())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ModelHandler)
    httpd.state = state
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/model.onnx", state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
