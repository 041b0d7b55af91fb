"""Diagnostics for an Argus entry, with the token and camera credentials removed."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_TOKEN
from homeassistant.core import HomeAssistant

from .cloud.settings import SECRET_KEYS as CLOUD_SECRET_KEYS
from .coordinator import ArgusConfigEntry
from .util import redact_urls

TO_REDACT = {CONF_TOKEN, "password", "username", *CLOUD_SECRET_KEYS}


async def async_get_config_entry_diagnostics(hass: HomeAssistant, entry: ArgusConfigEntry) -> dict[str, Any]:
    """Return the entry, its subentries, the engine's hello and the live state."""
    coordinator = entry.runtime_data.coordinator
    data = {
        "entry": {"data": dict(entry.data), "options": dict(entry.options)},
        "subentries": [
            {"type": sub.subentry_type, "unique_id": sub.unique_id, "title": sub.title, "data": dict(sub.data)}
            for sub in entry.subentries.values()
        ],
        "connected": coordinator.connected,
        "cursor": coordinator.cursor,
        "hello": dict(coordinator.info.raw),
        "state": asdict(coordinator.data),
        "cloud": entry.runtime_data.cloud.diagnostics() if entry.runtime_data.cloud else None,
    }
    # Key redaction misses credentials inside URLs (rtsp://user:pass@host), so every
    # string also goes through URL redaction.
    return redact_urls(async_redact_data(data, TO_REDACT))
