"""Services of the Argus integration, registered once in `async_setup`."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .client import ArgusError
from .const import DOMAIN
from .coordinator import ArgusConfigEntry
from .events import media_path

SERVICE_LIST_EVENTS = "list_events"
ATTR_CONFIG_ENTRY_ID = "config_entry_id"
MAX_EVENTS = 100

LIST_EVENTS_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional("camera"): cv.string,
        vol.Optional("label"): cv.string,
        vol.Optional("zone"): cv.string,
        vol.Optional("limit", default=20): vol.All(vol.Coerce(int), vol.Range(min=1, max=MAX_EVENTS)),
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


def async_register_services(hass: HomeAssistant) -> None:
    """Register the integration's services."""
    hass.services.async_register(
        DOMAIN, SERVICE_LIST_EVENTS, _async_list_events, schema=LIST_EVENTS_SCHEMA, supports_response=SupportsResponse.ONLY
    )
