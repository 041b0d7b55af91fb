"""Logbook sentences for `argus_event`, such as "Person entered Driveway (0.91)".

An entry is linked to the zone's event entity, so it also appears in that entity's
logbook and history next to its "detected an event" rows. The entity's own logbook
only finds the entry when the bus event's data carries that `entity_id`.

NOTE: Home Assistant 2025.4 has no translation hook for logbook descriptions, so these
sentences are English. Zone and camera names are the ones the user gave.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook import (
    LOGBOOK_ENTRY_ENTITY_ID,
    LOGBOOK_ENTRY_MESSAGE,
    LOGBOOK_ENTRY_NAME,
    LazyEventPartialState,
)
from homeassistant.core import HomeAssistant, callback

from .const import DOMAIN, EVENT_ARGUS
from .coordinator import ArgusCoordinator
from .describe import camera_name, label_text, loaded_coordinator, score_text, zone_event_entity_id, zone_name

# Sentence per zone change; `{score}` becomes " (0.91)" or nothing.
ZONE_CHANGE_SENTENCES = {
    "entered": "{label} entered {zone}{score}",
    "left": "{label} left {zone}",
    "loitering": "{label} is loitering in {zone}{score}",
}

# Sentence per step of an event that changed no zone.
STEP_SENTENCES = {
    "start": "{label} detected by {camera}{score}",
    "update": "{label} on {camera} updated{score}",
    "end": "{label} no longer seen by {camera}",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[LazyEventPartialState], dict[str, str]]], None],
) -> None:
    """Describe `argus_event` in the logbook."""

    @callback
    def async_describe_argus_event(event: LazyEventPartialState) -> dict[str, str]:
        data = event.data
        coordinator = loaded_coordinator(hass, data.get("entry_id"))
        camera_id = str(data.get("camera") or "")
        description = {
            LOGBOOK_ENTRY_NAME: camera_name(coordinator, camera_id),
            LOGBOOK_ENTRY_MESSAGE: describe_event_data(coordinator, data),
        }
        entity_id = data.get("entity_id") or zone_event_entity_id(
            hass, str(data.get("engine_id") or ""), camera_id, data.get("zone")
        )
        if entity_id:
            description[LOGBOOK_ENTRY_ENTITY_ID] = str(entity_id)
        return description

    async_describe_event(DOMAIN, EVENT_ARGUS, async_describe_argus_event)


def describe_event_data(coordinator: ArgusCoordinator | None, data: Mapping[str, Any]) -> str:
    """Return the logbook sentence for the data of one `argus_event`."""
    camera_id = str(data.get("camera") or "")
    label = label_text(data.get("label"))
    score = score_text(data.get("score"))
    score_part = f" ({score})" if score else ""
    sentences = []
    for change in data.get("zone_changes") or ():
        template = ZONE_CHANGE_SENTENCES.get(str(change.get("change")))
        if template is None:
            continue
        zone = zone_name(coordinator, camera_id, str(change.get("zone")))
        sentences.append(template.format(label=label, zone=zone, score=score_part))
    if sentences:
        return ", ".join(sentences)
    if data.get("stationary") and data.get("type") == "update":
        return f"{label} on {camera_name(coordinator, camera_id)} is stationary"
    template = STEP_SENTENCES.get(str(data.get("type")), STEP_SENTENCES["update"])
    return template.format(label=label, camera=camera_name(coordinator, camera_id), score=score_part)
