"""Alerts built from engine events: on request, or automatically when an object enters a zone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .clock import Clock
from .errors import CloudError, SkippedError
from .notify import NotifyClient, NotifyResult
from .policy import EventView
from .settings import Attachment, CloudSettings
from .verifier import Verification

_LOGGER = logging.getLogger(__name__)


class AlertSender:
    """Build alert payloads and send them, after any running verification of the same event."""

    def __init__(
        self,
        settings: CloudSettings,
        notifier: NotifyClient,
        clock: Clock,
        fetch_media: Callable[[str], Awaitable[bytes]],
        verification_of: Callable[[str], Verification | None],
        pending_of: Callable[[str], asyncio.Task[Verification] | None],
    ) -> None:
        self._settings = settings
        self._notifier = notifier
        self._clock = clock
        self._fetch_media = fetch_media
        self._verification_of = verification_of
        self._pending_of = pending_of
        self._alerted: set[tuple[str, str]] = set()
        self.tasks: set[asyncio.Task[Any]] = set()

    async def send_now(self, view: EventView | None, message: str | None, attach: str | None) -> NotifyResult:
        """Send one alert for `view` (or a plain message), with an optional encrypted attachment."""
        alert = self._alert(view, sorted(view.zones)[0] if view and view.zones else None)
        if message:
            alert["message"] = message
        attachment = await self._attachment(view, attach)
        return await self._notifier.send(alert, attachment, _content_type(attach))

    def on_zone_changes(self, view: EventView, zone_changes: Any) -> None:
        """Start one automatic alert per event and entered zone, if the camera opted in."""
        settings = self._settings
        if not (settings.notify_auto and settings.notify_enabled and settings.camera(view.camera).notify):
            return
        for change in zone_changes:
            zone = change.get("zone") if isinstance(change, Mapping) else None
            if change.get("change") != "entered" or not zone or (view.event_id, zone) in self._alerted:
                continue
            self._alerted.add((view.event_id, zone))
            task = asyncio.get_running_loop().create_task(self._auto_alert(view, zone))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _auto_alert(self, view: EventView, zone: str) -> None:
        pending = self._pending_of(view.event_id)
        if pending is not None:
            await asyncio.gather(pending, return_exceptions=True)
        result = self._verification_of(view.event_id)
        if result is not None and result.verdict == "rejected":
            _LOGGER.debug("No alert for event %s: the model rejected the detection", view.event_id)
            return
        attach = None if self._settings.attachment is Attachment.NONE else str(self._settings.attachment)
        try:
            attachment = await self._attachment(view, attach)
        except CloudError as err:
            _LOGGER.warning("Sending alert for event %s without attachment: %s", view.event_id, err)
            attachment = None
        await self._notifier.send(self._alert(view, zone), attachment, _content_type(attach))

    def _alert(self, view: EventView | None, zone: str | None) -> dict[str, Any]:
        alert: dict[str, Any] = {"time": self._clock.time()}
        if view is None:
            return alert
        result = self._verification_of(view.event_id)
        alert.update(
            event_id=view.event_id,
            camera=view.camera,
            zone=zone,
            label=view.label,
            score=round(view.top_score, 3),
            verdict=result.verdict if result else "unverified",
            description=result.description if result else "",
        )
        return alert

    async def _attachment(self, view: EventView | None, attach: str | None) -> bytes | None:
        if view is None or attach is None:
            return None
        if not self._settings.attachment_key:
            raise SkippedError("invalid_attachment_key", "no attachment key configured")
        path = view.snapshot_url if attach == "snapshot" else view.clip_url
        if not path:
            return None
        return await self._fetch_media(path)


def _content_type(attach: str | None) -> str:
    return "video/mp4" if attach == "clip" else "image/jpeg"
