"""End to end with the real pipeline and model: camera added in the HA UI, detections in HA.

Run with `-s` to see the figures: the time from the first frame in which the detector
saw a person to Home Assistant's occupancy state turning on, per appearance.
"""

from __future__ import annotations

import asyncio
import functools
import statistics
import threading
import time
from collections.abc import AsyncIterator

import pytest

from custom_components.argus.const import EVENT_ARGUS
from homeassistant.core import Event, HomeAssistant, callback

from argus_engine.config import parse_engine
from argus_engine.pipeline import CameraWorker
from tests.helpers.media import bikes_path
from tests.helpers.models import real_model
from tests.integration.conftest import make_entry
from tests.integration.engine_server import EngineServer, wait_until
from tests.integration.test_subentry_flows import configure, start_subflow

pytestmark = [pytest.mark.model, pytest.mark.slow]

# Seconds of looped video watched for the latency figures (bikes.mp4 is 10 s long).
WATCH_SECONDS = 35.0
# Generous: the detector shares two CPU cores with other test runs.
FIRST_PERSON_TIMEOUT = 90.0


class PersonFrames:
    """Wall-clock times of sampled frames in which the detector found a person."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.times: list[float] = []

    def __call__(self, frame, detections) -> None:
        if any(detection.label == "person" for detection in detections):
            with self._lock:
                self.times.append(frame.wall_time)

    def first_after(self, moment: float) -> float | None:
        with self._lock:
            return next((stamp for stamp in self.times if stamp > moment), None)


@pytest.fixture
async def pipeline_engine(request, socket_enabled: None, tmp_path) -> AsyncIterator[tuple[EngineServer, PersonFrames]]:
    """An engine with the real model and pipeline workers and no cameras yet.

    With `indirect` parameter "file", file cameras are read at their own frame rate and
    looped, as the demo command reads them, so the clip behaves like a live camera.
    """
    model = real_model("yolo26n-640.onnx")
    frames = PersonFrames()
    as_live = getattr(request, "param", None) == "file"
    server = EngineServer(
        tmp_path / "engine",
        parse_engine({}),
        model_path=model,
        worker_factory=functools.partial(CameraWorker, on_detections=frames, realtime=as_live, loop=as_live),
        stats_interval=2.0,
    )
    await server.start()
    try:
        yield server, frames
    finally:
        await server.stop()


async def setup_entry(hass: HomeAssistant, server: EngineServer):
    entry = make_entry(server)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def record_states(hass: HomeAssistant, entity_id: str) -> list[tuple[str, float]]:
    """Collect (state, time fired) of every change of one entity."""
    changes: list[tuple[str, float]] = []

    @callback
    def listener(event: Event) -> None:
        if event.data["entity_id"] == entity_id and event.data["new_state"] is not None:
            changes.append((event.data["new_state"].state, event.time_fired_timestamp))

    hass.bus.async_listen("state_changed", listener)
    return changes


@pytest.mark.parametrize("pipeline_engine", ["file"], indirect=True)
async def test_file_camera_from_ui(hass: HomeAssistant, pipeline_engine) -> None:
    server, _ = pipeline_engine
    entry = await setup_entry(hass, server)
    counts = record_states(hass, "sensor.bikes_person_count")
    form = {"name": "Bikes", "url": str(bikes_path()), "detect_fps": 5, "objects": ["person", "vehicle"]}
    result = await configure(hass, await start_subflow(hass, entry, "camera"), form)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()

    # The engine runs the camera it got from the flow, with the real model.
    assert [camera.url for camera in server.engine.cameras.cameras] == [str(bikes_path())]
    await wait_until(
        lambda: any(state not in ("0", "unknown", "unavailable") for state, _ in counts),
        timeout=FIRST_PERSON_TIMEOUT,
        what="a person counted from bikes.mp4",
    )
    assert hass.states.get("binary_sensor.bikes_camera_connection").state == "on"
    assert hass.states.get("switch.bikes_detection").state == "on"
    # Engine figures arrive with the `stats` pushes.
    await wait_until(lambda: hass.states.get("sensor.bikes_detector_latency").state not in ("unknown", "unavailable"),
                     timeout=30, what="detector latency")
    assert float(hass.states.get("sensor.bikes_detector_latency").state) > 0
    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.rtsp
async def test_rtsp_person_reaches_ha(hass: HomeAssistant, pipeline_engine, rtsp_server) -> None:
    server, person_frames = pipeline_engine
    entry = await setup_entry(hass, server)
    bus_events: list[Event] = []
    hass.bus.async_listen(EVENT_ARGUS, bus_events.append)
    occupancy = record_states(hass, "binary_sensor.street_person_occupancy")
    zone_event_types: list[str] = []

    @callback
    def record_zone_event(event: Event) -> None:
        if event.data["entity_id"] == "event.street_everywhere" and event.data["new_state"] is not None:
            zone_event_types.append(event.data["new_state"].attributes.get("event_type"))

    hass.bus.async_listen("state_changed", record_zone_event)
    started = time.time()

    form = {"name": "Street", "url": rtsp_server.url("bikes"), "detect_fps": 5, "objects": ["person", "vehicle"]}
    await configure(hass, await start_subflow(hass, entry, "camera"), form)
    await hass.async_block_till_done()
    zone_form = {"camera_id": "street", "name": "Everywhere", "points": "0,0; 1,0; 1,1; 0,1", "min_score": 0, "inertia": 2,
                 "loitering_seconds": 0}
    result = await configure(hass, await start_subflow(hass, entry, "zone"), zone_form)
    result = await configure(hass, result, {"next_step_id": "save"})
    assert result["type"] == "create_entry"
    await hass.async_block_till_done()

    await wait_until(lambda: any(state == "on" for state, _ in occupancy), timeout=FIRST_PERSON_TIMEOUT, what="person occupancy on")
    count = int(hass.states.get("sensor.street_person_count").state)
    assert count > 0
    await wait_until(lambda: any(e.data["label"] == "person" for e in bus_events), timeout=30, what="argus_event for a person")
    await wait_until(lambda: "person_entered" in zone_event_types, timeout=30, what="event entity person_entered")
    person_event = next(e for e in bus_events if e.data["label"] == "person")
    assert person_event.data["camera"] == "street"
    # The engine writes the snapshot before it publishes the start, so the URL is always there.
    assert person_event.data["type"] == "start"
    assert person_event.data["snapshot_url"].startswith("/api/argus/")

    await asyncio.sleep(WATCH_SECONDS)
    latencies = appearance_latencies(occupancy, person_frames, started)
    print(f"\nperson occupancy latency over {len(latencies)} appearance(s): "
          f"median {statistics.median(latencies):.3f} s, max {max(latencies):.3f} s; count when first on: {count}")
    assert latencies
    assert all(latency > 0 for latency in latencies)
    await hass.config_entries.async_unload(entry.entry_id)


def appearance_latencies(occupancy: list[tuple[str, float]], frames: PersonFrames, started: float) -> list[float]:
    """Return, per off→on change, the time since the first person frame after the last off."""
    latencies = []
    last_off = started
    for state, fired in occupancy:
        if state == "on":
            first = frames.first_after(last_off)
            if first is not None and first < fired:
                latencies.append(fired - first)
        elif state == "off":
            last_off = fired
    return latencies
