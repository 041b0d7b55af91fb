"""Truth after restarts: a lost engine makes entities unavailable, and reconnects reset them.

Figures are printed (run with -s): how long until entities turned unavailable and how
long after the engine came back they showed the engine's state again.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from pytest_homeassistant_custom_component.common import async_capture_events, async_fire_time_changed

from custom_components.argus.const import DOMAIN, EVENT_ARGUS
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from tests.integration.conftest import make_entry
from tests.integration.engine_server import EngineServer, wait_until
from tests.integration.tcp_proxy import FreezableProxy

OCCUPANCY = "binary_sensor.garage_person_occupancy"
COUNT = "sensor.garage_person_count"
ZONE_OCCUPANCY = "binary_sensor.garage_door_person_occupancy"

# The acceptance bounds; the measured figures are printed.
UNAVAILABLE_BOUND = 10.0
RESET_BOUND = 5.0


def state_of(hass: HomeAssistant, entity_id: str) -> str | None:
    state = hass.states.get(entity_id)
    return state.state if state else None


async def person_present(hass: HomeAssistant, server: EngineServer) -> None:
    server.publish_state("garage", counts={"person": 1}, zones={"door": {"person": 1}})
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "on" and state_of(hass, ZONE_OCCUPANCY) == "on", what="person present")


async def test_engine_restart_resets_state(hass: HomeAssistant, loaded_entry, engine_server: EngineServer, caplog) -> None:
    await person_present(hass, engine_server)

    await engine_server.stop()
    lost = await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", timeout=UNAVAILABLE_BOUND, what="unavailable")
    assert state_of(hass, COUNT) == "unavailable"

    # Several reconnect attempts fail while the engine is down, and the loss is logged once.
    await asyncio.sleep(3)
    lost_lines = [r for r in caplog.records if "Lost connection" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(lost_lines) == 1

    # The engine comes back with an empty scene: the person left while it was down.
    await engine_server.start()
    back = await wait_until(
        lambda: state_of(hass, OCCUPANCY) == "off" and state_of(hass, COUNT) == "0" and state_of(hass, ZONE_OCCUPANCY) == "off",
        timeout=RESET_BOUND,
        what="reset from snapshot",
    )
    print(f"\nengine stopped -> unavailable after {lost:.2f} s; engine started -> off/0 after {back:.2f} s")
    assert any("Reconnected to Argus engine" in r.getMessage() for r in caplog.records)


async def test_silent_link_detected_by_heartbeat(hass: HomeAssistant, engine_server: EngineServer) -> None:
    proxy = FreezableProxy(engine_server.port)
    await proxy.start()
    try:
        entry = make_entry(engine_server)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, data={**entry.data, "port": proxy.port})
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
        await person_present(hass, engine_server)

        proxy.freeze()
        noticed = await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", timeout=UNAVAILABLE_BOUND, what="unavailable")
        print(f"\nsilent link -> unavailable after {noticed:.2f} s")
    finally:
        await proxy.close()
        await hass.config_entries.async_unload(entry.entry_id)


async def test_ha_restart_replays_missed_event_once(hass: HomeAssistant, engine_server: EngineServer, hass_storage) -> None:
    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_ARGUS)
    await person_present(hass, engine_server)
    first_cursor, event = engine_server.record_event("garage", zone_changes=[{"zone": "door", "change": "entered"}])
    await wait_until(lambda: len(events) == 1, what="start event")

    # Home Assistant stops, and the cursor of the last delivered event is on disk.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass_storage[f"{DOMAIN}.{entry.entry_id}.cursor"]["data"]["cursor"] == first_cursor

    # The person leaves while Home Assistant is down.
    engine_server.publish_state("garage")
    end_cursor, _ = engine_server.record_event("garage", "end", event=event, zone_changes=[{"zone": "door", "change": "left"}])
    offs: list[Event] = []

    @callback
    def record_off(change: Event) -> None:
        if change.data["entity_id"] == OCCUPANCY and change.data["new_state"].state == "off":
            offs.append(change)

    unsubscribe = hass.bus.async_listen("state_changed", record_off)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # Right after setup the state comes from the engine's snapshot, not from before.
    assert state_of(hass, OCCUPANCY) == "off"
    assert state_of(hass, ZONE_OCCUPANCY) == "off"
    await wait_until(lambda: len(events) == 2, what="replayed end event")
    assert events[1].data["cursor"] == end_cursor
    assert events[1].data["type"] == "end"
    assert hass.states.get("event.garage_door").attributes["event_type"] == "person_left"

    # Give any duplicate a chance to arrive, then check it did not.
    await asyncio.sleep(1.5)
    assert len(events) == 2
    assert len(offs) == 1
    unsubscribe()

    # A later reconnect replays nothing already delivered.
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")
    await engine_server.start()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "off", timeout=RESET_BOUND, what="reconnected")
    await asyncio.sleep(1.5)
    assert len(events) == 2
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_ha_restart_person_still_there(hass: HomeAssistant, engine_server: EngineServer) -> None:
    """After an HA restart with the person still present, the state is on, and off fires once when they leave."""
    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await person_present(hass, engine_server)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    offs: list[Event] = []

    @callback
    def record_off(change: Event) -> None:
        new_state = change.data["new_state"]
        if change.data["entity_id"] == OCCUPANCY and new_state is not None and new_state.state == "off":
            offs.append(change)

    unsubscribe = hass.bus.async_listen("state_changed", record_off)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "on", timeout=RESET_BOUND, what="state from snapshot")
    assert state_of(hass, COUNT) == "1"
    assert offs == []

    engine_server.publish_state("garage")
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "off", what="person left")
    # Give a duplicate transition a chance to arrive, then check it did not.
    await asyncio.sleep(1.5)
    unsubscribe()
    assert len(offs) == 1
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_unreachable_repair(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    issue_id = f"unreachable_{loaded_entry.entry_id}"
    await engine_server.stop()
    await wait_until(lambda: state_of(hass, OCCUPANCY) == "unavailable", what="unavailable")
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=6))
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "engine_unreachable"

    await engine_server.start()
    await wait_until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None, timeout=RESET_BOUND, what="issue cleared")


async def test_revoked_token_starts_reauth(hass: HomeAssistant, loaded_entry, engine_server: EngineServer) -> None:
    await engine_server.stop()
    engine_server.engine_args["token"] = "rotated-token-0123456789"
    await engine_server.start()
    await wait_until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)), what="reauth flow")
    flow = hass.config_entries.flow.async_progress_by_handler(DOMAIN)[0]
    assert flow["context"]["source"] == "reauth"
    assert state_of(hass, OCCUPANCY) == "unavailable"
