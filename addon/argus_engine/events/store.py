"""SQLite event log and message journal.

Two tables: `events`, one row per event, and `messages`, the journal of every event
message in the order it was published. A message's `cursor` is its row id, so a client
that reconnects with the last cursor it saw gets exactly the messages after it
(`messages_after`). An event row and its journal message are written in one transaction.

The database runs in WAL mode with `synchronous=NORMAL` and a commit per change, so a
crash of the engine process loses no committed event. Events are returned as row dicts
(the `events` columns, with `groups` and `zones` as lists and `stationary` as bool);
`Event.from_row(row).to_json()` gives the form API clients see.
"""

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .model import PART_SUFFIX, REASON_RESTART, REASON_VERIFICATION, Event
from .retention import delete_media_files, expired_event_ids
from .schema import prepare

_LOGGER = logging.getLogger(__name__)

MAX_PAGE = 1000

_COLUMNS = tuple(Event.__slots__)
_JSON_COLUMNS = ("groups", "zones")


class EventStore:
    """The event log of one engine; safe to share between threads.

    One connection serves all threads, guarded by a lock. `media_dir` is where the
    relative snapshot and clip paths point; it defaults to `media` beside the database.
    """

    def __init__(self, path: Path | str, *, media_dir: Path | str | None = None) -> None:
        self.path = Path(path)
        self.media_dir = Path(media_dir) if media_dir is not None else self.path.parent / "media"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        # isolation_level=None: transactions are opened explicitly in `_transaction`.
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        try:
            prepare(self._db, self.path)
        except sqlite3.DatabaseError as err:
            self._db.close()
            raise sqlite3.DatabaseError(f"event database {self.path} cannot be opened: {err}") from err

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database; later calls raise `sqlite3.ProgrammingError`."""
        with self._lock:
            self._db.close()

    # --- writing ----------------------------------------------------------------------

    def record(self, event: Event, data: dict[str, Any], *, time: float | None = None) -> int:
        """Store the event's current state and append `data` to the journal; return its cursor.

        `data` is the `data` part of an API event message. Both writes are one
        transaction, so the journal never names an event state that was not stored.
        """
        with self._transaction() as db:
            return self._record(db, event, data, time)

    def _record(self, db: sqlite3.Connection, event: Event, data: dict[str, Any], time: float | None) -> int:
        row = _encode(event.to_row())
        names = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join(f":{name}" for name in row)
        db.execute(f"INSERT OR REPLACE INTO events ({names}) VALUES ({marks})", row)
        stamp = time if time is not None else (event.end or event.start)
        cursor = db.execute(
            "INSERT INTO messages (time, camera, event_id, message) VALUES (?, ?, ?, ?)",
            (stamp, event.camera, event.id, json.dumps(data, separators=(",", ":"))),
        ).lastrowid
        assert cursor is not None
        return cursor

    def close_open_events(self, at: float, *, camera: str | None = None) -> list[tuple[int, dict[str, Any]]]:
        """End every event still open (left so by a stopped engine) at wall time `at`.

        Each end is journalled, and the unfinished clip files of these events are
        deleted. Returns the `(cursor, message)` pairs to publish.
        """
        sql = 'SELECT * FROM events WHERE "end" IS NULL'
        params: tuple[Any, ...] = ()
        if camera is not None:
            sql += " AND camera = ?"
            params = (camera,)
        closed = []
        unfinished: list[str] = []
        with self._transaction() as db:
            for row in db.execute(sql, params).fetchall():
                event = Event.from_row(_decode(row))
                event.end = max(at, event.start)
                data = {"type": "end", "reasons": [REASON_RESTART], "zone_changes": [], "event": event.to_json()}
                cursor = self._record(db, event, data, at)
                closed.append((cursor, event_message(cursor, data)))
                unfinished.append(event.media_file("clip") + PART_SUFFIX)
        # A clip cut short by the stop cannot be finished: without its index an MP4
        # does not play.
        delete_media_files(self.media_dir, unfinished)
        if closed:
            _LOGGER.info("Closed %d event(s) left open by the previous run", len(closed))
        return closed

    def set_verification(
        self,
        event_id: str,
        *,
        verdict: str,
        description: str | None,
        model: str | None,
        at: float,
    ) -> tuple[int, dict[str, Any]]:
        """Store a verification result and journal an `update`; return `(cursor, message)`.

        Raises KeyError when no event has this id.
        """
        with self._transaction() as db:
            row = db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
            if row is None:
                raise KeyError(f"event {event_id!r} not found")
            event = Event.from_row(_decode(row))
            event.verdict = verdict
            event.verification_description = description
            event.verification_model = model
            event.verified_at = at
            data = {"type": "update", "reasons": [REASON_VERIFICATION], "zone_changes": [], "event": event.to_json()}
            cursor = self._record(db, event, data, at)
        return cursor, event_message(cursor, data)

    def apply_retention(self, days: float, now: float) -> int:
        """Delete ended events that started more than `days` days before `now`; return how many.

        Their journal messages go too. Rows are deleted first and files after the
        commit, so a crash in between leaves stray files, never rows without files.
        """
        if days <= 0:
            raise ValueError(f"retention must be a positive number of days, got {days}")
        cutoff = now - days * 86400
        with self._transaction() as db:
            ids, paths = expired_event_ids(db, cutoff)
            for chunk in _chunks(ids, 500):
                marks = ", ".join("?" * len(chunk))
                db.execute(f"DELETE FROM messages WHERE event_id IN ({marks})", chunk)
                db.execute(f"DELETE FROM events WHERE id IN ({marks})", chunk)
        missing = delete_media_files(self.media_dir, paths)
        if ids:
            _LOGGER.info("Retention removed %d event(s) older than %s days (%d file(s) already gone)", len(ids), days, missing)
        return len(ids)

    # --- reading ----------------------------------------------------------------------

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        """Return the event's row, or None when there is none."""
        with self._lock:
            row = self._db.execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else _decode(row)

    def last_cursor(self) -> int:
        """Return the cursor of the newest journal message, 0 when the journal is empty."""
        with self._lock:
            return self._db.execute("SELECT COALESCE(MAX(cursor), 0) FROM messages").fetchone()[0]

    def messages_after(self, cursor: int, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        """Return up to `limit` journal messages with a greater cursor, oldest first.

        Each message is the full API push, `{"type": "event", "cursor": N, "data": ...}`.
        """
        with self._lock:
            rows = self._db.execute(
                "SELECT cursor, message FROM messages WHERE cursor > ? ORDER BY cursor LIMIT ?",
                (int(cursor), _page_size(limit)),
            ).fetchall()
        return [(row[0], event_message(row[0], json.loads(row[1]))) for row in rows]

    def query_events(
        self,
        *,
        camera: str | None = None,
        label: str | None = None,
        zone: str | None = None,
        after: float | None = None,
        before: float | None = None,
        limit: int = 50,
        cursor: str | None = None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Return events newest first, and the cursor of the next page (None on the last).

        `after`/`before` bound the start wall time (`after <= start < before`); `cursor`
        is a `next` value from an earlier call with the same filters.
        """
        limit = _page_size(limit)
        clauses, params = _filters(camera, label, zone, after, before, cursor)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT * FROM events {where} ORDER BY id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, (*params, limit + 1)).fetchall()
        events = [_decode(row) for row in rows[:limit]]
        next_cursor = events[-1]["id"] if len(rows) > limit else None
        return events, next_cursor


def event_message(cursor: int, data: dict[str, Any]) -> dict[str, Any]:
    """Return the API push for one journalled event message."""
    return {"type": "event", "cursor": cursor, "data": data}


def _filters(
    camera: str | None, label: str | None, zone: str | None, after: float | None, before: float | None, cursor: str | None
) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if camera is not None:
        clauses.append("camera = ?")
        params.append(camera)
    if label is not None:
        clauses.append("label = ?")
        params.append(label)
    if zone is not None:
        clauses.append("EXISTS (SELECT 1 FROM json_each(events.zones) WHERE json_each.value = ?)")
        params.append(zone)
    if after is not None:
        clauses.append("start >= ?")
        params.append(float(after))
    if before is not None:
        clauses.append("start < ?")
        params.append(float(before))
    if cursor is not None:
        # Ids sort by start time, so the page after an id is every smaller id.
        clauses.append("id < ?")
        params.append(str(cursor))
    return clauses, params


def _page_size(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    return min(limit, MAX_PAGE)


def _encode(row: dict[str, Any]) -> dict[str, Any]:
    encoded = dict(row)
    for name in _JSON_COLUMNS:
        encoded[name] = json.dumps(list(row[name]))
    encoded["stationary"] = int(bool(row["stationary"]))
    return encoded


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    decoded = {name: row[name] for name in _COLUMNS}
    for name in _JSON_COLUMNS:
        decoded[name] = json.loads(decoded[name])
    decoded["stationary"] = bool(decoded["stationary"])
    return decoded


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]
