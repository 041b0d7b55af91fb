"""Circuit breaker and shared Retry-After gate for Workers AI calls."""

from __future__ import annotations

import logging

from .clock import Clock

_LOGGER = logging.getLogger(__name__)


class CircuitBreaker:
    """Pause all calls after an exhausted rate limit or repeated failures.

    While open, `allow()` returns False until `pause` seconds have passed. The next
    call is then a trial, and one more failure opens it again at once.
    """

    def __init__(self, clock: Clock, *, pause: float, failure_threshold: int) -> None:
        self._clock = clock
        self._pause = pause
        self._threshold = failure_threshold
        self._failures = 0
        self._open_until: float | None = None
        self._not_before = 0.0
        self.trips = 0

    @property
    def is_open(self) -> bool:
        """Return whether calls are paused now."""
        return self._open_until is not None and self._clock.time() < self._open_until

    def allow(self) -> bool:
        """Return whether a call may be made now."""
        return not self.is_open

    def wait_time(self) -> float:
        """Return seconds to wait before the next call because of an earlier Retry-After."""
        return max(0.0, self._not_before - self._clock.time())

    def defer(self, seconds: float) -> None:
        """Hold every caller back for `seconds`, as a 429's Retry-After requests."""
        self._not_before = max(self._not_before, self._clock.time() + seconds)

    def record_success(self) -> None:
        """Close the breaker after a successful call."""
        if self._open_until is not None:
            _LOGGER.info("Workers AI calls resumed after a successful request")
        self._failures = 0
        self._open_until = None

    def record_failure(self) -> None:
        """Count a failed call; open the breaker at the threshold."""
        self._failures += 1
        if self._failures >= self._threshold or self._open_until is not None:
            self.trip(f"{self._failures} consecutive failures")

    def trip(self, reason: str) -> None:
        """Open the breaker now for the configured pause."""
        self._open_until = self._clock.time() + self._pause
        self.trips += 1
        _LOGGER.warning("Pausing Workers AI calls for %.0f s: %s", self._pause, reason)
