"""Helpers shared by the camera and zone subentry flows, and removal sync.

A camera or zone subentry mirrors one engine camera or zone: the flow sends the change
to the engine first and stores the subentry only when the engine accepted it, with the
engine's id as the subentry's unique id. Deleting a subentry in the UI removes the
camera or zone from the engine.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow
from homeassistant.core import HomeAssistant

from .client import ArgusError, CommandError
from .const import CONF_CAMERA_ID, CONF_ZONE_ID, SUBENTRY_CAMERA, SUBENTRY_ZONE
from .coordinator import ArgusConfigEntry, ArgusCoordinator

_LOGGER = logging.getLogger(__name__)


def loaded_coordinator(flow: ConfigSubentryFlow) -> ArgusCoordinator | None:
    """Return the coordinator of the flow's entry while it is loaded and connected."""
    entry: ArgusConfigEntry = flow._get_entry()  # noqa: SLF001 - HA's accessor for subentry flows
    if entry.state is not ConfigEntryState.LOADED or not entry.runtime_data.coordinator.connected:
        return None
    return entry.runtime_data.coordinator


def engine_errors(err: ArgusError, fields: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str]]:
    """Map an engine error onto the form field it names, with its message as a placeholder."""
    if not isinstance(err, CommandError):
        return {"base": "cannot_connect"}, {"error": str(err)}
    # The engine may name a nested path such as `zone.points`, whose last part is the form field.
    name = (err.field or "").rsplit(".", 1)[-1]
    key = name if name in fields else "base"
    return {key: "engine_rejected"}, {"error": err.message}


async def async_sync_removed_subentries(hass: HomeAssistant, entry: ArgusConfigEntry) -> None:
    """Remove from the engine the cameras and zones whose subentries the user deleted."""
    if entry.state is not ConfigEntryState.LOADED:
        return
    runtime = entry.runtime_data
    removed = [sub for sub_id, sub in runtime.subentries.items() if sub_id not in entry.subentries]
    runtime.subentries = dict(entry.subentries)
    for subentry in removed:
        await _async_remove_from_engine(runtime.coordinator, subentry.subentry_type, subentry.data)

    # Zones go with their camera, so drop their subentries too.
    gone = {sub.data[CONF_CAMERA_ID] for sub in removed if sub.subentry_type == SUBENTRY_CAMERA}
    for subentry in list(entry.subentries.values()):
        if subentry.subentry_type == SUBENTRY_ZONE and subentry.data[CONF_CAMERA_ID] in gone:
            hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)


async def _async_remove_from_engine(coordinator: ArgusCoordinator, subentry_type: str, data: Any) -> None:
    target = data.get(CONF_ZONE_ID) or data.get(CONF_CAMERA_ID)
    try:
        if subentry_type == SUBENTRY_CAMERA:
            await coordinator.async_command("camera/remove", camera_id=data[CONF_CAMERA_ID])
        elif subentry_type == SUBENTRY_ZONE:
            await coordinator.async_command("zone/remove", camera_id=data[CONF_CAMERA_ID], zone_id=data[CONF_ZONE_ID])
    except CommandError as err:
        # Already gone from the engine (for example removed with its camera) is fine.
        if err.code != "not_found":
            _LOGGER.error("Removing %s %s from the engine failed: %s", subentry_type, target, err)
    except ArgusError as err:
        _LOGGER.error("Removing %s %s from the engine failed: %s; remove it in the add-on's config", subentry_type, target, err)
