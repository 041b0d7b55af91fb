"""Config flow: connect Home Assistant to an Argus engine.

The engine is reached by host, port and token, entered by hand or announced by the
add-on through Supervisor discovery. Every path tests the connection with `hello`
before it stores anything, and the engine id from `hello` is the entry's unique id.

Cameras and zones are config subentries. HA 2025.4 has subentry flows with add,
reconfigure and delete in the UI (`ConfigSubentryFlow`, `supports_reconfigure`), so
each camera and zone is listed and edited under its engine entry instead of in one
long options flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import voluptuous as vol

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN
from homeassistant.core import callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .camera_flow import CameraSubentryFlow
from .cloud_flow import CONF_CONFIGURE_CLOUD, CloudOptionsMixin
from .client import ArgusClient, ArgusError, CannotConnect, EngineInfo, InvalidAuth, UnsupportedProtocol
from .const import CONF_ANNOTATE_STILLS, DEFAULT_PORT, DOMAIN, SUBENTRY_CAMERA, SUBENTRY_ZONE
from .zone_flow import ZoneSubentryFlow

USER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): str,
        vol.Required(CONF_PORT, default=DEFAULT_PORT): cv.port,
        vol.Required(CONF_TOKEN): str,
    }
)


class ArgusConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up one config entry per engine."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing discovered."""
        self._discovered: dict[str, Any] = {}

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> ArgusOptionsFlow:
        """Return the options flow."""
        return ArgusOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(cls, config_entry: ConfigEntry) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry flows: cameras and zones."""
        return {SUBENTRY_CAMERA: CameraSubentryFlow, SUBENTRY_ZONE: ZoneSubentryFlow}

    async def _async_probe(self, host: str, port: int, token: str) -> tuple[EngineInfo | None, dict[str, str]]:
        """Return the engine's `hello`, or the form errors explaining why there is none."""
        client = ArgusClient(async_get_clientsession(self.hass), host=host, port=port, token=token)
        try:
            return await client.async_hello(), {}
        except InvalidAuth:
            return None, {"base": "invalid_auth"}
        except CannotConnect:
            return None, {"base": "cannot_connect"}
        except UnsupportedProtocol:
            return None, {"base": "unsupported_protocol"}
        except ArgusError:
            return None, {"base": "unknown"}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for host, port and token and test them."""
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._async_probe(user_input[CONF_HOST], user_input[CONF_PORT], user_input[CONF_TOKEN])
            if info is not None:
                await self.async_set_unique_id(info.engine_id)
                self._abort_if_unique_id_configured(updates=user_input)
                return self.async_create_entry(title=f"Argus ({user_input[CONF_HOST]})", data=user_input)
        return self.async_show_form(
            step_id="user", data_schema=self.add_suggested_values_to_schema(USER_SCHEMA, user_input), errors=errors
        )

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """Handle the add-on's discovery: `{"host", "port", "token"}` in the config."""
        config = discovery_info.config
        data = {CONF_HOST: str(config[CONF_HOST]), CONF_PORT: int(config[CONF_PORT]), CONF_TOKEN: str(config[CONF_TOKEN])}
        info, errors = await self._async_probe(data[CONF_HOST], data[CONF_PORT], data[CONF_TOKEN])
        if info is None:
            return self.async_abort(reason=errors["base"])
        await self.async_set_unique_id(info.engine_id)
        self._abort_if_unique_id_configured(updates=data)
        self._discovered = data
        self.context["title_placeholders"] = {"name": discovery_info.name}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user confirm the discovered add-on."""
        if user_input is None:
            return self.async_show_form(step_id="hassio_confirm", description_placeholders={"host": self._discovered[CONF_HOST]})
        return self.async_create_entry(title="Argus", data=self._discovered)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the engine rejected the token."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the engine's current token."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._async_probe(entry.data[CONF_HOST], entry.data[CONF_PORT], user_input[CONF_TOKEN])
            if info is not None:
                await self.async_set_unique_id(info.engine_id)
                self._abort_if_unique_id_mismatch(reason="wrong_engine")
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({vol.Required(CONF_TOKEN): str}),
            description_placeholders={"host": entry.data[CONF_HOST]},
            errors=errors,
        )

    async def async_step_reconfigure(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Change the engine's host or port, keeping the token."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._async_probe(user_input[CONF_HOST], user_input[CONF_PORT], entry.data[CONF_TOKEN])
            if info is not None:
                await self.async_set_unique_id(info.engine_id)
                self._abort_if_unique_id_mismatch(reason="wrong_engine")
                return self.async_update_reload_and_abort(entry, data_updates=user_input)
        schema = vol.Schema({vol.Required(CONF_HOST): str, vol.Required(CONF_PORT): cv.port})
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or entry.data),
            errors=errors,
        )


class ArgusOptionsFlow(CloudOptionsMixin):
    """Integration-wide options; the cloud steps come from `CloudOptionsMixin`."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose whether camera stills show the engine's boxes and zones."""
        if user_input is not None:
            if user_input.pop(CONF_CONFIGURE_CLOUD, False):
                self.start_cloud(user_input)
                return await self.async_step_cloud()
            return self.async_create_entry(data={**self.config_entry.options, **user_input})
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_ANNOTATE_STILLS, default=self.config_entry.options.get(CONF_ANNOTATE_STILLS, True)
                ): bool,
                vol.Optional(CONF_CONFIGURE_CLOUD, default=False): bool,
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
