"""Event entity per zone: objects entering, leaving and loitering."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .const import DEFAULT_GROUPS
from .coordinator import ArgusConfigEntry
from .entity import ArgusEntity, ArgusEntityDescription, Scope, add_entities, build_entities
from .events import media_path, signal_event
from .state import EventMessage

PARALLEL_UPDATES = 0

# `entered` and `left` become `<group>_entered` and `<group>_left`, while loitering has no group.
ZONE_CHANGES = ("entered", "left")
EVENT_TYPES = [f"{group}_{change}" for group in DEFAULT_GROUPS for change in ZONE_CHANGES] + ["loitering"]


@dataclass(frozen=True, kw_only=True)
class ArgusEventDescription(ArgusEntityDescription, EventEntityDescription):
    """An event entity fed by engine event messages."""


EVENTS: tuple[ArgusEventDescription, ...] = (
    ArgusEventDescription(key="zone_event", translation_key="zone_event", scope=Scope.ZONE, event_types=EVENT_TYPES),
)


def event_types_of(message: EventMessage, zone_id: str) -> list[str]:
    """Return the event types one engine event message means for one zone."""
    groups = [group for group in message.event.get("groups") or () if group in DEFAULT_GROUPS]
    types: list[str] = []
    for change in message.zone_changes:
        if change.zone != zone_id:
            continue
        if change.change == "loitering":
            types.append("loitering")
        elif change.change in ZONE_CHANGES:
            types += [f"{group}_{change.change}" for group in groups]
    return types


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    """Create an event entity per zone."""
    coordinator = entry.runtime_data.coordinator
    add_entities(entry, async_add_entities, build_entities(coordinator, EVENTS, ArgusZoneEvent))


class ArgusZoneEvent(ArgusEntity, EventEntity):
    """Records what entered, left or loitered in one zone."""

    entity_description: ArgusEventDescription

    async def async_added_to_hass(self) -> None:
        """Listen for the entry's event messages."""
        await super().async_added_to_hass()
        signal = signal_event(self.coordinator.config_entry.entry_id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self._handle_event))

    @callback
    def _handle_event(self, message: EventMessage) -> None:
        if message.camera_id != self.camera_id or self.zone_id is None:
            return
        entry_id = self.coordinator.config_entry.entry_id
        attributes = {
            "event_id": message.event_id,
            "label": message.event.get("label"),
            "score": message.event.get("top_score"),
            "snapshot_path": media_path(entry_id, message.event_id, "snapshot.jpg"),
        }
        for event_type in event_types_of(message, self.zone_id):
            self._trigger_event(event_type, attributes)
            self.async_write_ha_state()
