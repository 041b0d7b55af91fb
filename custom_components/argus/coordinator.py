"""Live connection to one engine: keeps `EngineState` current from the engine's pushes.

The engine pushes a full `snapshot` after every `subscribe`, so a reconnect always
resets every entity from the engine's state. A person who left while the connection
was down shows as gone, never as the old value. Event messages carry a cursor that is
persisted, so events missed while Home Assistant was down are replayed once (see
CURSOR_SAVE_DELAY for the crash case).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .client import (
    ArgusClient,
    ArgusError,
    CannotConnect,
    EngineConnection,
    EngineInfo,
    InvalidAuth,
    run_connection,
)
from .cloud import CloudManager
from .const import DOMAIN, SNAPSHOT_TIMEOUT, UNREACHABLE_REPAIR_DELAY
from .events import fire_bus_event, signal_event
from .issues import check_model_issue, clear_unreachable_issue, raise_unreachable_issue
from .state import CameraInfo, CameraState, EngineState, EngineStats, EventMessage

type ArgusConfigEntry = ConfigEntry[ArgusRuntimeData]

_LOGGER = logging.getLogger(__name__)

CURSOR_STORE_VERSION = 1
# Cursor writes are batched for this many seconds, and a clean stop writes at once. After
# a crash, the events delivered in the last batch window are delivered again.
CURSOR_SAVE_DELAY = 1.0


def cursor_store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return the store that keeps an entry's last delivered event cursor."""
    return Store(hass, CURSOR_STORE_VERSION, f"{DOMAIN}.{entry_id}.cursor")


@dataclass(slots=True, kw_only=True)
class ArgusRuntimeData:
    """Runtime data of a loaded Argus config entry (`entry.runtime_data`)."""

    client: ArgusClient
    coordinator: ArgusCoordinator
    # Subentries as of setup, to tell which ones the user deleted since.
    subentries: dict[str, ConfigSubentry] = field(default_factory=dict)
    # Zone preview JPEGs by random id, with their expiry as a loop timestamp.
    previews: dict[str, tuple[bytes, float]] = field(default_factory=dict)
    # Optional cloud features; None unless the user enabled them (see cloud_setup.py).
    cloud: CloudManager | None = None


class ArgusCoordinator(DataUpdateCoordinator[EngineState]):
    """Owns the websocket of one config entry and the live state it feeds."""

    config_entry: ArgusConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ArgusConfigEntry, client: ArgusClient, info: EngineInfo) -> None:
        """Set up from the `hello` the config entry was created or loaded with."""
        super().__init__(hass, _LOGGER, config_entry=entry, name=f"Argus engine {info.engine_id}", update_interval=None)
        self.client = client
        self.info = info
        self.cameras = {camera.id: camera for camera in map(CameraInfo.from_config, info.cameras)}
        self.data = EngineState()
        self.connection: EngineConnection | None = None
        self.connected = False
        self._cursor: int | None = None
        self._store = cursor_store(hass, entry.entry_id)
        self._first_result: asyncio.Future[ArgusError | None] = hass.loop.create_future()
        self._task: asyncio.Task[Any] | None = None
        self._cancel_repair_timer: CALLBACK_TYPE | None = None
        self._commands_in_flight = 0
        self._reload_pending = False
        self._warned_other_engine = False

    @property
    def engine_id(self) -> str:
        """Return the engine's stable id."""
        return self.info.engine_id

    @property
    def cursor(self) -> int | None:
        """Return the cursor of the last event delivered to Home Assistant."""
        return self._cursor

    async def async_start(self) -> None:
        """Connect and wait for the first snapshot, raising the setup errors HA expects."""
        stored = await self._store.async_load()
        self._cursor = stored.get("cursor") if stored else None
        self._task = self.config_entry.async_create_background_task(
            self.hass,
            run_connection(
                self.client,
                on_push=self._handle_push,
                on_connected=self._async_on_connected,
                on_disconnected=self._handle_disconnected,
            ),
            f"argus connection {self.engine_id}",
        )
        try:
            async with asyncio.timeout(SNAPSHOT_TIMEOUT):
                error = await self._first_result
        except TimeoutError:
            error = CannotConnect(f"no state snapshot from the engine within {SNAPSHOT_TIMEOUT:g} s")
        if error is None:
            return
        await self.async_stop()
        if isinstance(error, InvalidAuth):
            raise ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="invalid_auth") from error
        raise ConfigEntryNotReady(
            translation_domain=DOMAIN, translation_key="cannot_connect", translation_placeholders={"error": str(error)}
        ) from error

    async def async_stop(self) -> None:
        """Close the connection and write the cursor to disk."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._cancel_repair_timer is not None:
            self._cancel_repair_timer()
            self._cancel_repair_timer = None
        if self._cursor is not None:
            await self._store.async_save({"cursor": self._cursor})

    async def async_command(self, message_type: str, **fields: Any) -> dict[str, Any]:
        """Send a command over the live connection."""
        if self.connection is None:
            raise CannotConnect("not connected to the engine")
        self._commands_in_flight += 1
        try:
            return await self.connection.request(message_type, **fields)
        finally:
            self._commands_in_flight -= 1
            self._reload_when_idle()

    async def _async_update_data(self) -> EngineState:
        # Only reached through `homeassistant.update_entity`: the state is pushed.
        if not self.connected:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="not_connected")
        return self.data

    # --- connection callbacks ----------------------------------------------------

    async def _async_on_connected(self, connection: EngineConnection) -> None:
        info = EngineInfo.from_result(await connection.request("hello"))
        if info.engine_id != self.engine_id:
            error = CannotConnect(f"the engine at {self.client.base_url} is {info.engine_id}, not {self.engine_id}")
            if not self._warned_other_engine:
                # Retries continue quietly, because the add-on may be restored from a backup.
                _LOGGER.warning("%s; use Reconfigure to point the entry at its engine", error)
                self._warned_other_engine = True
            raise error
        self._warned_other_engine = False
        self._update_info(info)
        self.connection = connection
        await connection.request("subscribe", **({"since": self._cursor} if self._cursor is not None else {}))

    def _update_info(self, info: EngineInfo) -> None:
        self.info = info
        check_model_issue(self.hass, self.config_entry, info)
        self._update_cameras({camera.id: camera for camera in map(CameraInfo.from_config, info.cameras)})

    def _update_cameras(self, cameras: dict[str, CameraInfo]) -> None:
        """Reload the entry when cameras or zones changed, so entities and devices follow."""
        if cameras == self.cameras:
            return
        _LOGGER.info("Camera or zone config of engine %s changed; reloading", self.engine_id)
        self.cameras = cameras
        self._reload_pending = True
        self._reload_when_idle()

    def _reload_when_idle(self) -> None:
        # A reload closes the websocket, so it waits for commands in flight. The engine
        # pushes `config` before it replies to the command that caused it.
        if self._reload_pending and not self._commands_in_flight:
            self._reload_pending = False
            self.hass.config_entries.async_schedule_reload(self.config_entry.entry_id)

    @callback
    def _handle_disconnected(self, error: ArgusError) -> None:
        self.connection = None
        if not self._first_result.done():
            self._first_result.set_result(error)
            return
        if isinstance(error, InvalidAuth):
            _LOGGER.error("Argus engine %s rejected the token; reauthentication required", self.engine_id)
            self.config_entry.async_start_reauth(self.hass)
        if not self.connected:
            return
        self.connected = False
        _LOGGER.warning("Lost connection to Argus engine %s at %s: %s", self.engine_id, self.client.base_url, error)
        self.last_exception = error
        self.last_update_success = False
        self.async_update_listeners()
        self._cancel_repair_timer = async_call_later(self.hass, UNREACHABLE_REPAIR_DELAY, self._raise_unreachable)

    @callback
    def _raise_unreachable(self, _now: Any) -> None:
        self._cancel_repair_timer = None
        raise_unreachable_issue(self.hass, self.config_entry, self.client.base_url)

    # --- pushes ------------------------------------------------------------------

    @callback
    def _handle_push(self, message: dict[str, Any]) -> None:
        handler = _PUSH_HANDLERS.get(str(message.get("type")))
        if handler is None:
            # Newer engines may push types this version does not know, and the protocol requires ignoring them.
            return
        handler(self, message)

    def _on_snapshot(self, message: dict[str, Any]) -> None:
        cameras = (message.get("data") or {}).get("cameras") or {}
        self.data.cameras = {str(camera_id): CameraState.from_data(state) for camera_id, state in cameras.items()}
        self._reset_cursor(int(message.get("cursor", 0)))
        if not self.connected:
            if self._first_result.done():
                _LOGGER.info("Reconnected to Argus engine %s", self.engine_id)
            self.connected = True
            self._clear_unreachable()
        self.async_set_updated_data(self.data)
        if not self._first_result.done():
            self._first_result.set_result(None)

    def _reset_cursor(self, head: int) -> None:
        if self._cursor is None:
            self._save_cursor(head)
        elif head < self._cursor:
            # The engine's event journal is younger than our cursor because its data dir
            # was reset. Without this, no new event would ever pass the duplicate check.
            _LOGGER.warning("Engine %s event cursor went back from %s to %s; following it", self.engine_id, self._cursor, head)
            self._save_cursor(head)

    def _clear_unreachable(self) -> None:
        if self._cancel_repair_timer is not None:
            self._cancel_repair_timer()
            self._cancel_repair_timer = None
        clear_unreachable_issue(self.hass, self.config_entry)

    def _on_state(self, message: dict[str, Any]) -> None:
        camera_id = _camera_of(message)
        if camera_id is None:
            return
        self.data.cameras[camera_id] = CameraState.from_data(message.get("data") or {})
        self.async_set_updated_data(self.data)

    def _on_camera_status(self, message: dict[str, Any]) -> None:
        camera_id = _camera_of(message)
        status = (message.get("data") or {}).get("state")
        if camera_id is None or status is None:
            return
        camera = self.data.cameras.setdefault(camera_id, CameraState())
        if camera.status == status:
            return
        _LOGGER.debug("Camera %s status is now %s", camera_id, status)
        camera.status = str(status)
        self.async_set_updated_data(self.data)

    def _on_config(self, message: dict[str, Any]) -> None:
        cameras = (message.get("data") or {}).get("cameras")
        if cameras is None:
            return
        self._update_cameras({camera.id: camera for camera in map(CameraInfo.from_config, cameras)})

    def _on_stats(self, message: dict[str, Any]) -> None:
        self.data.stats = EngineStats.from_data(message.get("data") or {})
        self.async_set_updated_data(self.data)

    def _on_event(self, message: dict[str, Any]) -> None:
        event = EventMessage.from_push(message)
        if self._cursor is not None and event.cursor <= self._cursor:
            return  # already delivered before a reconnect
        self._save_cursor(event.cursor)
        self.data.last_events[event.camera_id] = event.event
        fire_bus_event(self.hass, self.config_entry.entry_id, self.engine_id, event)
        async_dispatcher_send(self.hass, signal_event(self.config_entry.entry_id), event)
        self.async_update_listeners()

    def _save_cursor(self, cursor: int) -> None:
        self._cursor = cursor
        self._store.async_delay_save(lambda: {"cursor": self._cursor}, CURSOR_SAVE_DELAY)


_PUSH_HANDLERS = {
    "snapshot": ArgusCoordinator._on_snapshot,
    "state": ArgusCoordinator._on_state,
    "camera_status": ArgusCoordinator._on_camera_status,
    "stats": ArgusCoordinator._on_stats,
    "event": ArgusCoordinator._on_event,
    "config": ArgusCoordinator._on_config,
}


def _camera_of(message: dict[str, Any]) -> str | None:
    camera = message.get("camera") or (message.get("data") or {}).get("camera")
    return str(camera) if camera else None
