"""HTTP endpoints: token check, frames, MJPEG, events and their media, stats, path safety."""

import asyncio
import io
import time
import pytest
from PIL import Image

from argus_engine.events.model import Event
from tests.helpers.engine_api import AUTH, StillWorker, stored_event

PROTECTED = [
    "/api/stats",
    "/api/cameras/front/latest.jpg",
    "/api/cameras/front/mjpeg",
    "/api/events",
    "/api/events/ev_000000000001_aaaaaaaa",
    "/api/events/ev_000000000001_aaaaaaaa/snapshot.jpg",
    "/api/events/ev_000000000001_aaaaaaaa/crop.jpg",
    "/api/events/ev_000000000001_aaaaaaaa/clip.mp4",
    "/api/ws",
    "/api/nowhere",
]
WRONG_HEADERS = [None, {"Authorization": "Bearer wrong-token-0123456789"}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}]


async def test_health_needs_no_token(api):
    response = await api.client.get("/api/health")
    assert response.status == 200
    body = await response.json()
    assert body["status"] == "ok"
    assert set(body) == {"status", "version"}


# A websocket upgrade without any header authenticates by its first message instead
# (tested in test_ws_messages), so that one pair is left out.
BAD_TOKEN_CASES = [
    pytest.param(path, headers, id=f"{path}-{name}")
    for path in PROTECTED
    for headers, name in zip(WRONG_HEADERS, ["none", "wrong", "basic", "empty"])
    if not (path == "/api/ws" and headers is None)
]


@pytest.mark.parametrize(("path", "headers"), BAD_TOKEN_CASES)
async def test_protected_paths_reject_bad_token(api, path, headers):
    response = await api.client.get(path, headers=headers)
    assert response.status == 401
    body = await response.json()
    assert body["error"]["code"] == "unauthorized"


async def test_latest_jpeg(api):
    response = await api.client.get("/api/cameras/front/latest.jpg", headers=AUTH)
    assert response.status == 200
    assert response.content_type == "image/jpeg"
    image = Image.open(io.BytesIO(await response.read()))
    assert image.size == (640, 360)


async def test_latest_jpeg_height_and_annotate(api):
    response = await api.client.get("/api/cameras/front/latest.jpg?annotate=1&height=180", headers=AUTH)
    image = Image.open(io.BytesIO(await response.read())).convert("RGB")
    assert image.size == (320, 180)
    red, green, _ = image.getpixel((10, 10))
    assert red > 150
    assert green < 80


@pytest.mark.parametrize("query", ["height=0", "height=-5", "height=abc", "height=99999"])
async def test_latest_jpeg_bad_height(api, query):
    response = await api.client.get(f"/api/cameras/front/latest.jpg?{query}", headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_message"


async def test_latest_jpeg_unknown_camera(api):
    response = await api.client.get("/api/cameras/nope/latest.jpg", headers=AUTH)
    assert response.status == 404


async def test_mjpeg_streams_parts_and_stops(api):
    response = await api.client.get("/api/cameras/front/mjpeg", headers=AUTH)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("multipart/x-mixed-replace")
    data = b""
    while data.count(b"--argusframe") < 3:
        data += await response.content.readany()
    assert b"Content-Type: image/jpeg" in data
    response.close()

    # The stream renders 5 frames/s; once the client is gone the count must stop growing.
    worker = StillWorker.instances[0]
    await asyncio.sleep(1.0)
    after_close = worker.jpeg_requests
    await asyncio.sleep(1.5)
    assert worker.jpeg_requests <= after_close + 1
    follow_up = await api.client.get("/api/health")
    assert follow_up.status == 200


async def test_events_list_filters_and_pages(api):
    for number in range(5):
        stored_event(api, f"ev_0193a5f0c1d{number}_k3m9x2ab", media=False)
    other = Event(id="ev_0193a5f0c1e0_k3m9x2ab", camera="back", label="car", groups=["vehicle"], start=time.time(), stream_start=0.0, top_score=0.8)
    api.engine.store.record(other, {"type": "start", "event": other.to_json()})

    first = await (await api.client.get("/api/events?camera=front&limit=3", headers=AUTH)).json()
    assert [event["id"] for event in first["events"]] == [f"ev_0193a5f0c1d{n}_k3m9x2ab" for n in (4, 3, 2)]
    second = await (await api.client.get(f"/api/events?camera=front&limit=3&cursor={first['next']}", headers=AUTH)).json()
    assert [event["id"] for event in second["events"]] == [f"ev_0193a5f0c1d{n}_k3m9x2ab" for n in (1, 0)]
    assert second["next"] is None

    cars = await (await api.client.get("/api/events?label=car", headers=AUTH)).json()
    assert [event["id"] for event in cars["events"]] == ["ev_0193a5f0c1e0_k3m9x2ab"]
    door = await (await api.client.get("/api/events?zone=door", headers=AUTH)).json()
    assert len(door["events"]) == 5
    future = await (await api.client.get(f"/api/events?after={time.time() + 60}", headers=AUTH)).json()
    assert future["events"] == []
    past = await (await api.client.get(f"/api/events?before={time.time() + 60}&limit=500", headers=AUTH)).json()
    assert len(past["events"]) == 6


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "after=soon", "before=nan", "cursor=../../etc"])
async def test_events_list_bad_query(api, query):
    response = await api.client.get(f"/api/events?{query}", headers=AUTH)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_message"


async def test_event_by_id(api):
    event = stored_event(api)
    response = await api.client.get(f"/api/events/{event.id}", headers=AUTH)
    body = await response.json()
    assert body["id"] == event.id
    assert body["snapshot_url"] == f"/api/events/{event.id}/snapshot.jpg"
    assert (await api.client.get("/api/events/ev_000000000000_zzzzzzzz", headers=AUTH)).status == 404


@pytest.mark.parametrize(("name", "content_type"), [("snapshot.jpg", "image/jpeg"), ("crop.jpg", "image/jpeg"), ("clip.mp4", "video/mp4")])
async def test_event_media(api, name, content_type):
    event = stored_event(api)
    response = await api.client.get(f"/api/events/{event.id}/{name}", headers=AUTH)
    assert response.status == 200
    assert response.content_type == content_type
    assert await response.read() == (api.engine.media_dir / getattr(event, f"{name.split('.')[0]}_path")).read_bytes()


async def test_clip_range_request(api):
    event = stored_event(api)
    response = await api.client.get(f"/api/events/{event.id}/clip.mp4", headers={**AUTH, "Range": "bytes=10-19"})
    assert response.status == 206
    assert await response.read() == bytes(range(10, 20))
    assert response.headers["Content-Range"] == f"bytes 10-19/{256 * 40}"


async def test_event_without_media_is_404(api):
    event = stored_event(api, media=False)
    for name in ("snapshot.jpg", "crop.jpg", "clip.mp4"):
        assert (await api.client.get(f"/api/events/{event.id}/{name}", headers=AUTH)).status == 404


TRAVERSALS = [
    "/api/events/..%2f..%2f..%2fetc%2fpasswd/snapshot.jpg",
    "/api/events/%2e%2e/snapshot.jpg",
    "/api/events/%2e%2e%2f%2e%2e%2ftoken/snapshot.jpg",
    "/api/events/..%5c..%5ctoken/crop.jpg",
    "/api/events/%2fetc%2fpasswd/clip.mp4",
    "/api/events//etc/passwd",
    "/api/events/ev_0193a5f0c1d2_k3m9x2ab/../../token",
    "/api/events/ev_0193a5f0c1d2_k3m9x2ab/%2e%2e%2f%2e%2e%2ftoken",
    "/api/events/ev_0193a5f0c1d2_k3m9x2ab/snapshot.jpg%00.png",
    "/api/cameras/..%2f..%2ftoken/latest.jpg",
    "/api/cameras/%2e%2e/latest.jpg",
    "/api/events/unknown_event/snapshot.jpg",
    "/api/cameras/unknown/mjpeg",
]


@pytest.mark.parametrize("path", TRAVERSALS)
async def test_path_traversal_is_404(api, path):
    stored_event(api)
    response = await api.client.get(path, headers=AUTH, allow_redirects=False)
    assert response.status == 404
    body = await response.read()
    assert (api.engine.data_dir / "token").read_bytes().strip() not in body


@pytest.mark.parametrize("stored_path", ["../token", "../../../../etc/passwd", "/etc/passwd", "front/../../config.json", "missing.jpg"])
async def test_stored_path_outside_media_is_404(api, stored_path):
    event = stored_event(api, media=False, snapshot_path=stored_path)
    response = await api.client.get(f"/api/events/{event.id}/snapshot.jpg", headers=AUTH)
    assert response.status == 404


async def test_stats(api):
    response = await api.client.get("/api/stats", headers=AUTH)
    body = await response.json()
    assert body["cameras"]["front"]["fps"] == 5.0
    assert "motion_percent" in body["cameras"]["front"]
    assert body["process"]["rss_bytes"] > 10_000_000
    assert body["process"]["cpu_percent"] >= 0
    assert body["detector"] is None
