"""Entry setup against the real engine: entities appear with the engine's state."""

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant


async def test_entry_loads(hass: HomeAssistant, loaded_entry) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    state = hass.states.get("binary_sensor.garage_person_occupancy")
    assert state is not None
    assert state.state == "off"
    print(sorted(hass.states.async_entity_ids()))
