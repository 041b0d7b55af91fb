"""Per-camera scene logic: from detections per frame to object events and live state.

`CameraScene` filters detections, tracks them, follows their zones and turns the life of
each watched object into `ObjectChange`s. An object gets one `start` when its track is
confirmed and the median of its scores reaches the label's threshold. It gets an `update`
when it enters, leaves or loiters in a zone or becomes stationary or moving again, and
one `end` when the track is lost. The scene also returns the live state: counts per label
and group, per camera and zone.

Not thread-safe; each camera's pipeline owns one scene.
"""

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from .config import CameraConfig
from .detection import Detection
from .errors import InputError
from .filters import ObjectFilters
from .live_state import count_keys, count_objects
from .objects import (
    REASON_LOITERING,
    REASON_MOVING,
    REASON_STATIONARY,
    REASON_ZONE_ENTERED,
    REASON_ZONE_LEFT,
    ObjectChange,
    TrackedObject,
    ZoneChange,
)
from .tracker import Track, Tracker, TrackerConfig
from .zones import ZoneTracker

_LOGGER = logging.getLogger(__name__)

# Seconds the stream time may go back and still count as jitter. A larger step back is a
# new timeline (the stream was reopened), so every object of the old one ends.
REWIND_TOLERANCE = 1.0

_ZONE_REASONS = {"entered": REASON_ZONE_ENTERED, "left": REASON_ZONE_LEFT, "loitering": REASON_LOITERING}


class CameraScene:
    """Tracks, zones and events of one camera."""

    def __init__(
        self,
        camera: CameraConfig,
        groups: Mapping[str, frozenset[str]],
        *,
        tracker_config: TrackerConfig = TrackerConfig(),
    ) -> None:
        self._camera = camera
        self._groups = dict(groups)
        self._logger = _LOGGER.getChild(camera.id)
        self._filters = ObjectFilters(camera, self._groups)
        self._tracker = Tracker(tracker_config)
        self._zones = ZoneTracker(camera.zones, self._filters.labels, self._groups)
        # Tracks whose event has started, with the stationary flag last reported for them.
        self._reported: dict[str, bool] = {}
        # Changes caused by a config change, returned by the next update or advance.
        self._pending: list[ObjectChange] = []
        self._last_time: float | None = None
        self._frame_size: tuple[int, int] | None = None
        self._count_keys: dict[str | None, list[str]] = {}
        self._configure()

    @property
    def camera(self) -> CameraConfig:
        """The camera config in use."""
        return self._camera

    def update(self, detections: list[Detection], now: float, frame_size: tuple[int, int]) -> list[ObjectChange]:
        """Process one frame the detector ran on; returns the object changes it caused.

        `frame_size` is (width, height) of the frame the detection boxes refer to.
        """
        _check_frame_size(frame_size)
        changes = self._begin(now)
        self._resize(frame_size)
        trackable = self._filters.apply(detections, frame_size)
        result = self._tracker.update(trackable, now)

        for track in result.active:
            if track.id in result.detected:
                zone_changes = self._zones.observe(track, frame_size, now)
            else:
                zone_changes = self._zones.check_loitering(track.id, now)
            change = self._step(track, zone_changes, now)
            if change is not None:
                changes.append(change)

        changes.extend(self._end_tracks(result.ended, now))
        return changes

    def advance(self, now: float) -> list[ObjectChange]:
        """Process a frame the detector skipped: end tracks whose grace ran out, report loitering."""
        changes = self._begin(now)
        ended = self._tracker.advance(now)
        for track in self._tracker.tracks:
            change = self._step(track, self._zones.check_loitering(track.id, now), now)
            if change is not None:
                changes.append(change)
        changes.extend(self._end_tracks(ended, now))
        return changes

    def finish(self, now: float | None) -> list[ObjectChange]:
        """End every live object, e.g. when the camera stops; returns the `end` changes.

        `now` is the stream time of the last frame, or None to use the last time the scene saw.
        """
        if now is None:
            now = self._last_time if self._last_time is not None else 0.0
        changes, self._pending = self._pending, []
        changes.extend(self._end_tracks(self._tracker.end_all(), now))
        return changes

    def moving_tracks(self) -> bool:
        """Return True while any live track needs the detector on every frame.

        That is a track that moves (tentative tracks included) or that the last detector
        run missed, so a gap is looked into until the object is found or its grace ends.
        """
        return any(not track.stationary or track.missed_since is not None for track in self._tracker.tracks)

    def objects(self) -> list[TrackedObject]:
        """Return the watched objects present now, including those in a gap in detection."""
        return [self._snapshot(track) for track in self._tracker.tracks if track.id in self._reported]

    def state(self) -> dict[str, Any]:
        """Return the live counts per label and group, for the camera and per zone, as JSON-ready data."""
        objects = self.objects()
        keys = self._count_keys
        zones: dict[str, Any] = {}
        for zone in self._zones.zones:
            inside = [item for item in objects if zone.id in item.zones]
            zones[zone.id] = {
                # .get because the API may read the state while a config change
                # from another thread replaces the zones.
                "counts": count_objects(inside, keys.get(zone.id, ()), self._groups),
                # The top score, not the latest, because it is the event's score. It also
                # changes rarely, so a state pushed on change is not pushed every frame.
                "objects": [
                    {"track_id": item.track_id, "label": item.label, "score": round(item.top_score, 3)} for item in inside
                ],
            }
        return {
            "counts": count_objects(objects, keys[None], self._groups),
            "zones": zones,
        }

    def update_config(self, camera: CameraConfig) -> None:
        """Apply a changed camera config without losing live tracks.

        Objects whose label is no longer watched end, and objects in removed zones leave
        them; those changes come out of the next `update` or `advance`.
        """
        self._camera = camera
        self._logger = _LOGGER.getChild(camera.id)
        self._filters = ObjectFilters(camera, self._groups)
        left = self._zones.update_config(camera.zones, self._filters.labels, self._groups)
        now = self._last_time if self._last_time is not None else 0.0

        for track in self._tracker.tracks:
            if track.id not in self._reported:
                self._zones.drop_label(track)
                continue
            if track.label not in self._filters.labels:
                self._pending.append(self._end(track, now, left.get(track.id, [])))
                continue
            zone_changes = left.get(track.id, []) + self._zones.drop_label(track)
            if zone_changes:
                self._pending.append(self._change("update", track, now, zone_changes))
        self._logger.debug("config applied: %d zones, watching %s", len(camera.zones), sorted(self._filters.labels))
        self._configure()

    def _configure(self) -> None:
        # Count keys per zone id, and the camera's under None.
        keys: dict[str | None, list[str]] = {None: count_keys(self._camera.objects, self._groups)}
        for zone in self._camera.zones:
            keys[zone.id] = count_keys(zone.objects or self._camera.objects, self._groups)
        self._count_keys = keys
        # Detections of labels the camera does not watch are dropped before tracking, so
        # a zone can only narrow the camera's objects.
        for zone in self._camera.zones:
            unwatched = self._zones.labels(zone.id) - self._filters.labels
            if unwatched:
                self._logger.warning(
                    "zone %s watches %s, which camera %s does not watch; add them to the camera's objects to detect them",
                    zone.id,
                    ", ".join(sorted(unwatched)),
                    self._camera.id,
                )

    def _begin(self, now: float) -> list[ObjectChange]:
        changes, self._pending = self._pending, []
        if self._last_time is not None and now < self._last_time - REWIND_TOLERANCE:
            self._logger.warning(
                "stream time went back from %.2f s to %.2f s; ending %d tracked objects",
                self._last_time,
                now,
                len(self._reported),
            )
            changes.extend(self._end_tracks(self._tracker.end_all(), now))
        self._last_time = now
        return changes

    def _resize(self, frame_size: tuple[int, int]) -> None:
        if self._frame_size is not None and frame_size != self._frame_size:
            width, height = self._frame_size
            self._logger.info("frame size changed from %dx%d to %dx%d", width, height, *frame_size)
            self._tracker.rescale(frame_size[0] / width, frame_size[1] / height)
        self._frame_size = frame_size

    def _step(self, track: Track, zone_changes: list[ZoneChange], now: float) -> ObjectChange | None:
        if track.id not in self._reported:
            if not self._may_start(track):
                return None
            self._reported[track.id] = track.stationary
            entered = [ZoneChange(zone_id, "entered") for zone_id in self._ordered(self._zones.zones_of(track.id))]
            loitering = [change for change in zone_changes if change.change == "loitering"]
            self._logger.debug("%s %s starts at %.2f s", track.label, track.id, now)
            return ObjectChange("start", self._snapshot(track), now, zone_changes=tuple(entered + loitering))

        reasons = [_ZONE_REASONS[change.change] for change in zone_changes]
        if track.stationary != self._reported[track.id]:
            self._reported[track.id] = track.stationary
            reasons.append(REASON_STATIONARY if track.stationary else REASON_MOVING)
        if not reasons:
            return None
        return self._change("update", track, now, zone_changes, reasons)

    def _may_start(self, track: Track) -> bool:
        return (
            track.confirmed
            and track.label in self._filters.labels
            and self._filters.passes_threshold(track)
        )

    def _end_tracks(self, tracks: Iterable[Track], now: float) -> list[ObjectChange]:
        changes = []
        for track in tracks:
            if track.id in self._reported:
                changes.append(self._end(track, now))
            else:
                self._zones.remove(track.id)
        return changes

    def _end(self, track: Track, now: float, already_left: Iterable[ZoneChange] = ()) -> ObjectChange:
        # The zones are forgotten first, so the snapshot shows the object in none.
        left = [*already_left, *self._zones.remove(track.id)]
        del self._reported[track.id]
        self._logger.debug("%s %s ends at %.2f s, last seen %.2f s", track.label, track.id, now, track.last_seen)
        reasons = (REASON_ZONE_LEFT,) if left else ()
        return ObjectChange("end", self._snapshot(track), now, zone_changes=tuple(left), reasons=reasons)

    def _change(
        self,
        kind: str,
        track: Track,
        now: float,
        zone_changes: list[ZoneChange],
        reasons: list[str] | None = None,
    ) -> ObjectChange:
        if reasons is None:
            reasons = [_ZONE_REASONS[change.change] for change in zone_changes]
        unique = tuple(dict.fromkeys(reasons))
        return ObjectChange(kind, self._snapshot(track), now, zone_changes=tuple(zone_changes), reasons=unique)  # type: ignore[arg-type]

    def _snapshot(self, track: Track) -> TrackedObject:
        return TrackedObject(
            track_id=track.id,
            label=track.label,
            score=track.score,
            top_score=track.top_score,
            box=track.box,
            stationary=track.stationary,
            zones=self._zones.zones_of(track.id),
            first_seen=track.first_seen,
            last_seen=track.last_seen,
        )

    def _ordered(self, zone_ids: frozenset[str]) -> list[str]:
        return [zone.id for zone in self._zones.zones if zone.id in zone_ids]


def _check_frame_size(frame_size: tuple[int, int]) -> None:
    width, height = frame_size
    if width <= 0 or height <= 0:
        raise InputError(f"frame size must be positive, got {width}x{height}")
