"""The `argus_event` bus event and the URLs it carries.

Snapshot and clip URLs point at this integration's HTTP views, never at the engine, so
the engine's token stays inside Home Assistant. The signed variants (`authSig` query)
load without a login, which is what a phone notification needs.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.http.auth import async_sign_path
from homeassistant.core import HomeAssistant, callback

from .client import path_id
from .const import DOMAIN, EVENT_ARGUS, SIGNED_URL_LIFETIME
from .describe import zone_event_entity_id
from .state import EventMessage

MEDIA_KINDS = ("snapshot.jpg", "crop.jpg", "clip.mp4")


def signal_event(entry_id: str) -> str:
    """Return the dispatcher signal that carries an entry's EventMessage objects."""
    return f"{DOMAIN}_{entry_id}_event"


def media_path(entry_id: str, event_id: str, kind: str) -> str:
    """Return the authenticated Home Assistant path of an event's snapshot, crop or clip."""
    return f"/api/{DOMAIN}/{entry_id}/events/{path_id(event_id)}/{kind}"


@callback
def signed_media_path(hass: HomeAssistant, entry_id: str, event_id: str, kind: str) -> str:
    """Return the media path with a signature that works without a login for a day."""
    return async_sign_path(hass, media_path(entry_id, event_id, kind), SIGNED_URL_LIFETIME, use_content_user=True)


@callback
def fire_bus_event(hass: HomeAssistant, entry_id: str, engine_id: str, message: EventMessage) -> None:
    """Fire `argus_event` with the engine's event and Home Assistant URLs for its media."""
    event = message.event
    event_id = message.event_id
    zone = message.zone_changes[0].zone if message.zone_changes else next(iter(event.get("zones") or ()), None)
    data: dict[str, Any] = {
        "entry_id": entry_id,
        "engine_id": engine_id,
        "cursor": message.cursor,
        "type": message.step,
        "id": event_id,
        "camera": event.get("camera"),
        "zone": zone,
        # The zone's event entity, so the logbook lists this event in that entity's history.
        "entity_id": zone_event_entity_id(hass, engine_id, str(event.get("camera") or ""), zone),
        "zones": list(event.get("zones") or ()),
        "zone_changes": [{"zone": change.zone, "change": change.change} for change in message.zone_changes],
        "label": event.get("label"),
        "groups": list(event.get("groups") or ()),
        "score": event.get("top_score"),
        "start": event.get("start"),
        "end": event.get("end"),
        "stationary": bool(event.get("stationary", False)),
        # The cloud check's verdict stored in the engine (confirmed, rejected or uncertain), or None.
        "verdict": (event.get("verification") or {}).get("verdict"),
        "snapshot_url": None,
        "snapshot_path": None,
        "clip_url": None,
    }
    if event.get("snapshot_url"):
        data["snapshot_url"] = signed_media_path(hass, entry_id, event_id, "snapshot.jpg")
        data["snapshot_path"] = media_path(entry_id, event_id, "snapshot.jpg")
    if event.get("clip_url"):
        data["clip_url"] = signed_media_path(hass, entry_id, event_id, "clip.mp4")
    hass.bus.async_fire(EVENT_ARGUS, data)
