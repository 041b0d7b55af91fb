"""CloudManager: the one object the integration creates to use the cloud features.

It reads engine event messages, decides what to verify and runs each verification
in a background task, so `handle_event` returns at once and never waits on the
network. It reports results through callbacks, sends alerts and keeps the daily
counters.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any

import aiohttp

from .accounting import Accounting
from .alerts import AlertSender
from .breaker import CircuitBreaker
from .clock import SYSTEM_CLOCK, Clock
from .errors import AuthError, CloudError, LicenceNotAcceptedError, SkippedError
from .notify import NotifyClient, NotifyResult
from .occupancy import VerifiedOccupancy
from .outbox import Outbox
from .policy import EventView, VerifyPolicy
from .settings import CloudSettings, ImageSource
from .verifier import Executor, Verification, Verifier
from .workers_ai import WorkersAIClient

_LOGGER = logging.getLogger(__name__)

MAX_EVENTS = 2000
# Concurrent verifications; more would only queue at Workers AI's rate limit.
MAX_CONCURRENT = 2

REPAIR_LICENCE = "model_licence_not_accepted"


class EventNotFoundError(CloudError):
    """The event id is unknown to the cloud manager and to the engine."""

    code = "event_not_found"


@dataclass(frozen=True, kw_only=True, slots=True)
class CloudCallbacks:
    """Callbacks through which the cloud package reaches the engine and Home Assistant.

    `fetch_image` gets an engine path such as `/api/events/<id>/crop.jpg` and
    returns its bytes. Everything else is optional.
    """

    fetch_image: Callable[[str], Awaitable[bytes]]
    fetch_event: Callable[[str], Awaitable[Mapping[str, Any] | None]] | None = None
    store_verification: Callable[[Verification], Awaitable[None]] | None = None
    fire_verified: Callable[[Verification], None] | None = None
    create_repair: Callable[[str, Mapping[str, str]], None] | None = None
    start_reauth: Callable[[], None] | None = None
    on_update: Callable[[], None] | None = None
    executor: Executor | None = None


async def _to_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(function, *args)


class CloudManager:
    """Verify qualifying events, send alerts and count usage for one config entry."""

    def __init__(
        self,
        settings: CloudSettings,
        session: aiohttp.ClientSession,
        callbacks: CloudCallbacks,
        *,
        clock: Clock = SYSTEM_CLOCK,
        time_zone: tzinfo = UTC,
        storage_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self._callbacks = callbacks
        self._clock = clock
        executor = callbacks.executor or _to_thread

        self.accounting = Accounting(clock, time_zone)
        self.breaker = CircuitBreaker(clock, pause=settings.breaker_pause, failure_threshold=settings.breaker_failures)
        self.policy = VerifyPolicy()
        self.occupancy = VerifiedOccupancy(settings.high_score)
        client = WorkersAIClient(
            session,
            api_base=settings.api_base,
            account_id=settings.account_id,
            api_token=settings.api_token,
            timeout=settings.timeout,
        )
        self._verifier = Verifier(
            settings, client, clock=clock, breaker=self.breaker, accounting=self.accounting, executor=executor
        )

        outbox = (
            Outbox(storage_dir, max_items=settings.queue_max_items, max_bytes=settings.queue_max_bytes)
            if storage_dir is not None
            else None
        )
        self.notifier = NotifyClient(
            session, settings, outbox=outbox, clock=clock, executor=executor, accounting=self.accounting
        )

        self._semaphore = asyncio.Semaphore(MAX_CONCURRENT)
        self._events: OrderedDict[str, EventView] = OrderedDict()
        self._results: OrderedDict[str, Verification] = OrderedDict()
        self._pending: dict[str, asyncio.Task[Verification]] = {}
        self._blocked: SkippedError | None = None
        self._alerts = AlertSender(
            settings, self.notifier, clock, callbacks.fetch_image, self._results.get, self._pending.get
        )

    # Engine events

    def handle_event(self, message: Mapping[str, Any]) -> asyncio.Task[Verification] | None:
        """Apply one engine event message; start a verification when the event qualifies.

        Accepts the whole websocket message (`{"type": "event", "data": ...}`) or its
        `data`. Returns the verification task, or None when nothing is sent.
        """
        data = message.get("data", message) if message.get("type") == "event" else message
        try:
            view = EventView.from_event(data["event"])
        except (KeyError, TypeError, ValueError) as err:
            _LOGGER.warning("Ignoring malformed event message (%s): %.200r", err, message)
            return None
        kind = str(data.get("type", "update"))
        self._remember(view)
        self.occupancy.update(view, kind)
        self._adopt_stored_verdict(view, data["event"].get("verification"))
        self.policy.note_stationary(view)
        task = self._maybe_verify(view) if kind != "end" else None
        self._alerts.on_zone_changes(view, data.get("zone_changes") or ())
        self._notify_update()
        return task

    def _adopt_stored_verdict(self, view: EventView, stored: Any) -> None:
        # An event verified before a restart comes back with its verdict: never send it again.
        if not isinstance(stored, Mapping) or not stored.get("verdict") or view.event_id in self._pending:
            return
        self.policy.claim(view)
        self.occupancy.set_verdict(view.event_id, str(stored["verdict"]))
        if view.event_id not in self._results:
            self._results[view.event_id] = Verification(
                event_id=view.event_id,
                camera=view.camera,
                label=view.label,
                verdict=str(stored["verdict"]),
                description=str(stored.get("description") or ""),
                model=str(stored.get("model") or ""),
                time=float(stored.get("verified_at") or 0.0),
            )

    def _maybe_verify(self, view: EventView) -> asyncio.Task[Verification] | None:
        reason = self.policy.skip_reason(self.settings, view)
        if reason is not None:
            _LOGGER.debug("Not verifying event %s: %s", view.event_id, reason)
            return None
        self.policy.claim(view)
        task = asyncio.get_running_loop().create_task(self._run(view), name=f"argus verify {view.event_id}")
        self._pending[view.event_id] = task
        task.add_done_callback(lambda _: self._pending.pop(view.event_id, None))
        return task

    # Service entry points

    async def verify(self, event_id: str) -> Verification:
        """Verify one event on request (the `argus.verify` service).

        An event with a verdict is never sent again: its stored result is returned.
        An earlier `unverified` outcome (a timeout, the breaker, the cap) is retried,
        except after a 413 that shrinking did not cure. Raises `EventNotFoundError`
        for an unknown event id; every other failure is returned as an `unverified`
        result.
        """
        stored = self._results.get(event_id)
        if stored is not None and (stored.verified or stored.error == "payload_too_large"):
            return stored
        if event_id in self._pending:
            return await asyncio.shield(self._pending[event_id])
        view = self._events.get(event_id) or await self._fetch_event(event_id)
        if not (self.settings.account_id and self.settings.api_token):
            return self._unverified(view, SkippedError("not_configured", "Cloudflare account id or API token not set"))
        self.policy.claim(view)
        return await self._run(view)

    async def notify(self, event_id: str | None = None, message: str | None = None,
                     attach: str | None = None) -> NotifyResult:
        """Send one alert now (the `argus.notify` service); `attach` is `snapshot`, `clip` or None."""
        if not self.settings.notify_enabled:
            return NotifyResult("rejected", "Worker URL or secret not set")
        view = None
        if event_id is not None:
            view = self._events.get(event_id) or await self._fetch_event(event_id)
        return await self._alerts.send_now(view, message, attach)

    async def flush_outbox(self) -> int:
        """Retry queued alerts that are due; the integration calls this periodically."""
        return await self.notifier.flush()

    # Lifecycle and state

    async def drain(self) -> None:
        """Wait for running verifications and alerts to finish, including ones started meanwhile."""
        while True:
            # A finished task stays in these collections until its done callback runs on a
            # later loop iteration. In CPython 3.13, gather() over only finished tasks returns
            # a finished future, and awaiting that does not yield to the loop. So waiting on
            # finished tasks would spin here forever and those callbacks would never run.
            running = [task for task in (*self._pending.values(), *self._alerts.tasks) if not task.done()]
            if not running:
                return
            await asyncio.gather(*running, return_exceptions=True)

    async def shutdown(self) -> None:
        """Cancel running verifications and alerts, for unload."""
        tasks = [*self._pending.values(), *self._alerts.tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def result(self, event_id: str) -> Verification | None:
        """Return the stored verification of an event, if any."""
        return self._results.get(event_id)

    def diagnostics(self) -> dict[str, Any]:
        """Return counters and state for diagnostics; contains no secrets."""
        return {
            "accounting": self.accounting.as_dict(),
            "breaker_open": self.breaker.is_open,
            "breaker_trips": self.breaker.trips,
            "blocked": self._blocked.code if self._blocked else None,
            "pending": len(self._pending),
            "model": self.settings.model,
            "verify_mode": str(self.settings.verify_mode),
        }

    # Internals

    async def _run(self, view: EventView) -> Verification:
        async with self._semaphore:
            try:
                if self._blocked is not None:
                    raise self._blocked
                source = await self._callbacks.fetch_image(self._image_path(view))
                result = await self._verifier.verify(view, source)
            except CloudError as err:
                self._signal(err)
                result = self._unverified(view, err)
        await self._report(view, result)
        return result

    def _image_path(self, view: EventView) -> str:
        if self.settings.image_source is ImageSource.CROP and view.crop_url:
            return view.crop_url
        if view.snapshot_url:
            return view.snapshot_url
        raise SkippedError("image_unavailable", f"event {view.event_id} has no snapshot")

    async def _report(self, view: EventView, result: Verification) -> None:
        self._results[view.event_id] = result
        while len(self._results) > MAX_EVENTS:
            self._results.popitem(last=False)
        if result.attempts:
            self.accounting.add_verdict(result.verdict)
        self.occupancy.set_verdict(view.event_id, result.verdict)
        if result.verified:
            _LOGGER.debug("Event %s verified: %s", view.event_id, result.verdict)
        if self._callbacks.store_verification is not None:
            try:
                await self._callbacks.store_verification(result)
            except Exception:  # noqa: BLE001 - a failed store must not lose the result
                _LOGGER.exception("Storing the verification of event %s failed", view.event_id)
        if self._callbacks.fire_verified is not None:
            self._callbacks.fire_verified(result)
        self._notify_update()

    def _signal(self, err: CloudError) -> None:
        if isinstance(err, LicenceNotAcceptedError) and self._blocked is None:
            self._blocked = SkippedError(err.code, str(err))
            _LOGGER.error("Verification stopped: %s", err)
            if self._callbacks.create_repair is not None:
                self._callbacks.create_repair(REPAIR_LICENCE, {"model": self.settings.model})
        elif isinstance(err, AuthError) and self._blocked is None:
            self._blocked = SkippedError(err.code, str(err))
            _LOGGER.error("Verification stopped until the API token is updated: %s", err)
            if self._callbacks.start_reauth is not None:
                self._callbacks.start_reauth()
        elif not isinstance(err, SkippedError):
            _LOGGER.warning("Verification failed (%s): %s", err.code, err)

    def _unverified(self, view: EventView, err: CloudError) -> Verification:
        return Verification(
            event_id=view.event_id,
            camera=view.camera,
            label=view.label,
            verdict="unverified",
            model=self.settings.model,
            error=err.code,
            message=str(err),
            attempts=err.attempts,
            bytes_sent=err.bytes_sent,
            time=self._clock.time(),
        )

    async def _fetch_event(self, event_id: str) -> EventView:
        event = None
        if self._callbacks.fetch_event is not None:
            event = await self._callbacks.fetch_event(event_id)
        if event is None:
            raise EventNotFoundError(f"event {event_id!r} not found")
        view = EventView.from_event(event)
        self._remember(view)
        return view

    def _remember(self, view: EventView) -> None:
        self._events[view.event_id] = view
        self._events.move_to_end(view.event_id)
        while len(self._events) > MAX_EVENTS:
            self._events.popitem(last=False)

    def _notify_update(self) -> None:
        if self._callbacks.on_update is not None:
            self._callbacks.on_update()
