"""The standard demo set-up: a real engine with camera `demo` (zone `street`) and an entry.

It matches `python -m argus_engine demo`: camera id `demo`, name `Demo`, one full-frame
zone `street` named `Street`, so entity ids are predictable (`camera.demo`,
`binary_sensor.demo_street_person_occupancy`, `event.demo_street`, ...). The camera
runs on the engine's worker double, which serves a still frame; the event log is real.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.argus.client import ArgusClient
from homeassistant.core import HomeAssistant

from argus_engine.config import parse_engine
from tests.helpers.engine_api import StillWorker
from tests.helpers.event_media import EventWriter
from tests.integration.conftest import make_entry
from tests.integration.engine_server import EngineServer

DEMO_CAMERA = {
    "id": "demo",
    "name": "Demo",
    "url": "rtsp://127.0.0.1:8554/bikes",
    "zones": [{"id": "street", "name": "Street", "points": [[0, 0], [1, 0], [1, 1], [0, 1]]}],
}


@pytest.fixture
async def demo_engine(socket_enabled: None, tmp_path) -> AsyncIterator[EngineServer]:
    """A started engine with the demo camera on the worker double."""
    StillWorker.instances.clear()
    server = EngineServer(tmp_path / "engine", parse_engine({"cameras": [DEMO_CAMERA]}))
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def demo_events(demo_engine: EngineServer) -> EventWriter:
    """Writes events with real media into the demo engine's event log."""
    assert demo_engine.engine is not None and demo_engine.engine.store is not None
    return EventWriter(demo_engine.engine.store, demo_engine.engine.media_dir)


@pytest.fixture
async def demo_entry(hass: HomeAssistant, demo_engine: EngineServer) -> MockConfigEntry:
    """The Argus entry set up against the demo engine."""
    entry = make_entry(demo_engine)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


class RequestLog:
    """Engine HTTP requests made through one entry's client, as (path, params) pairs."""

    def __init__(self, client: ArgusClient) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []
        original: Callable[..., Any] = client.request_http

        async def counted(method: str, path: str, **kwargs: Any) -> Any:
            self.requests.append((path, dict(kwargs.get("params") or {})))
            return await original(method, path, **kwargs)

        client.request_http = counted  # type: ignore[method-assign]

    def clear(self) -> None:
        """Forget the requests so far."""
        self.requests.clear()
