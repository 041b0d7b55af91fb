"""Diagnostics carry no token and no camera credentials."""

from __future__ import annotations

import json

from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry

from homeassistant.core import HomeAssistant

from tests.integration.engine_server import EngineServer
from tests.integration.test_subentry_flows import configure, start_subflow

SECRET_URL = "rtsp://admin:S3cr3t%40x@127.0.0.1:8554/cam"


async def test_diagnostics_redacted(hass: HomeAssistant, hass_client, loaded_entry, engine_server: EngineServer) -> None:
    form = {"name": "Cam", "url": SECRET_URL, "detect_fps": 5, "objects": ["person"]}
    await configure(hass, await start_subflow(hass, loaded_entry, "camera"), form)
    await hass.async_block_till_done()
    form = {"name": "Side", "host": "127.0.0.1", "username": "admin", "password": "S3cr3t@x", "detect_fps": 5, "objects": ["person"]}
    await configure(hass, await start_subflow(hass, loaded_entry, "camera"), form)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, hass.config_entries.async_get_entry(loaded_entry.entry_id))
    text = json.dumps(diagnostics)
    assert "S3cr3t" not in text
    assert engine_server.token not in text
    # Still useful: the cameras and the live state are there.
    assert "127.0.0.1:8554/cam" in text
    assert diagnostics["connected"] is True
    assert "garage" in diagnostics["state"]["cameras"]
