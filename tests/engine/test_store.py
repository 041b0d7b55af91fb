"""Event store: the event rows, the message journal, queries, restart and retention."""

import sqlite3
import threading
from pathlib import Path

import pytest

from argus_engine.events.model import REASON_RESTART, Event, new_event_id
from argus_engine.events.store import EventStore

DAY = 86400.0
NOW = 1_800_000_000.0


def make_event(start: float, *, camera: str = "front", label: str = "person", zones: list[str] | None = None) -> Event:
    return Event(
        id=new_event_id(start),
        camera=camera,
        label=label,
        groups=["person"] if label == "person" else ["vehicle"],
        start=start,
        stream_start=12.5,
        top_score=0.9,
        score=0.85,
        zones=list(zones or []),
    )


def data(kind: str, event: Event) -> dict:
    return {"type": kind, "reasons": [], "zone_changes": [], "event": event.to_json()}


def with_media(store: EventStore, event: Event) -> list[Path]:
    """Give the event snapshot, crop and clip files; return their absolute paths."""
    paths = []
    for kind, suffix in (("snapshot", "snapshot.jpg"), ("crop", "crop.jpg"), ("clip", "clip.mp4")):
        relative = f"{event.camera}/day/{event.id}-{suffix}"
        setattr(event, f"{kind}_path", relative)
        path = store.media_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"media")
        paths.append(path)
    return paths


@pytest.fixture
def store(tmp_path: Path):
    store = EventStore(tmp_path / "events.db")
    yield store
    store.close()


def test_store_uses_wal(store: EventStore) -> None:
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_record_returns_increasing_cursors(store: EventStore) -> None:
    event = make_event(NOW)
    cursors = [store.record(event, data(kind, event)) for kind in ("start", "update", "end")]

    assert cursors == sorted(cursors)
    assert len(set(cursors)) == 3
    assert store.last_cursor() == cursors[-1]


def test_record_stores_row_and_message(store: EventStore) -> None:
    event = make_event(NOW, zones=["door"])
    event.stationary = True
    cursor = store.record(event, data("start", event))

    row = store.get_event(event.id)
    assert row is not None
    assert row["zones"] == ["door"]
    assert row["groups"] == ["person"]
    assert row["stationary"] is True
    assert row["end"] is None
    assert store.messages_after(cursor - 1) == [
        (cursor, {"type": "event", "cursor": cursor, "data": data("start", event)})
    ]


def test_get_event_unknown_id(store: EventStore) -> None:
    assert store.get_event("ev_missing") is None


def test_messages_after_replays_after_reopen(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events.db")
    events = [make_event(NOW + index) for index in range(5)]
    cursors = [store.record(event, data("start", event)) for event in events]
    store.close()

    reopened = EventStore(tmp_path / "events.db")
    replay = reopened.messages_after(cursors[1])
    reopened.close()

    assert [cursor for cursor, _ in replay] == cursors[2:]
    assert [message["data"]["event"]["id"] for _, message in replay] == [event.id for event in events[2:]]
    assert all(message["cursor"] == cursor for cursor, message in replay)


def test_messages_after_limit_pages_in_order(store: EventStore) -> None:
    event = make_event(NOW)
    cursors = [store.record(event, data("update", event)) for _ in range(7)]

    first = store.messages_after(0, limit=3)
    second = store.messages_after(first[-1][0], limit=3)
    third = store.messages_after(second[-1][0], limit=3)

    assert [cursor for cursor, _ in first + second + third] == cursors


def test_cursors_unique_across_threads(store: EventStore) -> None:
    def worker(camera: str) -> None:
        for index in range(50):
            event = make_event(NOW + index, camera=camera)
            store.record(event, data("start", event))

    threads = [threading.Thread(target=worker, args=(f"cam{number}",)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    cursors = [cursor for cursor, _ in store.messages_after(0)]
    assert len(cursors) == 200
    assert cursors == sorted(set(cursors))


def test_query_filters(store: EventStore) -> None:
    person = make_event(NOW, zones=["door"])
    car = make_event(NOW + 10, camera="drive", label="car", zones=["driveway"])
    later = make_event(NOW + 20, zones=["garden"])
    for event in (person, car, later):
        store.record(event, data("start", event))

    def ids(**filters) -> list[str]:
        return [row["id"] for row in store.query_events(**filters)[0]]

    assert ids() == [later.id, car.id, person.id]
    assert ids(camera="drive") == [car.id]
    assert ids(label="person") == [later.id, person.id]
    assert ids(zone="door") == [person.id]
    assert ids(zone="do") == []
    assert ids(after=NOW + 10) == [later.id, car.id]
    assert ids(before=NOW + 10) == [person.id]


def test_query_pages_cover_all_once(store: EventStore) -> None:
    events = [make_event(NOW + index) for index in range(23)]
    for event in events:
        store.record(event, data("start", event))

    seen: list[str] = []
    cursor = None
    while True:
        page, cursor = store.query_events(limit=10, cursor=cursor)
        seen.extend(row["id"] for row in page)
        if cursor is None:
            break

    assert seen == [event.id for event in reversed(events)]


@pytest.mark.parametrize("limit", [0, -1, "10", 2.5, True])
def test_query_rejects_bad_limit(store: EventStore, limit: object) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.query_events(limit=limit)  # type: ignore[arg-type]


def test_close_open_events_ends_and_journals(store: EventStore) -> None:
    open_event = make_event(NOW)
    ended = make_event(NOW + 5)
    store.record(open_event, data("start", open_event))
    store.record(ended, data("start", ended))
    ended.end = NOW + 8
    store.record(ended, data("end", ended))
    before = store.last_cursor()

    closed = store.close_open_events(NOW + 100)

    assert [message["data"]["event"]["id"] for _, message in closed] == [open_event.id]
    cursor, message = closed[0]
    assert cursor == before + 1
    assert message["data"]["type"] == "end"
    assert message["data"]["reasons"] == [REASON_RESTART]
    assert message["data"]["event"]["end"] == NOW + 100
    assert store.get_event(open_event.id)["end"] == NOW + 100
    assert store.get_event(ended.id)["end"] == NOW + 8
    assert store.messages_after(before) == [(cursor, message)]
    assert store.close_open_events(NOW + 200) == []


def test_close_open_events_removes_unfinished_clip(store: EventStore) -> None:
    event = make_event(NOW)
    store.record(event, data("start", event))
    part = store.media_dir / (event.media_file("clip") + ".part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"mdat without moov")
    neighbour = part.parent / "other-snapshot.jpg"
    neighbour.write_bytes(b"jpeg")

    store.close_open_events(NOW + 60)

    assert not part.exists()
    assert neighbour.exists()


def test_media_file_layout() -> None:
    event = make_event(1_733_270_400.5, camera="yard")

    assert event.media_file("snapshot") == f"yard/2024-12-04/{event.id}-snapshot.jpg"
    assert event.media_file("crop") == f"yard/2024-12-04/{event.id}-crop.jpg"
    assert event.media_file("clip") == f"yard/2024-12-04/{event.id}-clip.mp4"


def test_retention_removes_old_rows_and_files(store: EventStore) -> None:
    old = make_event(NOW - 8 * DAY)
    old.end = old.start + 30
    recent = make_event(NOW - 6 * DAY)
    recent.end = recent.start + 30
    old_files = with_media(store, old)
    recent_files = with_media(store, recent)
    for event in (old, recent):
        store.record(event, data("end", event))

    removed = store.apply_retention(7, NOW)

    assert removed == 1
    assert store.get_event(old.id) is None
    assert store.get_event(recent.id) is not None
    assert not any(path.exists() for path in old_files)
    assert all(path.exists() for path in recent_files)
    remaining = {message["data"]["event"]["id"] for _, message in store.messages_after(0)}
    assert remaining == {recent.id}


def test_retention_keeps_open_events(store: EventStore) -> None:
    stuck = make_event(NOW - 30 * DAY)
    files = with_media(store, stuck)
    store.record(stuck, data("start", stuck))

    assert store.apply_retention(7, NOW) == 0
    assert store.get_event(stuck.id) is not None
    assert all(path.exists() for path in files)


def test_retention_removes_empty_day_folders(store: EventStore) -> None:
    old = make_event(NOW - 8 * DAY, camera="yard")
    old.end = old.start + 1
    files = with_media(store, old)
    store.record(old, data("end", old))

    store.apply_retention(7, NOW)

    assert not files[0].parent.exists()
    assert not (store.media_dir / "yard").exists()
    assert store.media_dir.exists()


def test_retention_tolerates_missing_files(store: EventStore) -> None:
    old = make_event(NOW - 8 * DAY)
    old.end = old.start + 1
    files = with_media(store, old)
    files[2].unlink()
    store.record(old, data("end", old))

    assert store.apply_retention(7, NOW) == 1
    assert store.get_event(old.id) is None


def test_retention_skips_paths_outside_media(store: EventStore, tmp_path: Path) -> None:
    outside = tmp_path / "keep.txt"
    outside.write_text("not media")
    old = make_event(NOW - 8 * DAY)
    old.end = old.start + 1
    old.clip_path = "../keep.txt"
    store.record(old, data("end", old))

    assert store.apply_retention(7, NOW) == 1
    assert outside.exists()


def test_retention_rejects_non_positive_days(store: EventStore) -> None:
    with pytest.raises(ValueError, match="positive"):
        store.apply_retention(0, NOW)


def test_set_verification(store: EventStore) -> None:
    event = make_event(NOW)
    store.record(event, data("start", event))

    cursor, message = store.set_verification(event.id, verdict="confirmed", description="a courier", model="vlm-1", at=NOW + 3)

    assert cursor == store.last_cursor()
    assert message["data"]["event"]["verification"] == {
        "verdict": "confirmed",
        "description": "a courier",
        "verified_at": NOW + 3,
        "model": "vlm-1",
    }
    assert store.get_event(event.id)["verdict"] == "confirmed"


def test_set_verification_unknown_event(store: EventStore) -> None:
    with pytest.raises(KeyError, match="ev_nope"):
        store.set_verification("ev_nope", verdict="confirmed", description=None, model=None, at=NOW)


def test_newer_schema_rejected(tmp_path: Path) -> None:
    path = tmp_path / "events.db"
    EventStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")

    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        EventStore(path)


def test_event_id_order_and_alphabet() -> None:
    ids = [new_event_id(NOW + offset) for offset in (0.0, 0.5, 60.0, 86400.0)]

    assert ids == sorted(ids)
    assert len(set(new_event_id(NOW) for _ in range(100))) == 100
    assert all(set(event_id) <= set("abcdefghijklmnopqrstuvwxyz0123456789_") for event_id in ids)
