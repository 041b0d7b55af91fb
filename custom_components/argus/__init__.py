"""The Argus integration: local object detection from the Argus engine add-on."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .client import ArgusClient, CannotConnect, InvalidAuth, UnsupportedProtocol
from .cloud_services import async_register_cloud_services
from .cloud_setup import async_setup_cloud
from .const import DOMAIN
from .coordinator import ArgusConfigEntry, ArgusCoordinator, ArgusRuntimeData, cursor_store
from .services import async_register_services
from .subentries import async_sync_removed_subentries
from .views import register_views

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the HTTP views and services, which serve every entry."""
    register_views(hass)
    async_register_services(hass)
    async_register_cloud_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ArgusConfigEntry) -> bool:
    """Connect to the engine, wait for its state snapshot, then set up the platforms."""
    client = ArgusClient(
        async_get_clientsession(hass), host=entry.data[CONF_HOST], port=entry.data[CONF_PORT], token=entry.data[CONF_TOKEN]
    )
    try:
        info = await client.async_hello()
    except InvalidAuth as err:
        raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="invalid_auth") from err
    except (CannotConnect, UnsupportedProtocol) as err:
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="cannot_connect", translation_placeholders={"error": str(err)}
        ) from err

    coordinator = ArgusCoordinator(hass, entry, client, info)
    await coordinator.async_start()
    entry.runtime_data = ArgusRuntimeData(client=client, coordinator=coordinator, subentries=dict(entry.subentries))
    entry.async_on_unload(coordinator.async_stop)
    entry.runtime_data.cloud = await async_setup_cloud(hass, entry)
    _register_engine_device(hass, entry, coordinator)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    entry.async_on_unload(entry.add_update_listener(_async_entry_updated))
    return True


def _register_engine_device(hass: HomeAssistant, entry: ArgusConfigEntry, coordinator: ArgusCoordinator) -> None:
    device_registry = dr.async_get(hass)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, coordinator.engine_id)},
        manufacturer="Argus",
        model="Argus engine",
        name="Argus",
        sw_version=coordinator.info.version,
        configuration_url=None,
    )
    # Cameras removed from the engine leave their devices behind, so drop them.
    known = {(DOMAIN, coordinator.engine_id)} | {(DOMAIN, f"{coordinator.engine_id}:{camera_id}") for camera_id in coordinator.cameras}
    for device in dr.async_entries_for_config_entry(device_registry, entry.entry_id):
        if not device.identifiers & known:
            device_registry.async_update_device(device.id, remove_config_entry_id=entry.entry_id)


async def _async_entry_updated(hass: HomeAssistant, entry: ArgusConfigEntry) -> None:
    """Apply subentry removals to the engine, then reload so entities follow."""
    await async_sync_removed_subentries(hass, entry)
    hass.config_entries.async_schedule_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: ArgusConfigEntry) -> bool:
    """Unload the platforms. The connection closes through `async_on_unload`."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: ArgusConfigEntry) -> None:
    """Delete the stored event cursor of a removed entry."""
    await cursor_store(hass, entry.entry_id).async_remove()


async def async_remove_config_entry_device(hass: HomeAssistant, entry: ArgusConfigEntry, device: dr.DeviceEntry) -> bool:
    """Allow removing a camera device only once the engine no longer has that camera."""
    coordinator = entry.runtime_data.coordinator
    live = {(DOMAIN, coordinator.engine_id)} | {(DOMAIN, f"{coordinator.engine_id}:{camera_id}") for camera_id in coordinator.cameras}
    return not device.identifiers & live
