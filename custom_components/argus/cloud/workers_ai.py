"""Client for the Workers AI REST API (`POST {base}/accounts/{id}/ai/run/{model}`).

One `run` is one HTTP request: retries, the breaker and the budget live in the
verifier, so every attempt is visible there. Responses use Cloudflare's envelope
`{"result", "success", "errors", "messages"}`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

from .errors import (
    AuthError,
    CloudTimeoutError,
    ConnectError,
    LicenceNotAcceptedError,
    PayloadTooLargeError,
    RateLimitedError,
    ServerError,
)

_LOGGER = logging.getLogger(__name__)

# Workers AI error code for "you must accept the model's licence first".
LICENCE_NOT_ACCEPTED = 5016


@dataclass(frozen=True, slots=True)
class RunResult:
    """The `result` member of a successful envelope and the size of the request body."""

    result: Any
    request_bytes: int


class WorkersAIClient:
    """Send one request body to one model and map the response to a result or a `CloudError`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        api_base: str,
        account_id: str,
        api_token: str,
        timeout: float,
    ) -> None:
        self._session = session
        self._base = f"{api_base.rstrip('/')}/accounts/{account_id}/ai/run/"
        self._headers = {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def run(self, model_id: str, body: bytes) -> RunResult:
        """POST an encoded JSON body to a model.

        Raises `CloudTimeoutError`, `ConnectError`, `RateLimitedError`,
        `PayloadTooLargeError`, `LicenceNotAcceptedError`, `AuthError` or
        `ServerError`.
        """
        url = self._base + model_id
        try:
            async with self._session.post(url, data=body, headers=self._headers, timeout=self._timeout) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                text = await response.text()
        except TimeoutError as err:
            raise CloudTimeoutError(f"{model_id} did not respond within {self._timeout.total:g} s") from err
        except aiohttp.ClientError as err:
            raise ConnectError(f"request to {model_id} failed: {err}") from err
        return RunResult(_parse(model_id, status, retry_after, text), len(body))


def _parse(model_id: str, status: int, retry_after: str | None, text: str) -> Any:
    envelope = _envelope(text)
    errors = (envelope.get("errors") or []) if envelope else []
    codes = {error.get("code") for error in errors if isinstance(error, dict)}
    detail = "; ".join(str(error.get("message", error)) for error in errors if isinstance(error, dict))

    # The licence error is checked first: it may arrive with a 403, which is not a token problem.
    if LICENCE_NOT_ACCEPTED in codes:
        raise LicenceNotAcceptedError(f"{model_id}: model licence not accepted ({detail})")
    if status in (401, 403):
        raise AuthError(f"{model_id}: API token rejected with HTTP {status} ({detail})")
    if status == 429:
        raise RateLimitedError(f"{model_id}: rate limited (HTTP 429)", _retry_after_seconds(retry_after))
    if status == 413:
        raise PayloadTooLargeError(f"{model_id}: request body too large (HTTP 413)")
    if status >= 400 or envelope is None or not envelope.get("success", False):
        raise ServerError(f"{model_id}: HTTP {status}, {detail or text[:200]!r}")
    return envelope.get("result")


def _envelope(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _retry_after_seconds(value: str | None) -> float | None:
    # Workers AI sends delta-seconds; an HTTP date or garbage counts as absent.
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        _LOGGER.debug("Ignoring Retry-After header %r that is not a number of seconds", value)
        return None
    return max(0.0, seconds)
