"""Services of the Argus integration, registered once in `async_setup`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from .client import ArgusError
from .const import DOMAIN
from .coordinator import ArgusConfigEntry
from .events import media_path

SERVICE_LIST_EVENTS = "list_events"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
MAX_EVENTS = 100
SERVICE_CLAIM_COOLDOWN = "claim_cooldown"
MAX_COOLDOWN_SECONDS = 86400
# End time of each running cooldown by key. Kept in memory only, so a restart ends every cooldown.
DATA_COOLDOWNS: HassKey[dict[str, datetime]] = HassKey(f"{DOMAIN}_cooldowns")

LIST_EVENTS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional("camera"): cv.string,
        vol.Optional("label"): cv.string,
        vol.Optional("zone"): cv.string,
        vol.Optional("limit", default=20): vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_EVENTS)),
    }
)

CLAIM_COOLDOWN_SCHEMA = vol.Schema(
    {
        vol.Required("key"): vol.All(cv.string, vol.Length(min=1)),
        vol.Required("seconds"): vol.All(vol.Coerce(float), vol.Range(min=0, max=MAX_COOLDOWN_SECONDS)),
    }
)


def _entry(hass: HomeAssistant, entry_id: str) -> ArgusConfigEntry:
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="entry_not_found", translation_placeholders={"entry_id": entry_id})
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="entry_not_loaded", translation_placeholders={"entry_id": entry_id})
    return entry


async def _async_list_events(call: ServiceCall) -> ServiceResponse:
    """Return the engine's newest events, filtered, with Home Assistant snapshot paths."""
    entry = _entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    params = {key: str(call.data[key]) for key in ("camera", "label", "zone", "limit") if key in call.data}
    try:
        result = await entry.runtime_data.client.fetch_json("/api/events", params)
    except ArgusError as err:
        raise ServiceValidationError(
            translation_domain=DOMAIN, translation_key="command_failed", translation_placeholders={"error": str(err)}
        ) from err
    events: list[dict[str, Any]] = []
    for event in result.get("events") or []:
        events.append({**event, "snapshot_path": media_path(entry.entry_id, str(event["id"]), "snapshot.jpg")})
    return {"events": events}


async def _async_claim_cooldown(call: ServiceCall) -> ServiceResponse:
    """Start a cooldown for the key unless one is running, and return whether this call started it.

    The check and the start happen without an await in between, so of two automation runs
    that call this at once for the same key, exactly one gets `claimed: true`.
    """
    cooldowns = call.hass.data.setdefault(DATA_COOLDOWNS, {})
    now = dt_util.utcnow()
    for expired in [key for key, end in cooldowns.items() if end <= now]:
        del cooldowns[expired]
    key: str = call.data["key"]
    if key in cooldowns:
        return {"claimed": False, "remaining": round((cooldowns[key] - now).total_seconds(), 1)}
    if call.data["seconds"] > 0:
        cooldowns[key] = now + timedelta(seconds=call.data["seconds"])
    return {"claimed": True, "remaining": 0.0}


def async_register_services(hass: HomeAssistant) -> None:
    """Register the integration's services."""
    hass.services.async_register(
        DOMAIN, SERVICE_LIST_EVENTS, _async_list_events, schema=LIST_EVENTS_SCHEMA, supports_response=SupportsResponse.ONLY
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CLAIM_COOLDOWN,
        _async_claim_cooldown,
        schema=CLAIM_COOLDOWN_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
