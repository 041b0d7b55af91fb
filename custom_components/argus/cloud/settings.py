"""Cloud settings: what the user opted into, validated once, immutable afterwards.

Everything is off by default. The dataclasses carry no Home Assistant types, so the
cloud package can be tested without a running Home Assistant. The options flow
validates its input with `SETTINGS_SCHEMA`, and `settings_from_mapping` builds
`CloudSettings` from the stored mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import voluptuous as vol

from .models import DEFAULT_MODEL, MODELS

DEFAULT_API_BASE = "https://api.cloudflare.com/client/v4"

# Keys whose values are secrets: never logged, redacted in diagnostics.
SECRET_KEYS = frozenset({"api_token", "worker_secret", "attachment_key"})


class VerifyMode(StrEnum):
    """Selection of detections sent to the vision model for a second opinion."""

    OFF = "off"
    AMBIGUOUS = "ambiguous"
    EVERY_PERSON = "every_person"


class ImageSource(StrEnum):
    """Image of an event that is sent: the object's crop or the full frame."""

    CROP = "crop"
    FRAME = "frame"


class Attachment(StrEnum):
    """Content of an alert besides its metadata."""

    NONE = "none"
    SNAPSHOT = "snapshot"
    CLIP = "clip"


@dataclass(frozen=True, kw_only=True, slots=True)
class CameraCloudSettings:
    """Per-camera opt-in: cameras not listed never send anything."""

    verify: bool = False
    # Send an alert when an object enters a zone (with automatic notify on).
    notify: bool = False
    # Zones an object must be in for its event to qualify; empty means any place.
    zones: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class CloudSettings:
    """All cloud options of one config entry; secrets are kept out of repr()."""

    account_id: str = ""
    api_token: str = field(default="", repr=False)
    api_base: str = DEFAULT_API_BASE
    model: str = DEFAULT_MODEL
    verify_mode: VerifyMode = VerifyMode.OFF
    verify_groups: frozenset[str] = frozenset({"person", "vehicle"})
    score_min: float = 0.35
    score_max: float = 0.60
    # Verified occupancy counts an unverified object from this score up.
    high_score: float = 0.80
    daily_cap: int = 100
    cameras: Mapping[str, CameraCloudSettings] = field(default_factory=dict)
    image_source: ImageSource = ImageSource.CROP
    max_image_side: int = 1024
    jpeg_quality: int = 80
    # Upper bound for one request body; larger images are shrunk before sending.
    max_request_bytes: int = 900_000
    timeout: float = 30.0
    max_attempts: int = 3
    # Longest Retry-After honoured; a longer one counts as an exhausted retry.
    max_retry_after: float = 60.0
    breaker_pause: float = 900.0
    breaker_failures: int = 3
    worker_url: str = ""
    worker_secret: str = field(default="", repr=False)
    attachment_key: str = field(default="", repr=False)
    notify_auto: bool = False
    attachment: Attachment = Attachment.NONE
    queue_max_items: int = 200
    queue_max_bytes: int = 50_000_000

    @property
    def verify_enabled(self) -> bool:
        """Return whether any image may leave the house for verification."""
        return (
            self.verify_mode is not VerifyMode.OFF
            and bool(self.account_id)
            and bool(self.api_token)
            and any(camera.verify for camera in self.cameras.values())
        )

    @property
    def notify_enabled(self) -> bool:
        """Return whether alerts can be sent to the Worker."""
        return bool(self.worker_url) and bool(self.worker_secret)

    def camera(self, camera_id: str) -> CameraCloudSettings:
        """Return one camera's opt-in, the default (off) when it is not listed."""
        return self.cameras.get(camera_id, CameraCloudSettings())

    def with_changes(self, **changes: Any) -> CloudSettings:
        """Return a copy with some fields replaced."""
        return replace(self, **changes)


def _score(value: Any) -> float:
    return vol.All(vol.Coerce(float), vol.Range(min=0.0, max=1.0))(value)


CAMERA_SCHEMA = vol.Schema(
    {
        vol.Optional("verify", default=False): bool,
        vol.Optional("notify", default=False): bool,
        vol.Optional("zones", default=list): [str],
    }
)

SETTINGS_SCHEMA = vol.Schema(
    {
        vol.Optional("account_id", default=""): vol.All(str, vol.Strip),
        vol.Optional("api_token", default=""): vol.All(str, vol.Strip),
        vol.Optional("api_base", default=DEFAULT_API_BASE): vol.All(
            str, vol.Match(r"^https?://\S+$", msg="API base must start with https://")
        ),
        vol.Optional("model", default=DEFAULT_MODEL): vol.In(sorted(MODELS)),
        vol.Optional("verify_mode", default=VerifyMode.OFF.value): vol.Coerce(VerifyMode),
        vol.Optional("verify_groups", default=["person", "vehicle"]): [str],
        vol.Optional("score_min", default=0.35): _score,
        vol.Optional("score_max", default=0.60): _score,
        vol.Optional("high_score", default=0.80): _score,
        vol.Optional("daily_cap", default=100): vol.All(vol.Coerce(int), vol.Range(min=0, max=100_000)),
        vol.Optional("cameras", default=dict): {str: CAMERA_SCHEMA},
        vol.Optional("image_source", default=ImageSource.CROP.value): vol.Coerce(ImageSource),
        vol.Optional("max_image_side", default=1024): vol.All(vol.Coerce(int), vol.Range(min=64, max=4096)),
        vol.Optional("jpeg_quality", default=80): vol.All(vol.Coerce(int), vol.Range(min=30, max=95)),
        vol.Optional("max_request_bytes", default=900_000): vol.All(
            vol.Coerce(int), vol.Range(min=20_000, max=10_000_000)
        ),
        vol.Optional("timeout", default=30.0): vol.All(vol.Coerce(float), vol.Range(min=0.05, max=300)),
        vol.Optional("max_attempts", default=3): vol.All(vol.Coerce(int), vol.Range(min=1, max=3)),
        vol.Optional("max_retry_after", default=60.0): vol.All(vol.Coerce(float), vol.Range(min=0, max=3600)),
        vol.Optional("breaker_pause", default=900.0): vol.All(vol.Coerce(float), vol.Range(min=1, max=86_400)),
        vol.Optional("breaker_failures", default=3): vol.All(vol.Coerce(int), vol.Range(min=1, max=100)),
        vol.Optional("worker_url", default=""): vol.All(
            str, vol.Match(r"^(https?://\S+)?$", msg="Worker URL must start with https:// (or http:// for a local test)")
        ),
        vol.Optional("worker_secret", default=""): str,
        vol.Optional("attachment_key", default=""): str,
        vol.Optional("notify_auto", default=False): bool,
        vol.Optional("attachment", default=Attachment.NONE.value): vol.Coerce(Attachment),
        vol.Optional("queue_max_items", default=200): vol.All(vol.Coerce(int), vol.Range(min=1, max=100_000)),
        vol.Optional("queue_max_bytes", default=50_000_000): vol.All(vol.Coerce(int), vol.Range(min=10_000)),
    }
)


def settings_from_mapping(data: Mapping[str, Any]) -> CloudSettings:
    """Validate stored options and build `CloudSettings`.

    Raises `vol.Invalid` naming the bad key, for example when the score band is
    inverted.
    """
    valid = SETTINGS_SCHEMA(dict(data))
    if valid["score_min"] > valid["score_max"]:
        raise vol.Invalid(
            f"score_min {valid['score_min']} is above score_max {valid['score_max']}",
            path=["score_min"],
        )
    cameras = {
        camera_id: CameraCloudSettings(
            verify=camera["verify"], notify=camera["notify"], zones=frozenset(camera["zones"])
        )
        for camera_id, camera in valid.pop("cameras").items()
    }
    valid["verify_groups"] = frozenset(valid["verify_groups"])
    valid["api_base"] = valid["api_base"].rstrip("/")
    valid["worker_url"] = valid["worker_url"].rstrip("/")
    return CloudSettings(cameras=cameras, **valid)


def redact(data: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of an options mapping with every secret replaced by `**REDACTED**`."""
    return {key: ("**REDACTED**" if key in SECRET_KEYS and value else value) for key, value in data.items()}
