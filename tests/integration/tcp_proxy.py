"""A TCP proxy on 127.0.0.1 that can freeze: the link stays open but nothing passes.

That is what a hung engine or a dropped Wi-Fi link looks like to a client: no FIN, no
RST, just silence, which only a heartbeat can detect.
"""

from __future__ import annotations

import asyncio
import contextlib

from tests.helpers.rtsp import free_port

HOST = "127.0.0.1"
CHUNK = 65536


class FreezableProxy:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target_port` until `freeze` is called."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._running = asyncio.Event()
        self._running.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._handle, HOST, self.port)

    def freeze(self) -> None:
        """Stop passing bytes in both directions without closing anything."""
        self._running.clear()

    async def close(self) -> None:
        """Close the listener and every proxied connection."""
        if self._server is not None:
            self._server.close()
        for writer in self._writers:
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(HOST, self.target_port)
        self._writers += [writer, upstream_writer]
        for source, sink in ((reader, upstream_writer), (upstream_reader, writer)):
            task = asyncio.create_task(self._pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(CHUNK):
                await self._running.wait()
                writer.write(data)
                await writer.drain()
        writer.close()
