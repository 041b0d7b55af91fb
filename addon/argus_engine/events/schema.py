"""Event database schema: tables, indexes and the connection settings the store relies on."""

import logging
import sqlite3
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

# Stored in SQLite's `user_version`; raise it with every schema change and add a migration.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    camera TEXT NOT NULL,
    label TEXT NOT NULL,
    groups TEXT NOT NULL,
    zones TEXT NOT NULL,
    start REAL NOT NULL,
    "end" REAL,
    stream_start REAL NOT NULL,
    stream_end REAL,
    top_score REAL NOT NULL,
    score REAL NOT NULL,
    stationary INTEGER NOT NULL,
    snapshot_path TEXT,
    crop_path TEXT,
    clip_path TEXT,
    verdict TEXT,
    verification_description TEXT,
    verified_at REAL,
    verification_model TEXT
);
CREATE INDEX events_start ON events (start);
CREATE INDEX events_camera_start ON events (camera, start);
CREATE INDEX events_label_start ON events (label, start);
CREATE TABLE messages (
    cursor INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    camera TEXT NOT NULL,
    event_id TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX messages_event ON messages (event_id);
"""


def prepare(db: sqlite3.Connection, path: Path) -> None:
    """Set WAL mode and create the schema in a new database; reject a newer schema."""
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a crash of the process. Only a power cut can lose the
    # last commits.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version == 0:
        db.executescript(f"BEGIN; {_SCHEMA} PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        _LOGGER.info("Created event database %s (schema %d)", path, SCHEMA_VERSION)
    elif version > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"schema version {version} is newer than this engine supports ({SCHEMA_VERSION}); upgrade the engine"
        )
