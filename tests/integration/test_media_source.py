"""The Argus media source: browsing cameras, days and events, and playing them through HA."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from custom_components.argus import media_source as argus_media
from homeassistant.components import media_source
from homeassistant.components.media_player import BrowseError, MediaClass
from homeassistant.components.media_player.browse_media import async_process_play_media_url
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util

from tests.helpers.event_media import EventWriter
from tests.integration.demo_setup import RequestLog, demo_engine, demo_entry, demo_events  # noqa: F401
from tests.integration.engine_server import EngineServer

ROOT = "media-source://argus"


@pytest.fixture
async def media(hass: HomeAssistant) -> None:
    """Set up Home Assistant's media source component, which finds the Argus platform."""
    assert await async_setup_component(hass, "media_source", {})
    await hass.async_block_till_done()


def local_time(days_ago: int, hour: int, minute: int = 0) -> float:
    """Return the Unix time of a local wall-clock time `days_ago` days before today."""
    day = dt_util.start_of_local_day() - timedelta(days=days_ago)
    return dt_util.start_of_local_day(day.date()).replace(hour=hour, minute=minute).timestamp()


async def browse(hass: HomeAssistant, item: str) -> media_source.BrowseMediaSource:
    return await media_source.async_browse_media(hass, item)


async def test_browse_cameras_days_events(hass: HomeAssistant, demo_events: EventWriter, demo_entry, media) -> None:
    clip_event = demo_events.add("demo", local_time(0, 21, 14), zones=("street",), clip=True)
    car = demo_events.add("demo", local_time(0, 9, 5), label="car", score=0.64)
    demo_events.add("demo", local_time(1, 12))
    demo_events.add("demo", local_time(3, 7, 30), label="dog", snapshot=False)

    root = await browse(hass, ROOT)
    assert [child.title for child in root.children] == ["Demo"]
    assert root.children[0].can_expand

    camera = await browse(hass, root.children[0].media_content_id)
    days = [child.title for child in camera.children]
    today = dt_util.start_of_local_day().date()
    assert days == [(today - timedelta(days=n)).isoformat() for n in (0, 1, 3)]
    assert camera.children[0].thumbnail == f"/api/argus/{demo_entry.entry_id}/events/{clip_event.id}/snapshot.jpg"
    # The newest event of the oldest day has no snapshot, so that day has no thumbnail.
    assert camera.children[2].thumbnail is None

    day = await browse(hass, camera.children[0].media_content_id)
    assert [child.title for child in day.children] == ["Person · Street · 21:14", "Car · Demo · 09:05"]
    first, second = day.children
    assert first.can_play and not first.can_expand
    assert first.media_class == MediaClass.VIDEO
    assert first.media_content_type == "video/mp4"
    assert second.media_class == MediaClass.IMAGE
    assert second.media_content_type == "image/jpeg"
    assert second.thumbnail == f"/api/argus/{demo_entry.entry_id}/events/{car.id}/snapshot.jpg"


async def test_resolve_plays_through_home_assistant(
    hass: HomeAssistant, demo_events: EventWriter, demo_engine: EngineServer, demo_entry, media, hass_client, hass_client_no_auth
) -> None:
    demo_events.add("demo", local_time(0, 10), clip=True)
    demo_events.add("demo", local_time(0, 9))
    camera = await browse(hass, f"{ROOT}/camera/{demo_entry.entry_id}/demo")
    day = await browse(hass, camera.children[0].media_content_id)
    clip_item, snapshot_item = day.children

    client = await hass_client()
    anonymous = await hass_client_no_auth()
    for item, mime in ((clip_item, "video/mp4"), (snapshot_item, "image/jpeg")):
        played = await media_source.async_resolve_media(hass, item.media_content_id, None)
        assert played.mime_type == mime
        assert played.url.startswith(f"/api/argus/{demo_entry.entry_id}/events/")
        assert demo_engine.token not in played.url

        response = await client.get(played.url)
        assert response.status == 200
        assert response.content_type == mime
        body = await response.read()
        assert body[:3] == b"\xff\xd8\xff" if mime == "image/jpeg" else body[4:8] == b"ftyp"

        # What the websocket resolve hands to the frontend or a cast device: a signed path.
        signed = async_process_play_media_url(hass, played.url, allow_relative_url=True)
        assert (await anonymous.get(played.url)).status == 401
        response = await anonymous.get(signed)
        assert response.status == 200
        assert response.content_type == mime

        thumbnail = await client.get(item.thumbnail)
        assert thumbnail.status == 200
        assert thumbnail.content_type == "image/jpeg"


async def test_day_pages_with_cursor(hass: HomeAssistant, demo_events: EventWriter, demo_entry, media) -> None:
    count = argus_media.EVENTS_PER_PAGE * 2 + 17
    stored = [demo_events.add("demo", local_time(0, 8) + index * 10).id for index in range(count)]

    item = f"{ROOT}/camera/{demo_entry.entry_id}/demo/{dt_util.start_of_local_day().date().isoformat()}"
    seen: list[str] = []
    pages = 0
    while item is not None:
        page = await browse(hass, item)
        pages += 1
        events = [child for child in page.children if child.can_play]
        folders = [child for child in page.children if child.can_expand]
        seen += [child.media_content_id.split("/")[-2] for child in events]
        assert len(folders) <= 1
        item = folders[0].media_content_id if folders else None
    assert pages == 3
    assert seen == list(reversed(stored))


async def test_ten_thousand_events_bounded(hass: HomeAssistant, demo_events: EventWriter, demo_entry, media) -> None:
    days = 20
    per_day = 500
    started = time.perf_counter()
    for day in range(days):
        for index in range(per_day):
            demo_events.add("demo", local_time(day, 6) + index * 60, zones=("street",))
    print(f"\nstored {days * per_day} events in {time.perf_counter() - started:.2f} s")
    log = RequestLog(demo_entry.runtime_data.client)

    started = time.perf_counter()
    camera = await browse(hass, f"{ROOT}/camera/{demo_entry.entry_id}/demo")
    camera_seconds = time.perf_counter() - started
    camera_requests = len(log.requests)
    assert camera_requests <= argus_media.DAYS_PER_PAGE + 1
    assert len(camera.children) == argus_media.DAYS_PER_PAGE + 1
    assert camera.children[-1].title == "Older days"

    log.clear()
    started = time.perf_counter()
    day = await browse(hass, camera.children[0].media_content_id)
    first = await media_source.async_resolve_media(hass, day.children[0].media_content_id, None)
    day_seconds = time.perf_counter() - started
    assert len(log.requests) == 1
    assert len(day.children) == argus_media.EVENTS_PER_PAGE + 1
    assert first.mime_type == "image/jpeg"

    log.clear()
    older = await browse(hass, camera.children[-1].media_content_id)
    assert len(older.children) == days - argus_media.DAYS_PER_PAGE
    assert len(log.requests) <= days - argus_media.DAYS_PER_PAGE + 1
    print(
        f"10,000 events: camera listing {camera_requests} engine requests in {camera_seconds * 1000:.0f} ms; "
        f"first day page and its first event 1 request in {day_seconds * 1000:.0f} ms"
    )


async def test_browse_errors(hass: HomeAssistant, demo_engine: EngineServer, demo_entry, media) -> None:
    with pytest.raises(BrowseError, match="not loaded"):
        await browse(hass, f"{ROOT}/camera/no-such-entry/demo")
    with pytest.raises(BrowseError, match="invalid day"):
        await browse(hass, f"{ROOT}/camera/{demo_entry.entry_id}/demo/yesterday")
    with pytest.raises(BrowseError, match="unknown Argus media item"):
        await browse(hass, f"{ROOT}/zone/{demo_entry.entry_id}/demo")
    with pytest.raises(media_source.Unresolvable):
        await media_source.async_resolve_media(hass, f"{ROOT}/event/{demo_entry.entry_id}/ev_1/token", None)

    await demo_engine.stop()
    with pytest.raises(BrowseError, match="did not return the event list"):
        await browse(hass, f"{ROOT}/camera/{demo_entry.entry_id}/demo")
