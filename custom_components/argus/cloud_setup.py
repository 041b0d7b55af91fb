"""Wiring of the optional cloud features into a loaded Argus config entry.

`async_setup_cloud` builds a `CloudManager` from the entry's `cloud` options and
connects it to the engine's event stream, the engine's HTTP API, the event bus,
repairs and the retry timer. With the default options it returns None and nothing
is created, so no request can leave the house.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import voluptuous as vol

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect, async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .client import ArgusError, CommandError, path_id
from .cloud import CloudCallbacks, CloudManager, CloudSettings, Verification, settings_from_mapping
from .cloud.manager import REPAIR_LICENCE
from .cloud.errors import ImageError
from .const import DOMAIN
from .coordinator import ArgusConfigEntry
from .events import signal_event
from .state import EventMessage

_LOGGER = logging.getLogger(__name__)

# Config entry option that contains the cloud settings mapping.
CONF_CLOUD = "cloud"
EVENT_VERIFIED = "argus_verified"
ISSUE_CLOUD_AUTH = "cloud_auth_failed"
OUTBOX_FLUSH_INTERVAL = timedelta(seconds=30)
# Daily counters and verified event ids, saved so a restart neither resets the cap nor re-sends a track.
# NOTE: this store and the alert outbox folder are not deleted when the entry is removed.
STATE_STORE_VERSION = 1
STATE_SAVE_DELAY = 10.0


def signal_cloud_update(entry_id: str) -> str:
    """Return the dispatcher signal sent when verified occupancy or the counters change."""
    return f"{DOMAIN}_{entry_id}_cloud"


def cloud_settings(entry: ArgusConfigEntry) -> CloudSettings:
    """Return the entry's cloud settings; invalid stored options fall back to everything off."""
    try:
        return settings_from_mapping(entry.options.get(CONF_CLOUD) or {})
    except vol.Invalid as err:
        _LOGGER.error("Ignoring invalid cloud options of %s (%s); cloud features are off", entry.title, err)
        return CloudSettings()


def _is_configured(settings: CloudSettings) -> bool:
    # Credentials alone enable the verify service; automatic verification also needs the mode and a camera.
    return bool(settings.account_id and settings.api_token) or settings.notify_enabled


async def async_setup_cloud(hass: HomeAssistant, entry: ArgusConfigEntry) -> CloudManager | None:
    """Create and connect the cloud manager, or return None when the user enabled nothing."""
    settings = cloud_settings(entry)
    if not _is_configured(settings):
        return None
    glue = _CloudGlue(hass, entry)
    manager = CloudManager(
        settings,
        async_get_clientsession(hass),
        glue.callbacks(),
        time_zone=dt_util.get_default_time_zone(),
        storage_dir=Path(hass.config.path(DOMAIN, "outbox", entry.entry_id)),
    )
    glue.manager = manager
    await glue.restore_state()
    ir.async_delete_issue(hass, DOMAIN, f"{REPAIR_LICENCE}_{entry.entry_id}")
    entry.async_on_unload(async_dispatcher_connect(hass, signal_event(entry.entry_id), glue.handle_event))
    entry.async_on_unload(async_track_time_interval(hass, glue.flush_outbox, OUTBOX_FLUSH_INTERVAL))
    entry.async_on_unload(manager.shutdown)
    # Runs before the shutdown above (unload callbacks run last-in, first-out).
    entry.async_on_unload(glue.save_state)
    _LOGGER.info("Cloud features on for %s: verify %s, notify %s", entry.title,
                 settings.verify_mode, "on" if settings.notify_enabled else "off")
    return manager


class _CloudGlue:
    """Callbacks between the manager and Home Assistant for one entry."""

    def __init__(self, hass: HomeAssistant, entry: ArgusConfigEntry) -> None:
        self.hass = hass
        self.entry = entry
        self.manager: CloudManager | None = None
        self._store_supported = True
        self._state_store: Store[dict[str, Any]] = Store(hass, STATE_STORE_VERSION, f"{DOMAIN}.{entry.entry_id}.cloud")

    async def restore_state(self) -> None:
        """Load today's counters and the verified event ids saved before a restart."""
        stored = await self._state_store.async_load()
        if not stored or self.manager is None:
            return
        self.manager.accounting.restore(stored.get("counts") or {})
        self.manager.policy.restore_claims(list(stored.get("claimed") or ()))

    async def save_state(self) -> None:
        """Write the counters and verified event ids now, for unload and reload."""
        if self.manager is not None:
            await self._state_store.async_save(self._state_to_save())

    def _state_to_save(self) -> dict[str, Any]:
        assert self.manager is not None
        return {"counts": self.manager.accounting.as_dict(), "claimed": self.manager.policy.claimed_ids()}

    def callbacks(self) -> CloudCallbacks:
        return CloudCallbacks(
            fetch_image=self.fetch_image,
            fetch_event=self.fetch_event,
            store_verification=self.store_verification,
            fire_verified=self.fire_verified,
            create_repair=self.create_repair,
            start_reauth=self.start_reauth,
            on_update=self.on_update,
            executor=self.run_in_executor,
        )

    async def run_in_executor(self, function: Any, *args: Any) -> Any:
        return await self.hass.async_add_executor_job(function, *args)

    @callback
    def handle_event(self, message: EventMessage) -> None:
        if self.manager is None:
            return
        zone_changes = [{"zone": change.zone, "change": change.change} for change in message.zone_changes]
        self.manager.handle_event({"type": message.step, "zone_changes": zone_changes, "event": dict(message.event)})

    async def flush_outbox(self, _now: Any) -> None:
        if self.manager is not None:
            await self.manager.flush_outbox()

    async def fetch_image(self, path: str) -> bytes:
        try:
            image = await self.entry.runtime_data.client.fetch_bytes(path)
        except ArgusError as err:
            raise ImageError(f"fetching {path} from the engine failed: {err}") from err
        if image is None:
            raise ImageError(f"the engine has no image at {path}")
        return image

    async def fetch_event(self, event_id: str) -> dict[str, Any] | None:
        try:
            return await self.entry.runtime_data.client.fetch_json(f"/api/events/{path_id(event_id)}")
        except ArgusError:
            return None

    async def store_verification(self, result: Verification) -> None:
        # `event/verification` is in protocol 1.0 (API.md). An engine without it replies
        # `unknown_type`, and results then stay in Home Assistant only.
        if not self._store_supported or not result.verified:
            return
        try:
            await self.entry.runtime_data.coordinator.async_command(
                "event/verification",
                event_id=result.event_id,
                verdict=result.verdict,
                description=result.description,
                model=result.model,
            )
        except CommandError as err:
            if err.code == "unknown_type":
                self._store_supported = False
                _LOGGER.info("The engine cannot store verification results; they are kept in Home Assistant only")
                return
            _LOGGER.warning("Storing the verification of event %s in the engine failed: %s", result.event_id, err)
        except ArgusError as err:
            _LOGGER.warning("Storing the verification of event %s in the engine failed: %s", result.event_id, err)

    @callback
    def fire_verified(self, result: Verification) -> None:
        self.hass.bus.async_fire(EVENT_VERIFIED, {"entry_id": self.entry.entry_id, **result.as_dict()})

    @callback
    def create_repair(self, issue: str, placeholders: Any) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{issue}_{self.entry.entry_id}",
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key=issue,
            translation_placeholders=dict(placeholders),
        )

    @callback
    def start_reauth(self) -> None:
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{ISSUE_CLOUD_AUTH}_{self.entry.entry_id}",
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_CLOUD_AUTH,
            data={"entry_id": self.entry.entry_id},
        )

    @callback
    def on_update(self) -> None:
        async_dispatcher_send(self.hass, signal_cloud_update(self.entry.entry_id))
        if self.manager is not None:
            self._state_store.async_delay_save(self._state_to_save, STATE_SAVE_DELAY)
