"""Human-readable names for engine events, shared by the media browser and the logbook.

Labels are the detector's class names (`person`, `car`, ...), and cameras and zones
appear under the names the user gave them. Ids stand in only when the camera or zone
is no longer in the engine's config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from .const import DOMAIN

if TYPE_CHECKING:
    # Only for annotations: the coordinator imports `events`, which imports this module.
    from .coordinator import ArgusConfigEntry, ArgusCoordinator


def label_text(label: Any) -> str:
    """Return a detector label as a capitalised noun, for example `Person` or `Traffic light`."""
    text = str(label or "object").replace("_", " ")
    return text[:1].upper() + text[1:]


def camera_name(coordinator: ArgusCoordinator | None, camera_id: str) -> str:
    """Return the camera's configured name, or its id once the engine no longer has it."""
    camera = coordinator.cameras.get(camera_id) if coordinator else None
    return camera.name if camera else camera_id


def zone_name(coordinator: ArgusCoordinator | None, camera_id: str, zone_id: str) -> str:
    """Return the zone's configured name, or its id once the engine no longer has it."""
    camera = coordinator.cameras.get(camera_id) if coordinator else None
    zone = camera.zones.get(zone_id) if camera else None
    return zone.name if zone else zone_id


def place_name(coordinator: ArgusCoordinator | None, camera_id: str, zone_ids: Iterable[str]) -> str:
    """Return the names of the zones an event touched, or the camera's name when it touched none."""
    names = [zone_name(coordinator, camera_id, zone_id) for zone_id in zone_ids]
    return ", ".join(names) if names else camera_name(coordinator, camera_id)


def score_text(score: Any) -> str:
    """Return a detection score as two decimals, or an empty string when there is none."""
    if isinstance(score, bool) or not isinstance(score, int | float):
        return ""
    return f"{score:.2f}"


def zone_event_entity_id(hass: HomeAssistant, engine_id: str, camera_id: str, zone_id: str | None) -> str | None:
    """Return the entity id of a zone's event entity, looked up by its unique id."""
    if not zone_id:
        return None
    unique_id = f"{engine_id}:{camera_id}:zone:{zone_id}:zone_event"
    return er.async_get(hass).async_get_entity_id(Platform.EVENT, DOMAIN, unique_id)


def loaded_coordinator(hass: HomeAssistant, entry_id: Any) -> ArgusCoordinator | None:
    """Return the coordinator of an Argus entry that has been set up, or None."""
    entry: ArgusConfigEntry | None = hass.config_entries.async_get_entry(str(entry_id)) if entry_id else None
    if entry is None or entry.domain != DOMAIN:
        return None
    runtime = getattr(entry, "runtime_data", None)
    return runtime.coordinator if runtime is not None else None


def zone_ids_of(event: Mapping[str, Any]) -> list[str]:
    """Return the ids of the zones an event entered, as the engine listed them."""
    return [str(zone) for zone in event.get("zones") or ()]
