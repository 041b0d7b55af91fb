"""Sensors: object counts per camera and zone and group, and engine figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfInformation, UnitOfTime
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .cloud_entities import cloud_sensors
from .const import DEFAULT_GROUPS
from .coordinator import ArgusConfigEntry
from .entity import ArgusEntity, ArgusEntityDescription, Scope, Subject, add_entities, build_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ArgusSensorDescription(ArgusEntityDescription, SensorEntityDescription):
    """A sensor read from the live state or the last `stats` push."""

    value_fn: Callable[[Subject], float | int | None]


DIAGNOSTIC_SENSORS: tuple[ArgusSensorDescription, ...] = (
    ArgusSensorDescription(
        key="detect_fps",
        translation_key="detect_fps",
        scope=Scope.CAMERA,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement="fps",
        suggested_display_precision=1,
        value_fn=lambda subject: subject.stats.detect_fps if subject.stats else None,
    ),
    ArgusSensorDescription(
        key="detector_ms",
        translation_key="detector_latency",
        scope=Scope.CAMERA,
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.DURATION,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        suggested_display_precision=0,
        value_fn=lambda subject: subject.stats.detector_ms if subject.stats else None,
    ),
    ArgusSensorDescription(
        key="motion_percent",
        translation_key="motion_area",
        scope=Scope.CAMERA,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=1,
        value_fn=lambda subject: subject.stats.motion_percent if subject.stats else None,
    ),
    ArgusSensorDescription(
        key="cpu_percent",
        translation_key="engine_cpu",
        scope=Scope.ENGINE,
        entity_category=EntityCategory.DIAGNOSTIC,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=PERCENTAGE,
        suggested_display_precision=0,
        value_fn=lambda subject: subject.state.stats.cpu_percent,
    ),
    ArgusSensorDescription(
        key="rss",
        translation_key="engine_memory",
        scope=Scope.ENGINE,
        entity_category=EntityCategory.DIAGNOSTIC,
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.MEBIBYTES,
        suggested_display_precision=0,
        value_fn=lambda subject: subject.state.stats.rss_bytes,
    ),
)


def _camera_count(group: str) -> Callable[[Subject], int | None]:
    def value(subject: Subject) -> int | None:
        return subject.camera.counts.get(group, 0) if subject.camera else None

    return value


def _zone_count(group: str) -> Callable[[Subject], int | None]:
    def value(subject: Subject) -> int | None:
        return subject.zone.counts.get(group, 0) if subject.zone else None

    return value


def count_descriptions(groups: Iterable[str]) -> tuple[ArgusSensorDescription, ...]:
    """Return count sensors for every object group, per camera and per zone."""
    descriptions: list[ArgusSensorDescription] = []
    for group in groups:
        known = group in DEFAULT_GROUPS
        placeholders = None if known else {"group": group}
        descriptions += [
            ArgusSensorDescription(
                key=f"{group}_count",
                translation_key=f"{group}_count" if known else "group_count",
                translation_placeholders=placeholders,
                scope=Scope.CAMERA,
                state_class=SensorStateClass.MEASUREMENT,
                value_fn=_camera_count(group),
            ),
            ArgusSensorDescription(
                key=f"{group}_count",
                translation_key=f"zone_{group}_count" if known else "zone_group_count",
                translation_placeholders=placeholders,
                scope=Scope.ZONE,
                state_class=SensorStateClass.MEASUREMENT,
                value_fn=_zone_count(group),
            ),
        ]
    return tuple(descriptions)


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback) -> None:
    """Create the count and diagnostic sensors."""
    coordinator = entry.runtime_data.coordinator
    descriptions = count_descriptions(coordinator.info.groups or DEFAULT_GROUPS) + DIAGNOSTIC_SENSORS
    add_entities(entry, async_add_entities, build_entities(coordinator, descriptions, ArgusSensor))
    add_entities(entry, async_add_entities, cloud_sensors(entry))


class ArgusSensor(ArgusEntity, SensorEntity):
    """A sensor whose value comes from its description."""

    entity_description: ArgusSensorDescription

    @property
    def native_value(self) -> float | int | None:
        """Return the value from the live state."""
        return self.entity_description.value_fn(self.subject)
