"""One verification: prepare the image, call the model within budget and retry rules, parse the response."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from .accounting import Accounting
from .breaker import CircuitBreaker
from .clock import Clock
from .errors import (
    CloudError,
    ImageError,
    PayloadTooLargeError,
    RateLimitedError,
    ServerError,
    SkippedError,
)
from .images import PreparedImage, prepare_image, shrink
from .models import MODELS, VisionModel, parse_answer
from .policy import EventView
from .settings import CloudSettings
from .workers_ai import WorkersAIClient

_LOGGER = logging.getLogger(__name__)

# Shrink steps allowed to fit the body under `max_request_bytes`.
MAX_FIT_STEPS = 6

type Executor = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, kw_only=True, slots=True)
class Verification:
    """The outcome for one event: a verdict, or `unverified` with an error code."""

    event_id: str
    camera: str
    label: str
    verdict: str
    description: str = ""
    model: str = ""
    error: str | None = None
    message: str = ""
    attempts: int = 0
    bytes_sent: int = 0
    image_width: int | None = None
    image_height: int | None = None
    time: float = 0.0

    @property
    def verified(self) -> bool:
        """Return whether the model returned a verdict (of any kind)."""
        return self.verdict != "unverified"

    def as_dict(self) -> dict[str, Any]:
        """Return the result as stored on the event and returned by the verify service."""
        return asdict(self)


@dataclass(slots=True)
class _Progress:
    attempts: int = 0
    bytes_sent: int = 0


@dataclass(slots=True)
class _Attempt:
    image: PreparedImage
    body: bytes
    shrunk_after_413: bool = False


class Verifier:
    """Run verifications against Workers AI with retries, a breaker and the daily cap."""

    def __init__(
        self,
        settings: CloudSettings,
        client: WorkersAIClient,
        *,
        clock: Clock,
        breaker: CircuitBreaker,
        accounting: Accounting,
        executor: Executor,
    ) -> None:
        self._settings = settings
        self._client = client
        self._clock = clock
        self._breaker = breaker
        self._accounting = accounting
        self._executor = executor
        self._model: VisionModel = MODELS[settings.model]

    async def verify(self, event: EventView, source: bytes) -> Verification:
        """Return the model's verdict on `source` for `event`.

        Raises `CloudError` subclasses; the caller turns them into an `unverified` result.
        """
        self._check_allowed()
        attempt = await self._first_attempt(event, source)
        progress = _Progress()
        try:
            return await self._send(event, attempt, progress)
        except CloudError as err:
            err.attempts = progress.attempts
            err.bytes_sent = progress.bytes_sent
            raise

    async def _send(self, event: EventView, attempt: _Attempt, progress: _Progress) -> Verification:
        while True:
            await self._wait_for_retry_after()
            self._check_allowed()
            progress.attempts += 1
            progress.bytes_sent += len(attempt.body)
            self._accounting.add_request(len(attempt.body))
            try:
                run = await self._client.run(self._model.model_id, attempt.body)
            except RateLimitedError as err:
                self._handle_rate_limit(err, progress.attempts)
                continue
            except PayloadTooLargeError:
                attempt = await self._after_413(event, attempt, progress.attempts)
                continue
            except CloudError as err:
                if err.code in ("timeout", "connection_failed", "server_error"):
                    self._breaker.record_failure()
                raise
            self._breaker.record_success()
            return self._result(event, run.result, attempt.image, progress)

    def _check_allowed(self) -> None:
        if self._breaker.is_open:
            raise SkippedError("breaker_open", "Workers AI calls are paused after repeated failures")
        if self._accounting.today.requests >= self._settings.daily_cap:
            raise SkippedError("daily_cap", f"daily cap of {self._settings.daily_cap} requests reached")

    async def _wait_for_retry_after(self) -> None:
        wait = self._breaker.wait_time()
        if wait > 0:
            await self._clock.sleep(wait)

    def _handle_rate_limit(self, err: RateLimitedError, attempts: int) -> None:
        retry_after = err.retry_after if err.retry_after is not None else float(2**attempts)
        if attempts >= self._settings.max_attempts:
            self._breaker.trip(f"rate limited {attempts} times in a row")
            raise err
        if retry_after > self._settings.max_retry_after:
            self._breaker.trip(f"Retry-After {retry_after:g} s is longer than {self._settings.max_retry_after:g} s")
            raise err
        _LOGGER.debug("Rate limited, retrying in %.1f s (attempt %d)", retry_after, attempts)
        self._breaker.defer(retry_after)

    async def _first_attempt(self, event: EventView, source: bytes) -> _Attempt:
        settings = self._settings
        image = await self._executor(prepare_image, source, settings.max_image_side, settings.jpeg_quality)
        body = await self._executor(self._encode, image, event.label)
        for _ in range(MAX_FIT_STEPS):
            if len(body) <= settings.max_request_bytes:
                return _Attempt(image, body)
            image = await self._executor(shrink, image, settings.jpeg_quality)
            body = await self._executor(self._encode, image, event.label)
        if len(body) > settings.max_request_bytes:
            raise ImageError(f"request body is still {len(body)} bytes after shrinking; limit {settings.max_request_bytes}")
        return _Attempt(image, body)

    async def _after_413(self, event: EventView, attempt: _Attempt, attempts: int) -> _Attempt:
        # A second 413 or no attempt left: give up rather than send the same payload again.
        if attempt.shrunk_after_413:
            raise PayloadTooLargeError(f"request of {len(attempt.body)} bytes rejected with HTTP 413 after shrinking")
        if attempts >= self._settings.max_attempts:
            raise PayloadTooLargeError(f"request of {len(attempt.body)} bytes rejected with HTTP 413; no attempt left")
        image = await self._executor(shrink, attempt.image, self._settings.jpeg_quality)
        _LOGGER.info(
            "Workers AI rejected a %d byte request with 413; retrying once at %dx%d",
            len(attempt.body),
            image.width,
            image.height,
        )
        body = await self._executor(self._encode, image, event.label)
        return _Attempt(image, body, shrunk_after_413=True)

    def _encode(self, image: PreparedImage, label: str) -> bytes:
        # Runs in the executor: a byte-array body of a large image takes a CPU-heavy json.dumps.
        request = self._model.build_request(image.jpeg, label)
        return json.dumps(request, separators=(",", ":")).encode()

    def _result(self, event: EventView, result: Any, image: PreparedImage, progress: _Progress) -> Verification:
        try:
            verdict, description = parse_answer(result)
        except ValueError as err:
            raise ServerError(f"unusable response from {self._model.model_id}: {err}") from err
        return Verification(
            event_id=event.event_id,
            camera=event.camera,
            label=event.label,
            verdict=verdict,
            description=description,
            model=self._model.model_id,
            attempts=progress.attempts,
            bytes_sent=progress.bytes_sent,
            image_width=image.width,
            image_height=image.height,
            time=self._clock.time(),
        )
