"""Per-camera event recorder: object changes in, stored and published events out.

For each tracked object the scene reports, the recorder keeps one event from `start` to
`end`. It writes the snapshot and crop before the `start` is stored and published, and
replaces them when a better picture of the object comes along (rate-limited). It records
the clip and sends an `update` with the clip's URL once the file is written.

Every message is stored in the journal first and then passed to `publish`, as the API's
event push `{"type": "event", "cursor": N, "data": {...}}`. `publish` is called from
the camera's thread and, for clip updates, from the clip writer thread.
"""

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from ..config import RecordConfig
from ..frames import SampledFrame
from ..labels import groups_of
from ..objects import REASON_CLIP, REASON_SNAPSHOT, ObjectChange, TrackedObject, ZoneChange
from .clips import MAX_BACKDATE_SECONDS, ClipRecorder
from .model import Event, new_event_id
from .snapshot import SnapshotRank, snapshot_rank, write_snapshot
from .store import EventStore, event_message

_LOGGER = logging.getLogger(__name__)

# At most one snapshot replacement per event in this many seconds (monotonic clock).
SNAPSHOT_INTERVAL = 2.0
# A new snapshot of an object as whole as the last must score at least this much more.
MIN_SCORE_GAIN = 0.02
# Max seconds between an object's last detection and the frame for its box to be used in
# a snapshot. An older box is the tracker's guess during a gap.
FRESH_SECONDS = 0.05


@dataclass(slots=True)
class _LiveEvent:
    event: Event
    rank: SnapshotRank
    # Monotonic time of the last snapshot written.
    snapshot_at: float


class EventRecorder:
    """Turn one camera's object changes into events with snapshots and clips."""

    def __init__(
        self,
        camera_id: str,
        *,
        store: EventStore,
        media_dir: Path,
        record: RecordConfig,
        groups: Mapping[str, frozenset[str]],
        publish: Callable[[dict[str, Any]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not camera_id or "/" in camera_id or camera_id.startswith("."):
            raise ValueError(f"camera id {camera_id!r} cannot be used as a folder name")
        self.camera_id = camera_id
        self._store = store
        self._media_dir = Path(media_dir)
        self._groups = groups
        self._publish = publish
        self._clock = clock
        self._clips = ClipRecorder(camera_id, record)
        # Guards the event state: handle() runs on the camera's thread, clip callbacks
        # on the writer thread.
        self._lock = threading.Lock()
        self._live: dict[str, _LiveEvent] = {}
        # Ended events whose clip is still being written, by event id.
        self._ending: dict[str, Event] = {}
        self._logger = _LOGGER.getChild(camera_id)

    # --- packets ----------------------------------------------------------------------

    def on_stream(self, stream: av.video.stream.VideoStream) -> None:
        """Use a newly opened video stream for clips; clips still recording end here."""
        with self._lock:
            self._clips.on_stream(stream)

    def on_packet(self, packet: av.Packet) -> None:
        """Buffer one demuxed packet for pre-roll and the clips being recorded."""
        with self._lock:
            self._clips.on_packet(packet)

    # --- changes ----------------------------------------------------------------------

    def handle(self, changes: list[ObjectChange], objects: list[TrackedObject], frame: SampledFrame) -> None:
        """Apply the scene's changes for one frame, then look for better snapshots in `objects`."""
        picture = _Picture(frame)
        with self._lock:
            handled: set[str] = set()
            for change in changes:
                handled.add(change.object.track_id)
                if change.kind == "start":
                    self._start(change, frame, picture)
                elif change.kind == "update":
                    self._update(change, frame, picture)
                else:
                    self._end(change, frame)
            for obj in objects:
                live = self._live.get(obj.track_id)
                if live is None or obj.track_id in handled:
                    continue
                # The top score is kept current silently; it is stored with the next message.
                live.event.top_score = max(live.event.top_score, obj.top_score)
                if self._better_snapshot(live, obj, frame, picture):
                    self._commit(live.event, "update", [REASON_SNAPSHOT], (), frame.wall_time)

    def _start(self, change: ObjectChange, frame: SampledFrame, picture: "_Picture") -> None:
        obj = change.object
        if obj.track_id in self._live:
            self._logger.warning("Ignoring a second start for track %s", obj.track_id)
            return
        backdate = _backdate(frame, change)
        start = frame.wall_time - backdate
        event = Event(
            id=new_event_id(start),
            camera=self.camera_id,
            label=obj.label,
            groups=groups_of(obj.label, self._groups),
            start=start,
            stream_start=change.time,
            top_score=obj.top_score,
            score=obj.score,
            stationary=obj.stationary,
        )
        event.add_zones(_entered(obj, change.zone_changes))
        live = _LiveEvent(event, snapshot_rank(obj.score, obj.box, (frame.width, frame.height)), self._clock())
        if not self._write_snapshot(event, obj, picture):
            # Without a snapshot, the next fresh detection of the object may write one.
            live.rank = SnapshotRank(False, float("-inf"))
            live.snapshot_at = float("-inf")
        self._live[obj.track_id] = live

        clip = event.media_file("clip")
        self._clips.begin(event.id, self._media_dir / clip, _frame_pts(frame), backdate, self._on_clip_done)
        self._logger.info("Event %s started: %s (track %s)", event.id, obj.label, obj.track_id)
        self._commit(event, "start", change.reasons, change.zone_changes, start)

    def _update(self, change: ObjectChange, frame: SampledFrame, picture: "_Picture") -> None:
        live = self._live.get(change.object.track_id)
        if live is None:
            self._logger.warning("Ignoring an update for track %s, which has no event", change.object.track_id)
            return
        obj = change.object
        event = live.event
        event.top_score = max(event.top_score, obj.top_score)
        event.stationary = obj.stationary
        event.add_zones(_entered(obj, change.zone_changes))
        reasons = list(change.reasons)
        if self._better_snapshot(live, obj, frame, picture) and REASON_SNAPSHOT not in reasons:
            reasons.append(REASON_SNAPSHOT)
        self._commit(event, "update", reasons, change.zone_changes, frame.wall_time)

    def _end(self, change: ObjectChange, frame: SampledFrame) -> None:
        live = self._live.pop(change.object.track_id, None)
        if live is None:
            self._logger.warning("Ignoring an end for track %s, which has no event", change.object.track_id)
            return
        event = live.event
        backdate = _backdate(frame, change)
        event.end = max(event.start, frame.wall_time - backdate)
        event.stream_end = change.time
        event.top_score = max(event.top_score, change.object.top_score)
        event.add_zones(_entered(change.object, change.zone_changes))
        if event.id in self._clips.recording:
            self._ending[event.id] = event
            self._clips.end(event.id, _frame_pts(frame), backdate)
        self._logger.info("Event %s ended after %.1f s", event.id, event.end - event.start)
        self._commit(event, "end", change.reasons, change.zone_changes, event.end)

    # --- snapshots and clips ----------------------------------------------------------

    def _better_snapshot(self, live: _LiveEvent, obj: TrackedObject, frame: SampledFrame, picture: "_Picture") -> bool:
        """Write a new snapshot when this frame shows the object better; True if written."""
        if abs(obj.last_seen - frame.time) > FRESH_SECONDS:
            return False
        rank = snapshot_rank(obj.score, obj.box, (frame.width, frame.height))
        better = rank.whole > live.rank.whole or (rank.whole == live.rank.whole and rank.score >= live.rank.score + MIN_SCORE_GAIN)
        now = self._clock()
        if not better or now - live.snapshot_at < SNAPSHOT_INTERVAL:
            return False
        if not self._write_snapshot(live.event, obj, picture):
            return False
        live.rank = rank
        live.snapshot_at = now
        live.event.score = obj.score
        return True

    def _write_snapshot(self, event: Event, obj: TrackedObject, picture: "_Picture") -> bool:
        snapshot = event.media_file("snapshot")
        crop = event.media_file("crop")
        try:
            write_snapshot(picture.rgb(), obj.box, obj.label, obj.score, self._media_dir / snapshot, self._media_dir / crop)
        except (OSError, ValueError, av.FFmpegError) as err:
            self._logger.error("Snapshot of event %s could not be written: %s", event.id, err)
            return False
        event.snapshot_path = snapshot
        event.crop_path = crop
        return True

    def _on_clip_done(self, event_id: str, path: Path | None) -> None:
        with self._lock:
            event = self._ending.pop(event_id, None) or self._live_event(event_id)
            if event is None or path is None:
                return
            event.clip_path = path.relative_to(self._media_dir).as_posix()
            self._commit(event, "update", [REASON_CLIP], (), time.time())

    def _live_event(self, event_id: str) -> Event | None:
        # A clip cut at the maximum length is done while its event goes on.
        return next((live.event for live in self._live.values() if live.event.id == event_id), None)

    # --- storing and publishing -------------------------------------------------------

    def _commit(self, event: Event, kind: str, reasons: Iterable[str], zone_changes: Iterable[ZoneChange], at: float) -> None:
        data = {
            "type": kind,
            "reasons": list(reasons),
            "zone_changes": [{"zone": change.zone, "change": change.change} for change in zone_changes],
            "event": event.to_json(),
        }
        try:
            cursor = self._store.record(event, data, time=at)
        except sqlite3.Error as err:
            self._logger.error("Event %s %s could not be stored, not published: %s", event.id, kind, err)
            return
        try:
            self._publish(event_message(cursor, data))
        except Exception:
            self._logger.exception("Publishing event %s %s failed", event.id, kind)

    def close(self, timeout: float = 10.0) -> bool:
        """Finish the clips still recording and wait up to `timeout` seconds for their files.

        Returns False when clips were still being written at the timeout. Events still
        open stay open in the store; the next start closes them.
        """
        with self._lock:
            self._clips.close()
        return self._clips.wait(timeout)


class _Picture:
    """The frame's full-size RGB, converted on first use and only once."""

    def __init__(self, frame: SampledFrame) -> None:
        self._frame = frame
        self._rgb: np.ndarray | None = None

    def rgb(self) -> np.ndarray:
        if self._rgb is None:
            self._rgb = self._frame.full_rgb()
        return self._rgb


def _backdate(frame: SampledFrame, change: ObjectChange) -> float:
    """Return how many seconds before the frame the change happened, 0 if implausible."""
    seconds = frame.time - change.time
    return seconds if 0.0 <= seconds <= MAX_BACKDATE_SECONDS else 0.0


def _entered(obj: TrackedObject, zone_changes: Iterable[ZoneChange]) -> set[str]:
    return set(obj.zones) | {change.zone for change in zone_changes if change.change == "entered"}


def _frame_pts(frame: SampledFrame) -> int | None:
    return getattr(frame.video_frame, "pts", None)
