"""Binary sensors: occupancy per camera and zone and object group, motion, connectivity."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .cloud_entities import cloud_binary_sensors
from .const import DEFAULT_GROUPS
from .coordinator import ArgusConfigEntry
from .entity import ArgusEntity, ArgusEntityDescription, Scope, Subject, add_entities, build_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ArgusBinarySensorDescription(ArgusEntityDescription, BinarySensorEntityDescription):
    """A binary sensor read from the live state."""

    value_fn: Callable[[Subject], bool | None]


CAMERA_BINARY_SENSORS: tuple[ArgusBinarySensorDescription, ...] = (
    ArgusBinarySensorDescription(
        key="motion",
        scope=Scope.CAMERA,
        device_class=BinarySensorDeviceClass.MOTION,
        value_fn=lambda subject: subject.camera.motion if subject.camera else None,
    ),
    ArgusBinarySensorDescription(
        key="connectivity",
        translation_key="camera_connectivity",
        scope=Scope.CAMERA,
        requires_online=False,
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda subject: subject.camera.online if subject.camera else False,
    ),
)


def _camera_occupied(group: str) -> Callable[[Subject], bool | None]:
    def value(subject: Subject) -> bool | None:
        return subject.camera.counts.get(group, 0) > 0 if subject.camera else None

    return value


def _zone_occupied(group: str) -> Callable[[Subject], bool | None]:
    def value(subject: Subject) -> bool | None:
        return subject.zone.counts.get(group, 0) > 0 if subject.zone else None

    return value


def occupancy_descriptions(groups: Iterable[str]) -> tuple[ArgusBinarySensorDescription, ...]:
    """Return occupancy sensors for every object group, per camera and per zone."""
    descriptions: list[ArgusBinarySensorDescription] = []
    for group in groups:
        known = group in DEFAULT_GROUPS
        placeholders = None if known else {"group": group}
        descriptions += [
            ArgusBinarySensorDescription(
                key=f"{group}_occupancy",
                translation_key=f"{group}_occupancy" if known else "group_occupancy",
                translation_placeholders=placeholders,
                scope=Scope.CAMERA,
                device_class=BinarySensorDeviceClass.OCCUPANCY,
                value_fn=_camera_occupied(group),
            ),
            ArgusBinarySensorDescription(
                key=f"{group}_occupancy",
                translation_key=f"zone_{group}_occupancy" if known else "zone_group_occupancy",
                translation_placeholders=placeholders,
                scope=Scope.ZONE,
                device_class=BinarySensorDeviceClass.OCCUPANCY,
                value_fn=_zone_occupied(group),
            ),
        ]
    return tuple(descriptions)


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    """Create the binary sensors for every camera, zone and object group."""
    coordinator = entry.runtime_data.coordinator
    descriptions = CAMERA_BINARY_SENSORS + occupancy_descriptions(coordinator.info.groups or DEFAULT_GROUPS)
    add_entities(entry, async_add_entities, build_entities(coordinator, descriptions, ArgusBinarySensor))
    add_entities(entry, async_add_entities, cloud_binary_sensors(entry))


class ArgusBinarySensor(ArgusEntity, BinarySensorEntity):
    """A binary sensor whose value comes from its description."""

    entity_description: ArgusBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """Return the value from the live state."""
        return self.entity_description.value_fn(self.subject)
