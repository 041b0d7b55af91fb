"""Services of the cloud features: `argus.verify` and `argus.notify`, both with response data."""

from __future__ import annotations

import voluptuous as vol

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv

from .cloud import CloudError, CloudManager, EventNotFoundError
from .const import DOMAIN
from .services import ATTR_CONFIG_ENTRY_ID, _entry

SERVICE_VERIFY = "verify"
SERVICE_NOTIFY = "notify"

VERIFY_SCHEMA = vol.Schema({vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string, vol.Required("event_id"): cv.string})
NOTIFY_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Optional("event_id"): cv.string,
        vol.Optional("message"): vol.All(cv.string, vol.Length(max=500)),
        vol.Optional("attach", default="none"): vol.In(["none", "snapshot", "clip"]),
    }
)


def _manager(call: ServiceCall) -> CloudManager:
    entry = _entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    manager = entry.runtime_data.cloud
    if manager is None:
        raise ServiceValidationError(translation_domain=DOMAIN, translation_key="cloud_not_configured")
    return manager


def _event_not_found(event_id: str, err: EventNotFoundError) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key="event_not_found", translation_placeholders={"event_id": event_id}
    )


async def _async_verify(call: ServiceCall) -> ServiceResponse:
    """Verify one event with the vision model; failures come back as an `unverified` result."""
    event_id = call.data["event_id"]
    try:
        result = await _manager(call).verify(event_id)
    except EventNotFoundError as err:
        raise _event_not_found(event_id, err) from err
    return result.as_dict()


async def _async_notify(call: ServiceCall) -> ServiceResponse:
    """Send one alert to the Worker now, queueing it when the Worker is unreachable."""
    event_id = call.data.get("event_id")
    attach = call.data["attach"]
    try:
        result = await _manager(call).notify(event_id, call.data.get("message"), None if attach == "none" else attach)
    except EventNotFoundError as err:
        raise _event_not_found(str(event_id), err) from err
    except CloudError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN, translation_key="cloud_failed", translation_placeholders={"error": str(err)}
        ) from err
    return {"status": result.status, "message": result.message, "attachment_url": result.attachment_url}


def async_register_cloud_services(hass: HomeAssistant) -> None:
    """Register the cloud services; they raise an error for entries without cloud settings."""
    hass.services.async_register(
        DOMAIN, SERVICE_VERIFY, _async_verify, schema=VERIFY_SCHEMA, supports_response=SupportsResponse.ONLY
    )
    hass.services.async_register(
        DOMAIN, SERVICE_NOTIFY, _async_notify, schema=NOTIFY_SCHEMA, supports_response=SupportsResponse.OPTIONAL
    )
