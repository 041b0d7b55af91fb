"""Slow consumer: a subscriber that never reads is cut off; memory stays flat; others go on."""

import asyncio
import base64
import gc
import json
import os
import socket
import struct

import pytest

from argus_engine.procstats import rss_bytes
from tests.helpers.engine_api import TOKEN, StillWorker, request

STATE_CHANGES = 10_000


def masked_text_frame(text: str) -> bytes:
    """Build one masked client text frame (RFC 6455)."""
    payload = text.encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return header + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


class RawClient:
    """A websocket client on a plain socket with a tiny receive buffer, so it can stall."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(30)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                "GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head

    def send(self, message: dict) -> None:
        self.sock.sendall(masked_text_frame(json.dumps(message)))

    def _read(self, size: int) -> bytes:
        while len(self.buffer) < size:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the socket before the close frame")
            self.buffer += chunk
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_until_close(self) -> tuple[int, str, int]:
        """Read frames until a close frame; return its code, reason and the text frames before it."""
        frames = 0
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._read(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(length)
            if first & 0x0F == 0x8:
                return struct.unpack("!H", payload[:2])[0], payload[2:].decode(), frames
            frames += 1

    def close(self) -> None:
        self.sock.close()


async def publish_states(worker: StillWorker) -> None:
    """Publish state changes from a worker thread, in chunks a healthy client can follow."""
    for start in range(0, STATE_CHANGES, 100):
        await asyncio.to_thread(lambda first=start: [worker.publish_state(count) for count in range(first, first + 100)])
        await asyncio.sleep(0.01)


async def count_states(ws, stop_at: int) -> int:
    seen = 0
    while True:
        message = await ws.receive_json(timeout=60)
        if message.get("type") == "state":
            seen += 1
            if message["data"]["counts"]["person"] == stop_at:
                return seen


async def wait_for_drop(api, timeout: float = 120.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while api.engine.hub.slow_consumers == 0:
        assert asyncio.get_running_loop().time() < deadline, "the stalled subscriber was never dropped"
        await asyncio.sleep(0.01)


@pytest.mark.slow
async def test_slow_consumer_is_closed(api):
    worker = StillWorker.instances[0]
    healthy = await api.ws()
    assert (await request(healthy, {"id": 1, "type": "subscribe"}))["success"]
    healthy_reader = asyncio.create_task(count_states(healthy, STATE_CHANGES - 1))

    raw = await asyncio.to_thread(RawClient, api.client.port)
    raw.send({"id": 1, "type": "subscribe"})
    gc.collect()
    rss_before = rss_bytes()

    publisher = asyncio.create_task(publish_states(worker))
    await wait_for_drop(api)
    # The client starts reading again at once, so the engine's close frame (sent with a
    # 5 s timeout) reaches it even on a loaded machine.
    closing = asyncio.create_task(asyncio.to_thread(raw.read_until_close))
    await publisher
    healthy_seen = await asyncio.wait_for(healthy_reader, 120)
    gc.collect()
    rss_after = rss_bytes()
    code, reason, frames = await asyncio.wait_for(closing, 60)
    raw.close()

    growth_mb = (rss_after - rss_before) / 1e6
    print(f"\nRSS before {rss_before / 1e6:.1f} MB, after {rss_after / 1e6:.1f} MB, growth {growth_mb:.2f} MB; "
          f"slow client got {frames} frames before close {code} {reason!r}; healthy client got {healthy_seen} states")
    assert code == 4008
    assert reason == "slow consumer"
    assert frames < STATE_CHANGES
    assert api.engine.hub.slow_consumers == 1
    assert healthy_seen == STATE_CHANGES
    assert growth_mb < 8
    assert (await request(healthy, {"id": 2, "type": "ping"}))["success"]
    await healthy.close()
