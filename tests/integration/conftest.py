"""Home Assistant fixtures for the integration tests: a real engine on 127.0.0.1 and an entry.

`custom_components.argus` is imported here, before the `hass` fixture runs, so Home
Assistant loads this repository's integration instead of its own testing folder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.argus  # noqa: F401
from custom_components.argus.const import DOMAIN
from homeassistant.core import HomeAssistant

from argus_engine.config import parse_engine
from tests.helpers.engine_api import StillWorker
from tests.integration.engine_server import EngineServer

GARAGE = {
    "id": "garage",
    "name": "Garage",
    "url": "rtsp://127.0.0.1:8554/garage",
    "zones": [{"id": "door", "name": "Door", "points": [[0.1, 0.1], [0.6, 0.1], [0.6, 0.9]]}],
}


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components/argus."""


@pytest.fixture
async def engine_server(socket_enabled: None, tmp_path) -> AsyncIterator[EngineServer]:
    """A started engine with camera `garage` (zone `door`) on worker doubles."""
    StillWorker.instances.clear()
    server = EngineServer(tmp_path / "engine", parse_engine({"cameras": [GARAGE]}))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


def make_entry(server: EngineServer, **kwargs: Any) -> MockConfigEntry:
    """Return a config entry for the engine, keyed by its engine id."""
    assert server.engine is not None
    return MockConfigEntry(
        domain=DOMAIN, title="Argus", data=server.entry_data, unique_id=server.engine.engine_id, **kwargs
    )


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, engine_server: EngineServer) -> MockConfigEntry:
    """A config entry set up against the running engine."""
    entry = make_entry(engine_server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry
