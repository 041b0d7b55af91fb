"""Entities of the optional cloud features: verified occupancy and usage counters.

Verified occupancy is on while a zone contains an object of the group that the vision
model confirmed, or that scored at least the configured high score locally and was
not rejected. The counters cover the current local day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription, SensorStateClass
from homeassistant.const import UnitOfInformation
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity

from .cloud import CloudManager
from .cloud.accounting import DailyCounts
from .cloud_setup import signal_cloud_update
from .const import DEFAULT_GROUPS
from .coordinator import ArgusConfigEntry, ArgusCoordinator
from .entity import ArgusEntity, ArgusEntityDescription, Scope, build_entities


@dataclass(frozen=True, kw_only=True)
class VerifiedOccupancyDescription(ArgusEntityDescription, BinarySensorEntityDescription):
    """Verified occupancy of one object group in a zone."""

    group: str


@dataclass(frozen=True, kw_only=True)
class CloudCounterDescription(ArgusEntityDescription, SensorEntityDescription):
    """One of today's cloud usage counters."""

    value_fn: Callable[[DailyCounts], int]


COUNTERS: tuple[CloudCounterDescription, ...] = (
    CloudCounterDescription(
        key="cloud_requests_today",
        translation_key="cloud_requests_today",
        scope=Scope.ENGINE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda counts: counts.requests,
    ),
    CloudCounterDescription(
        key="verifications_confirmed_today",
        translation_key="verifications_confirmed_today",
        scope=Scope.ENGINE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda counts: counts.confirmed,
    ),
    CloudCounterDescription(
        key="verifications_rejected_today",
        translation_key="verifications_rejected_today",
        scope=Scope.ENGINE,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda counts: counts.rejected,
    ),
    CloudCounterDescription(
        key="cloud_bytes_uploaded_today",
        translation_key="cloud_bytes_uploaded_today",
        scope=Scope.ENGINE,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.KILOBYTES,
        state_class=SensorStateClass.TOTAL_INCREASING,
        value_fn=lambda counts: counts.bytes_uploaded,
    ),
)


def verified_occupancy_descriptions(groups: frozenset[str]) -> tuple[VerifiedOccupancyDescription, ...]:
    """Return one zone-scoped description per verified object group."""
    return tuple(
        VerifiedOccupancyDescription(
            key=f"{group}_verified_occupancy",
            translation_key=f"zone_{group}_verified_occupancy" if group in DEFAULT_GROUPS else "zone_group_verified_occupancy",
            translation_placeholders=None if group in DEFAULT_GROUPS else {"group": group},
            scope=Scope.ZONE,
            device_class=BinarySensorDeviceClass.OCCUPANCY,
            group=group,
        )
        for group in sorted(groups)
    )


def cloud_binary_sensors(entry: ArgusConfigEntry) -> list[Entity]:
    """Return verified occupancy sensors for every zone, or none when verification is off."""
    manager = entry.runtime_data.cloud
    if manager is None or not manager.settings.verify_enabled:
        return []
    coordinator = entry.runtime_data.coordinator
    descriptions = verified_occupancy_descriptions(manager.settings.verify_groups)
    return build_entities(coordinator, descriptions, _bind(VerifiedOccupancySensor, manager))


def cloud_sensors(entry: ArgusConfigEntry) -> list[Entity]:
    """Return the usage counters, or none when no cloud feature is on."""
    manager = entry.runtime_data.cloud
    if manager is None:
        return []
    return build_entities(entry.runtime_data.coordinator, COUNTERS, _bind(CloudCounterSensor, manager))


def _bind(entity_class: type[_CloudEntity], manager: CloudManager) -> Callable[..., Entity]:
    def factory(coordinator: ArgusCoordinator, description: ArgusEntityDescription,
                camera_id: str | None, zone_id: str | None) -> Entity:
        return entity_class(coordinator, description, camera_id, zone_id, manager=manager)

    return factory


class _CloudEntity(ArgusEntity):
    """An Argus entity that also refreshes when the cloud manager reports a change."""

    def __init__(self, coordinator: ArgusCoordinator, description: ArgusEntityDescription,
                 camera_id: str | None, zone_id: str | None, *, manager: CloudManager) -> None:
        super().__init__(coordinator, description, camera_id, zone_id)
        self.manager = manager

    async def async_added_to_hass(self) -> None:
        """Subscribe to cloud updates as well as to the engine's."""
        await super().async_added_to_hass()
        signal = signal_cloud_update(self.coordinator.config_entry.entry_id)
        self.async_on_remove(async_dispatcher_connect(self.hass, signal, self.async_write_ha_state))


class VerifiedOccupancySensor(_CloudEntity, BinarySensorEntity):
    """On while a trusted object of the group is in the zone."""

    entity_description: VerifiedOccupancyDescription

    @property
    def is_on(self) -> bool:
        """Return whether a confirmed or high-score object is in the zone."""
        assert self.camera_id is not None and self.zone_id is not None
        return self.manager.occupancy.count(self.camera_id, self.zone_id, self.entity_description.group) > 0


class CloudCounterSensor(_CloudEntity, SensorEntity):
    """One of today's cloud usage counters; available even while the engine is unreachable."""

    entity_description: CloudCounterDescription

    @property
    def available(self) -> bool:
        """Return True: the counters live in Home Assistant, not in the engine."""
        return True

    @property
    def native_value(self) -> int:
        """Return today's value."""
        return self.entity_description.value_fn(self.manager.accounting.today)
