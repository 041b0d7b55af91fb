"""Base entity and description fields shared by every Argus platform.

Unique ids are built from the engine id, camera id and zone id that the engine
assigned, never from names, so `Garage` and `Garage+` or `Vår hage` and `Var hage`
never collide and renaming keeps every entity. `:` is not allowed in engine ids, so it
separates the parts unambiguously.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, SUBENTRY_CAMERA, SUBENTRY_ZONE
from .coordinator import ArgusConfigEntry, ArgusCoordinator
from .state import CameraState, CameraStats, EngineState, ZoneState


class Scope(StrEnum):
    """Subject of an entity: the engine, one camera, or one zone of a camera."""

    ENGINE = "engine"
    CAMERA = "camera"
    ZONE = "zone"


@dataclass(frozen=True, slots=True)
class Subject:
    """The part of the live state one entity reads."""

    state: EngineState
    camera_id: str | None = None
    zone_id: str | None = None

    @property
    def camera(self) -> CameraState | None:
        """Return the camera's live state, if the engine has reported it."""
        return self.state.cameras.get(self.camera_id) if self.camera_id else None

    @property
    def zone(self) -> ZoneState | None:
        """Return the zone's live state, if the engine has reported it."""
        camera = self.camera
        return camera.zones.get(self.zone_id) if camera and self.zone_id else None

    @property
    def stats(self) -> CameraStats | None:
        """Return the camera's figures from the last `stats` push."""
        return self.state.stats.cameras.get(self.camera_id) if self.camera_id else None


@dataclass(frozen=True, kw_only=True)
class ArgusEntityDescription(EntityDescription):
    """Fields every Argus description adds to HA's."""

    scope: Scope
    # False for entities that report on the camera link itself, such as connectivity.
    requires_online: bool = True


def camera_device_info(coordinator: ArgusCoordinator, camera_id: str) -> DeviceInfo:
    """Return the device of one camera, linked to the engine's device."""
    camera = coordinator.cameras.get(camera_id)
    return DeviceInfo(
        identifiers={(DOMAIN, f"{coordinator.engine_id}:{camera_id}")},
        name=camera.name if camera else camera_id,
        manufacturer="Argus",
        model="Camera",
        via_device=(DOMAIN, coordinator.engine_id),
    )


class ArgusEntity(CoordinatorEntity[ArgusCoordinator]):
    """An entity fed by the engine's pushes, unavailable while disconnected."""

    _attr_has_entity_name = True
    entity_description: ArgusEntityDescription

    def __init__(
        self,
        coordinator: ArgusCoordinator,
        description: ArgusEntityDescription,
        camera_id: str | None = None,
        zone_id: str | None = None,
    ) -> None:
        """Bind the entity to the engine, a camera, or a zone of a camera."""
        super().__init__(coordinator)
        self.entity_description = description
        self.camera_id = camera_id
        self.zone_id = zone_id
        parts = [coordinator.engine_id]
        if camera_id is not None:
            parts.append(camera_id)
        if zone_id is not None:
            parts += ["zone", zone_id]
        self._attr_unique_id = ":".join([*parts, description.key])
        if camera_id is None:
            self._attr_device_info = DeviceInfo(identifiers={(DOMAIN, coordinator.engine_id)})
        else:
            self._attr_device_info = camera_device_info(coordinator, camera_id)
        if zone_id is not None and camera_id is not None:
            zone = coordinator.cameras[camera_id].zones[zone_id]
            self._attr_translation_placeholders = {"zone": zone.name, **(description.translation_placeholders or {})}

    @property
    def subject(self) -> Subject:
        """Return the part of the live state this entity reads."""
        return Subject(self.coordinator.data, self.camera_id, self.zone_id)

    @property
    def available(self) -> bool:
        """Return True while connected and, for detection entities, while the camera streams."""
        if not (super().available and self.coordinator.connected):
            return False
        if self.camera_id is None or not self.entity_description.requires_online:
            return True
        camera = self.subject.camera
        return camera is not None and camera.online


def iter_subjects(coordinator: ArgusCoordinator, scope: Scope) -> Iterator[tuple[str | None, str | None]]:
    """Yield (camera id, zone id) for every engine, camera or zone of the given scope."""
    if scope is Scope.ENGINE:
        yield None, None
        return
    for camera in coordinator.cameras.values():
        if scope is Scope.CAMERA:
            yield camera.id, None
            continue
        for zone_id in camera.zones:
            yield camera.id, zone_id


def build_entities[DescriptionT: ArgusEntityDescription](
    coordinator: ArgusCoordinator,
    descriptions: tuple[DescriptionT, ...],
    factory: Callable[[ArgusCoordinator, DescriptionT, str | None, str | None], Entity],
) -> list[Entity]:
    """Create one entity per description and matching engine, camera or zone."""
    return [
        factory(coordinator, description, camera_id, zone_id)
        for description in descriptions
        for camera_id, zone_id in iter_subjects(coordinator, description.scope)
    ]


def add_entities(entry: ArgusConfigEntry, async_add_entities: AddEntitiesCallback, entities: list[Entity]) -> None:
    """Add entities under the camera or zone subentry they belong to, if any.

    Cameras and zones made in the add-on's config file have no subentry, so their
    entities belong to the entry itself.
    """
    subentry_ids = {
        (sub.subentry_type, sub.unique_id): sub.subentry_id
        for sub in entry.subentries.values()
        if sub.subentry_type in (SUBENTRY_CAMERA, SUBENTRY_ZONE)
    }
    groups: defaultdict[str | None, list[Entity]] = defaultdict(list)
    for entity in entities:
        camera_id = getattr(entity, "camera_id", None)
        zone_id = getattr(entity, "zone_id", None)
        if zone_id is not None:
            key = subentry_ids.get((SUBENTRY_ZONE, f"{camera_id}/{zone_id}"))
        else:
            key = subentry_ids.get((SUBENTRY_CAMERA, camera_id))
        groups[key].append(entity)
    for subentry_id, members in groups.items():
        async_add_entities(members, config_subentry_id=subentry_id)
