"""Repair flows: a rejected Cloudflare API token is fixed by entering a new one."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from homeassistant import data_entry_flow
from homeassistant.components.repairs import RepairsFlow
from homeassistant.core import HomeAssistant
from homeassistant.helpers import selector

from .cloud_setup import CONF_CLOUD, ISSUE_CLOUD_AUTH

_PASSWORD = selector.TextSelector(selector.TextSelectorConfig(type=selector.TextSelectorType.PASSWORD))


class CloudTokenRepairFlow(RepairsFlow):
    """Ask for a new Cloudflare API token, store it and reload the entry."""

    def __init__(self, entry_id: str) -> None:
        """Remember which entry's token was rejected."""
        self._entry_id = entry_id

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> data_entry_flow.FlowResult:
        """Show the token form."""
        return await self.async_step_confirm()

    async def async_step_confirm(self, user_input: dict[str, Any] | None = None) -> data_entry_flow.FlowResult:
        """Store the new token; the entry reloads and verification resumes."""
        entry = self.hass.config_entries.async_get_entry(self._entry_id)
        if entry is None:
            return self.async_abort(reason="entry_not_found")
        if user_input is not None:
            cloud = {**(entry.options.get(CONF_CLOUD) or {}), "api_token": user_input["api_token"].strip()}
            self.hass.config_entries.async_update_entry(entry, options={**entry.options, CONF_CLOUD: cloud})
            return self.async_create_entry(data={})
        schema = vol.Schema({vol.Required("api_token"): _PASSWORD})
        return self.async_show_form(step_id="confirm", data_schema=schema)


async def async_create_fix_flow(hass: HomeAssistant, issue_id: str, data: dict[str, Any] | None) -> RepairsFlow:
    """Return the fix flow of a fixable Argus issue."""
    if issue_id.startswith(ISSUE_CLOUD_AUTH) and data and "entry_id" in data:
        return CloudTokenRepairFlow(str(data["entry_id"]))
    raise ValueError(f"issue {issue_id} has no fix flow")
