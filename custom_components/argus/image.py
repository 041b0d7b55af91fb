"""Image entity per camera: the snapshot of the camera's newest event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from homeassistant.components.image import ImageEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .client import ArgusError, path_id
from .coordinator import ArgusConfigEntry, ArgusCoordinator
from .entity import ArgusEntity, ArgusEntityDescription, Scope, add_entities, build_entities

PARALLEL_UPDATES = 0

IMAGES: tuple[ArgusEntityDescription, ...] = (
    ArgusEntityDescription(key="last_event", translation_key="last_event", scope=Scope.CAMERA, requires_online=False),
)


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    """Create an image entity per camera."""
    coordinator = entry.runtime_data.coordinator
    add_entities(entry, async_add_entities, build_entities(coordinator, IMAGES, ArgusLastEventImage))


class ArgusLastEventImage(ArgusEntity, ImageEntity):
    """Shows the snapshot of the newest event on one camera."""

    _attr_content_type = "image/jpeg"

    def __init__(
        self, coordinator: ArgusCoordinator, description: ArgusEntityDescription, camera_id: str | None, zone_id: str | None
    ) -> None:
        """Start without an event. `async_added_to_hass` looks up the newest stored one."""
        ArgusEntity.__init__(self, coordinator, description, camera_id, zone_id)
        ImageEntity.__init__(self, coordinator.hass)
        self._event_id: str | None = None

    async def async_added_to_hass(self) -> None:
        """Show the newest event stored by the engine, if any."""
        await super().async_added_to_hass()
        try:
            result = await self.coordinator.client.fetch_json("/api/events", {"camera": self.camera_id or "", "limit": "1"})
        except ArgusError:
            return
        events = result.get("events") or [] if isinstance(result, dict) else []
        if events and self._event_id is None:
            self._show(events[0])
            self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        event = self.coordinator.data.last_events.get(self.camera_id or "")
        if event is not None and event.get("id") != self._event_id and event.get("snapshot_url"):
            self._show(event)
        super()._handle_coordinator_update()

    def _show(self, event: dict[str, Any] | Any) -> None:
        self._event_id = str(event["id"])
        self._cached_image = None
        start = event.get("start")
        self._attr_image_last_updated = datetime.fromtimestamp(start, UTC) if isinstance(start, int | float) else datetime.now(UTC)

    async def async_image(self) -> bytes | None:
        """Return the event's snapshot JPEG from the engine."""
        if self._event_id is None:
            return None
        try:
            return await self.coordinator.client.fetch_bytes(f"/api/events/{path_id(self._event_id)}/snapshot.jpg")
        except ArgusError:
            return None
