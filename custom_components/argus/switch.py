"""Switch per camera: object detection on or off."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .client import ArgusError
from .const import DOMAIN
from .coordinator import ArgusConfigEntry
from .entity import ArgusEntity, ArgusEntityDescription, Scope, add_entities, build_entities

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class ArgusSwitchDescription(ArgusEntityDescription, SwitchEntityDescription):
    """A switch backed by an engine command."""


SWITCHES: tuple[ArgusSwitchDescription, ...] = (
    ArgusSwitchDescription(
        key="detection",
        translation_key="detection",
        scope=Scope.CAMERA,
        requires_online=False,
        entity_category=EntityCategory.CONFIG,
    ),
)


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    """Create a detection switch per camera."""
    coordinator = entry.runtime_data.coordinator
    add_entities(entry, async_add_entities, build_entities(coordinator, SWITCHES, ArgusDetectionSwitch))


class ArgusDetectionSwitch(ArgusEntity, SwitchEntity):
    """Detection switch of one camera. The stream keeps running while detection is off."""

    entity_description: ArgusSwitchDescription

    @property
    def is_on(self) -> bool | None:
        """Return whether the engine runs detection on this camera."""
        camera = self.subject.camera
        return camera.detect_enabled if camera else None

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn detection on."""
        await self._async_set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Turn detection off."""
        await self._async_set(False)

    async def _async_set(self, enabled: bool) -> None:
        assert self.camera_id is not None
        try:
            await self.coordinator.async_command("camera/detection", camera_id=self.camera_id, enabled=enabled)
        except ArgusError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN, translation_key="command_failed", translation_placeholders={"error": str(err)}
            ) from err
        # The engine confirms with a `state` push too. Setting it here avoids a flicker.
        if (camera := self.subject.camera) is not None:
            camera.detect_enabled = enabled
        self.async_write_ha_state()
