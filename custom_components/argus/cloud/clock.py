"""Time sources injected into the cloud package, so tests can run an hour in milliseconds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Clock:
    """Wall-clock time in seconds and an async sleep that goes with it."""

    time: Callable[[], float] = field(default=time.time)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)


SYSTEM_CLOCK = Clock()
