"""Request signing shared with the alert-router Worker.

Scheme (version 1), implemented the same way in `cloudflare/src/signing.ts`:

    signature = hex(HMAC-SHA256(secret, f"{timestamp}." + body))
    headers:  X-Argus-Timestamp: <timestamp, integer Unix seconds>
              X-Argus-Signature: v1=<signature>

`secret` is the UTF-8 Worker secret and `body` the exact request bytes. The
Worker rejects a timestamp more than `MAX_SKEW` seconds from its clock, so a
captured request cannot be replayed later. Signed attachment links use the same
HMAC over `f"{key}.{expires}"`. `tests/cloud/vectors.json` pins one example
that both test suites check.
"""

from __future__ import annotations

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Argus-Timestamp"
SIGNATURE_HEADER = "X-Argus-Signature"
VERSION = "v1"
MAX_SKEW = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Return the two headers that authenticate `body` to the Worker."""
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{VERSION}={signature(secret, timestamp, body)}",
    }


def verify(secret: str, timestamp: int, body: bytes, header: str, now: float) -> bool:
    """Return whether `header` is a valid, fresh signature of `body` (the Worker's check, for tests and tools)."""
    if abs(now - timestamp) > MAX_SKEW:
        return False
    expected = f"{VERSION}={signature(secret, timestamp, body)}"
    return hmac.compare_digest(expected, header)


def link_signature(secret: str, key: str, expires: int) -> str:
    """Return the hex HMAC-SHA256 of `key.expires`, which the Worker puts in attachment links."""
    return hmac.new(secret.encode(), f"{key}.{expires}".encode(), hashlib.sha256).hexdigest()
