"""Signed alerts to the user's alert-router Worker, with encrypted attachments and a retry queue.

An alert is metadata only (camera, zone, label, time, verdict, description)
unless the user chose to attach the snapshot or clip. An attachment is encrypted
with the key stored in Home Assistant before upload, so the Worker and its
storage only ever get ciphertext.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from .accounting import Accounting
from .clock import Clock
from .crypto import decrypt, encrypt
from .errors import CloudError, ConnectError, CloudTimeoutError
from .outbox import Outbox
from .settings import CloudSettings
from .signing import signed_headers
from .verifier import Executor

_LOGGER = logging.getLogger(__name__)

ALERTS_PATH = "/v1/alerts"
ATTACHMENTS_PATH = "/v1/attachments"
CONTENT_TYPE_HEADER = "X-Argus-Content-Type"


class DeliveryError(CloudError):
    """The Worker rejected an alert for good (a 4xx other than 408 and 429)."""

    code = "delivery_rejected"


class RetryableDeliveryError(CloudError):
    """The Worker was unreachable or busy; the alert is worth another try later."""

    code = "delivery_failed"


@dataclass(frozen=True, slots=True)
class NotifyResult:
    """Outcome of one alert: `sent`, `queued`, `rejected` or `failed`."""

    status: str
    message: str = ""
    attachment_url: str | None = None


class NotifyClient:
    """Deliver alerts now, or queue them on disk and retry with backoff."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: CloudSettings,
        *,
        outbox: Outbox | None,
        clock: Clock,
        executor: Executor,
        accounting: Accounting,
    ) -> None:
        self._session = session
        self._settings = settings
        self._outbox = outbox
        self._clock = clock
        self._executor = executor
        self._accounting = accounting
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout)

    async def send(self, alert: dict[str, Any], attachment: bytes | None = None, content_type: str = "image/jpeg") -> NotifyResult:
        """Send one alert, queueing it when the Worker cannot be reached."""
        blob = await self._executor(encrypt, self._settings.attachment_key, attachment) if attachment else None
        try:
            url = await self._deliver(alert, blob, content_type)
        except RetryableDeliveryError as err:
            if self._outbox is None:
                return NotifyResult("failed", str(err))
            await self._executor(self._outbox.add, alert, blob, content_type, self._clock.time())
            _LOGGER.warning("Alert for event %s queued for retry: %s", alert.get("event_id"), err)
            return NotifyResult("queued", str(err))
        except DeliveryError as err:
            _LOGGER.error("Worker rejected alert for event %s: %s", alert.get("event_id"), err)
            return NotifyResult("rejected", str(err))
        self._accounting.add_alert()
        return NotifyResult("sent", attachment_url=url)

    async def flush(self) -> int:
        """Retry queued alerts that are due; return how many were delivered."""
        if self._outbox is None:
            return 0
        delivered = 0
        for item in await self._executor(self._outbox.due, self._clock.time()):
            try:
                await self._deliver(item.alert, item.attachment, item.content_type)
            except RetryableDeliveryError as err:
                _LOGGER.debug("Queued alert %s still not delivered: %s", item.path.name, err)
                await self._executor(self._outbox.failed, item, self._clock.time())
                # The Worker is still unreachable: later items would fail the same way.
                break
            except DeliveryError as err:
                _LOGGER.error("Worker rejected queued alert %s; dropping it: %s", item.path.name, err)
            else:
                delivered += 1
                self._accounting.add_alert()
            await self._executor(self._outbox.delivered, item)
        if delivered:
            _LOGGER.info("Delivered %d queued alerts", delivered)
        return delivered

    async def fetch_attachment(self, url: str) -> bytes:
        """Download an attachment by its signed link and decrypt it with the local key."""
        try:
            async with self._session.get(url, timeout=self._timeout) as response:
                if response.status != 200:
                    raise DeliveryError(f"attachment download failed with HTTP {response.status}")
                blob = await response.read()
        except TimeoutError as err:
            raise CloudTimeoutError(f"attachment download timed out after {self._timeout.total:g} s") from err
        except aiohttp.ClientError as err:
            raise ConnectError(f"attachment download failed: {err}") from err
        return await self._executor(decrypt, self._settings.attachment_key, blob)

    async def _deliver(self, alert: dict[str, Any], blob: bytes | None, content_type: str) -> str | None:
        url = None
        if blob is not None:
            stored = await self._post(ATTACHMENTS_PATH, blob, {CONTENT_TYPE_HEADER: content_type,
                                                               "Content-Type": "application/octet-stream"})
            url = stored["url"]
            alert = {**alert, "attachment": {"url": url, "expires": stored["expires"], "content_type": content_type}}
        body = json.dumps(alert, separators=(",", ":"), sort_keys=True).encode()
        await self._post(ALERTS_PATH, body, {"Content-Type": "application/json"})
        return url

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        settings = self._settings
        headers = {**headers, **signed_headers(settings.worker_secret, int(self._clock.time()), body)}
        try:
            async with self._session.post(settings.worker_url + path, data=body, headers=headers,
                                          timeout=self._timeout) as response:
                status = response.status
                text = await response.text()
        except TimeoutError as err:
            raise RetryableDeliveryError(f"Worker did not respond within {self._timeout.total:g} s") from err
        except aiohttp.ClientError as err:
            raise RetryableDeliveryError(f"Worker unreachable: {err}") from err
        self._accounting.add_upload(len(body))
        if status in (408, 429) or status >= 500:
            raise RetryableDeliveryError(f"Worker returned HTTP {status} on {path}")
        if status >= 400:
            raise DeliveryError(f"Worker returned HTTP {status} on {path}: {text[:200]}")
        try:
            return json.loads(text) if text else {}
        except ValueError as err:
            raise DeliveryError(f"Worker returned non-JSON on {path}: {text[:200]!r}") from err
