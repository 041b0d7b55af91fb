"""Entry setup against the real engine: every platform's entities appear with the engine's state."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

EXPECTED = {
    "binary_sensor.garage_person_occupancy": "off",
    "binary_sensor.garage_door_person_occupancy": "off",
    "binary_sensor.garage_motion": "off",
    "binary_sensor.garage_camera_connection": "on",
    "sensor.garage_person_count": "0",
    "sensor.garage_door_vehicle_count": "0",
    "switch.garage_detection": "on",
    "camera.garage": "idle",
    "event.garage_door": "unknown",
    "image.garage_last_event": "unknown",
}


async def test_entry_loads(hass: HomeAssistant, loaded_entry) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    for entity_id, expected in EXPECTED.items():
        state = hass.states.get(entity_id)
        assert state is not None, f"{entity_id} missing"
        assert state.state == expected, f"{entity_id} is {state.state}"
