"""Errors of the cloud package, each with the short code stored on an unverified event."""

from __future__ import annotations


class CloudError(Exception):
    """A cloud call or its preparation failed; `code` is a stable machine-readable reason."""

    code = "cloud_error"
    # Requests made and body bytes sent before the failure; set by the verifier.
    attempts = 0
    bytes_sent = 0


class ImageError(CloudError):
    """The event's image could not be read, fetched or shrunk."""

    code = "image_unavailable"


class CloudTimeoutError(CloudError):
    """The request did not complete within the configured timeout."""

    code = "timeout"


class RateLimitedError(CloudError):
    """Workers AI returned 429; `retry_after` is its Retry-After in seconds, if any."""

    code = "rate_limited"

    def __init__(self, message: str, retry_after: float | None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PayloadTooLargeError(CloudError):
    """Workers AI returned 413 for the request body."""

    code = "payload_too_large"


class LicenceNotAcceptedError(CloudError):
    """The model's licence has not been accepted on the account (Workers AI error 5016)."""

    code = "licence_not_accepted"


class AuthError(CloudError):
    """The API token was rejected (401 or 403); the user must enter a new one."""

    code = "auth_failed"


class ServerError(CloudError):
    """Workers AI returned a server error or an unusable envelope."""

    code = "server_error"


class ConnectError(CloudError):
    """The connection to Workers AI or the Worker failed before a response arrived."""

    code = "connection_failed"


class SkippedError(CloudError):
    """No request was made: the breaker is open, the daily cap is reached or a block is active."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
