"""Capped exponential backoff between reconnect attempts."""

import random
from collections import deque


class Backoff:
    """Delays from `initial` doubling up to `cap`, with downward jitter so the cap is never exceeded.

    Jitter spreads the retries of several cameras behind one failed switch or NVR, so they
    do not all reconnect in the same instant.
    """

    def __init__(self, *, initial: float = 1.0, cap: float = 30.0, jitter: float = 0.2) -> None:
        if initial <= 0 or cap < initial:
            raise ValueError(f"invalid backoff: initial {initial} s must be > 0 and <= cap {cap} s")
        self.initial = initial
        self.cap = cap
        self.jitter = jitter
        self._next = initial
        # The latest delays handed out, for diagnostics and tests.
        self.history: deque[float] = deque(maxlen=1000)

    def next_delay(self) -> float:
        """Return the delay before the next attempt and double the one after it."""
        delay = min(self._next, self.cap) * (1.0 - random.uniform(0.0, self.jitter))
        self._next = min(self._next * 2, self.cap)
        self.history.append(delay)
        return delay

    def reset(self) -> None:
        """Start again from the initial delay, after the stream has been healthy for a while."""
        self._next = self.initial
