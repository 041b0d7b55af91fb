"""Fan-out of live messages to websocket subscribers, each behind a bounded queue.

Messages are serialised once and queued as text. A subscriber whose queue is full has
fallen behind for good (its socket no longer drains), so it is closed with code 4008
instead of letting the engine's memory grow with its backlog.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

_LOGGER = logging.getLogger(__name__)

QUEUE_SIZE = 1000
MAX_SUBSCRIBERS = 32
CLOSE_SLOW_CONSUMER = 4008
# How long a close frame may take to leave before the connection is dropped without one.
CLOSE_TIMEOUT = 5.0


def encode(message: dict[str, Any]) -> str:
    """Serialise a message the way every push and reply is sent."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class TooManySubscribersError(Exception):
    """The hub already has MAX_SUBSCRIBERS subscribers."""


class Subscriber:
    """One websocket's live feed: a bounded queue and the task that drains it.

    Until `start` is called the queue only fills, so the snapshot and the replay can be
    sent first. Event messages with a cursor at or below `start`'s `replayed_up_to` are
    dropped because the replay already sent them.
    """

    def __init__(
        self,
        send: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        *,
        name: str,
        maxsize: int = QUEUE_SIZE,
    ) -> None:
        self.name = name
        self._send = send
        self._close = close
        self._queue: asyncio.Queue[tuple[int | None, str]] = asyncio.Queue(maxsize)
        self._replayed_up_to: int | None = None
        self._task: asyncio.Task[None] | None = None
        self.dropped_reason: str | None = None

    def offer(self, text: str, cursor: int | None) -> bool:
        """Queue one message; return False when the queue is full."""
        try:
            self._queue.put_nowait((cursor, text))
        except asyncio.QueueFull:
            return False
        return True

    def start(self, replayed_up_to: int | None) -> None:
        """Start sending queued and future messages."""
        self._replayed_up_to = replayed_up_to
        self._task = asyncio.get_running_loop().create_task(self._drain(), name=f"argus-send-{self.name}")

    async def _drain(self) -> None:
        while True:
            cursor, text = await self._queue.get()
            if cursor is not None and self._replayed_up_to is not None and cursor <= self._replayed_up_to:
                continue
            await self._send(text)

    async def stop(self) -> None:
        """Stop the sender task and free the queue."""
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            except Exception as err:  # noqa: BLE001 - the socket is going away; nothing to do but log
                _LOGGER.debug("Sender of %s ended with %r", self.name, err)
            self._task = None
        self._clear()

    def _clear(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    async def drop(self, code: int, reason: str) -> None:
        """Close the subscriber's connection with `code` and `reason`."""
        self.dropped_reason = reason
        await self.stop()
        try:
            await asyncio.wait_for(self._close(code, reason), CLOSE_TIMEOUT)
        except (TimeoutError, ConnectionError) as err:
            _LOGGER.debug("Close of %s did not finish cleanly: %r", self.name, err)


class Hub:
    """The set of live subscribers."""

    def __init__(self, *, max_subscribers: int = MAX_SUBSCRIBERS) -> None:
        self._subscribers: set[Subscriber] = set()
        self._max = max_subscribers
        self._closing: set[asyncio.Task[None]] = set()
        self.slow_consumers = 0

    def __len__(self) -> int:
        return len(self._subscribers)

    def add(self, subscriber: Subscriber) -> None:
        """Register a subscriber; raise TooManySubscribersError when full."""
        if len(self._subscribers) >= self._max:
            raise TooManySubscribersError(f"the engine already has {self._max} subscribers")
        self._subscribers.add(subscriber)

    def discard(self, subscriber: Subscriber) -> None:
        """Unregister a subscriber (its queue is left to its owner)."""
        self._subscribers.discard(subscriber)

    def broadcast(self, message: dict[str, Any]) -> None:
        """Queue `message` for every subscriber; close those that have fallen behind."""
        if not self._subscribers:
            return
        text = encode(message)
        cursor = message.get("cursor") if message.get("type") == "event" else None
        for subscriber in list(self._subscribers):
            if not subscriber.offer(text, cursor):
                self._drop_slow(subscriber)

    def _drop_slow(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        self.slow_consumers += 1
        _LOGGER.warning("Closing subscriber %s: it fell %d messages behind", subscriber.name, QUEUE_SIZE)
        task = asyncio.get_running_loop().create_task(subscriber.drop(CLOSE_SLOW_CONSUMER, "slow consumer"))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        """Wait for pending slow-consumer closes (used on shutdown)."""
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
