"""Names never make ids: look-alike camera and zone names get distinct entities."""

from __future__ import annotations

import logging

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from tests.integration.test_subentry_flows import configure, start_subflow

TRIANGLE = "0.1,0.2; 0.5,0.2; 0.5,0.9"


async def add_camera(hass: HomeAssistant, entry, name: str) -> str:
    form = {"name": name, "url": f"rtsp://127.0.0.1:8554/{len(name)}", "detect_fps": 5, "objects": ["person"]}
    result = await configure(hass, await start_subflow(hass, entry, "camera"), form)
    await hass.async_block_till_done()
    assert result["type"] == "create_entry"
    return next(sub.unique_id for sub in entry.subentries.values() if sub.title == name)


async def add_zone(hass: HomeAssistant, entry, camera_id: str, name: str) -> None:
    form = {"camera_id": camera_id, "name": name, "points": TRIANGLE, "min_score": 0, "inertia": 3, "loitering_seconds": 0}
    result = await configure(hass, await start_subflow(hass, entry, "zone"), form)
    await configure(hass, result, {"next_step_id": "save"})
    await hass.async_block_till_done()


async def test_lookalike_names_distinct(hass: HomeAssistant, loaded_entry, caplog) -> None:
    caplog.set_level(logging.WARNING)
    cameras = [await add_camera(hass, loaded_entry, name) for name in ("Garden", "Garden+")]
    assert len(set(cameras)) == 2
    for camera_id in cameras:
        for zone in ("Vår hage", "Var hage"):
            await add_zone(hass, loaded_entry, camera_id, zone)

    registry = er.async_get(hass)
    zone_occupancy = [
        entry
        for entry in er.async_entries_for_config_entry(registry, loaded_entry.entry_id)
        if entry.unique_id.endswith(":person_occupancy") and ":zone:" in entry.unique_id and entry.unique_id.split(":")[1] in cameras
    ]
    assert len(zone_occupancy) == 4
    assert len({entry.unique_id for entry in zone_occupancy}) == 4
    assert len({entry.entity_id for entry in zone_occupancy}) == 4
    for entry in zone_occupancy:
        assert hass.states.get(entry.entity_id) is not None
    names = {hass.states.get(entry.entity_id).attributes["friendly_name"] for entry in zone_occupancy}
    assert names == {
        "Garden Vår hage person occupancy",
        "Garden Var hage person occupancy",
        "Garden+ Vår hage person occupancy",
        "Garden+ Var hage person occupancy",
    }
    assert "does not generate unique IDs" not in caplog.text
