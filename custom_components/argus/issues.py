"""Repair issues for problems only the user can fix: an unreachable engine, a missing model."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .client import EngineInfo
from .const import DOMAIN, UNREACHABLE_REPAIR_DELAY


@callback
def raise_unreachable_issue(hass: HomeAssistant, entry: ConfigEntry, url: str) -> None:
    """Report that the engine has not been reachable for UNREACHABLE_REPAIR_DELAY."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"unreachable_{entry.entry_id}",
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="engine_unreachable",
        translation_placeholders={"url": url, "minutes": str(int(UNREACHABLE_REPAIR_DELAY.total_seconds() // 60))},
    )


@callback
def clear_unreachable_issue(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Remove the unreachable issue once the engine is connected again."""
    ir.async_delete_issue(hass, DOMAIN, f"unreachable_{entry.entry_id}")


@callback
def check_model_issue(hass: HomeAssistant, entry: ConfigEntry, info: EngineInfo) -> None:
    """Raise or clear the issue for an engine that runs without a detection model.

    `hello` reports `model: null` when the engine has no model loaded.
    """
    issue_id = f"model_missing_{entry.entry_id}"
    if info.model:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        severity=ir.IssueSeverity.ERROR,
        translation_key="model_missing",
    )
