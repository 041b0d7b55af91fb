"""Retention: which events are old enough to delete, and removing their media files."""

import logging
import sqlite3
from pathlib import Path

_LOGGER = logging.getLogger(__name__)

_MEDIA_COLUMNS = ("snapshot_path", "crop_path", "clip_path")


def expired_event_ids(db: sqlite3.Connection, cutoff: float) -> tuple[list[str], list[str]]:
    """Return the ids of ended events that started before `cutoff`, and their media paths.

    Events still open are kept whatever their age, because their files may still be
    written to.
    """
    rows = db.execute(
        f'SELECT id, {", ".join(_MEDIA_COLUMNS)} FROM events WHERE start < ? AND "end" IS NOT NULL',
        (cutoff,),
    ).fetchall()
    ids = [row[0] for row in rows]
    paths = [row[index] for row in rows for index in range(1, 1 + len(_MEDIA_COLUMNS)) if row[index]]
    return ids, paths


def delete_media_files(media_dir: Path, paths: list[str]) -> int:
    """Delete media files given relative to `media_dir`; return how many were already gone.

    Directories left empty (a camera's day folder) are removed too. A path that would
    point outside `media_dir` is skipped with a warning.
    """
    root = media_dir.resolve()
    missing = 0
    parents: set[Path] = set()
    for relative in paths:
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or path == root:
            _LOGGER.warning("Not deleting %s: it is outside the media dir %s", relative, root)
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            missing += 1
        except OSError as err:
            _LOGGER.warning("Could not delete media file %s: %s", path, err)
        parents.add(path.parent)
    _remove_empty_dirs(root, parents)
    return missing


def _remove_empty_dirs(root: Path, folders: set[Path]) -> None:
    # Deepest first, so a day folder goes before its camera folder is checked.
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:
                break
            folder = folder.parent
