"""Multi-object tracker: gives each object a stable id across frames.

Detections are matched to live tracks greedily by IoU, only within the same label. A
track is confirmed after a few hits, survives short gaps in detection, and is marked
stationary when its box stops moving. A stationary track survives longer gaps, and the
longer it has been still the longer it may go unseen, so a car parked for an hour keeps
its id through a minute of glare or a score dip.

A gap counts from the first detector run that missed the track. Frames the motion gate
skipped never end a track, so a parked car survives however long the gate waits between
refreshes.

Time is the stream time passed in by the caller, in seconds; nothing here reads a clock.
"""

import logging
import secrets
import statistics
from collections import deque
from dataclasses import dataclass, field
from itertools import count

from .detection import Box, Detection
from .geometry import iou

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """Tracker thresholds. Times are stream seconds, so they do not depend on the frame rate."""

    # Minimum IoU between a track's box (or where its recent velocity puts it now) and a
    # detection for the two to match.
    iou_threshold: float = 0.3
    # Seconds of recent detections the velocity is measured over.
    velocity_window: float = 1.0
    # Detections matched to a track before it is confirmed and may make an event.
    hits_to_confirm: int = 3
    # Seconds the detector may miss an unconfirmed track before it is dropped as noise.
    tentative_max_gap: float = 1.0
    # Seconds the detector may miss a confirmed moving track before it ends. It is over
    # 2 s, so a person the detector misses for 1.5 s stays one event.
    max_gap_seconds: float = 2.5
    # A track is stationary when its box centre has moved less than this fraction of the
    # box width (horizontally) and height (vertically) for `stationary_window` seconds.
    stationary_movement: float = 0.2
    stationary_window: float = 5.0
    # Consecutive detections beyond `stationary_movement` from where a stationary track
    # stopped before it counts as moving again; one jittery box is not enough.
    moving_hits: int = 3
    # Consecutive detections away from where a stationary track stopped after which it
    # counts as leaving and gets only `max_gap_seconds` of grace. One is not enough,
    # because a person walking past a parked car shifts its box for a frame or two.
    leaving_hits: int = 2
    # Grace for a stationary track: `stationary_grace_factor` × seconds it has been still,
    # at least `stationary_grace_min` and at most `stationary_grace_max` seconds. A car
    # still for 20 min gets the maximum, 2 min.
    stationary_grace_min: float = 10.0
    stationary_grace_factor: float = 0.1
    stationary_grace_max: float = 120.0
    # Recent detection scores kept per track for the median threshold.
    score_history: int = 10


@dataclass(slots=True, eq=False)
class Track:
    """One object followed across frames."""

    id: str
    label: str
    box: Box
    # Score of the latest matched detection.
    score: float
    first_seen: float
    last_seen: float
    scores: deque[float]
    top_score: float = 0.0
    hits: int = 1
    confirmed: bool = False
    stationary: bool = False
    # Stream time since which the box has been still, while stationary.
    stationary_since: float | None = None
    # Stream time of the first detector run that did not find the track since it was
    # last seen; None while it is being found.
    missed_since: float | None = None
    # Detections of the last `stationary_window` seconds, as (time, box).
    history: deque[tuple[float, Box]] = field(default_factory=deque)
    # Box where the track stopped moving, and consecutive detections away from it.
    anchor: Box | None = None
    moving_streak: int = 0
    # Box centre velocity in pixels per second over the last `velocity_window` seconds.
    velocity: tuple[float, float] = (0.0, 0.0)

    def median_score(self) -> float:
        """Return the median of the recent detection scores."""
        return statistics.median(self.scores)

    def predicted_box(self, now: float, max_seconds: float) -> Box:
        """Return where the box would be at `now` at its recent velocity, extrapolating at most `max_seconds`."""
        elapsed = min(max(0.0, now - self.last_seen), max_seconds)
        dx = self.velocity[0] * elapsed
        dy = self.velocity[1] * elapsed
        x1, y1, x2, y2 = self.box
        return (x1 + dx, y1 + dy, x2 + dx, y2 + dy)

    def still_seconds(self) -> float:
        """Return how long the track was seen still up to its last detection (0 if moving)."""
        if not self.stationary or self.stationary_since is None:
            return 0.0
        return max(0.0, self.last_seen - self.stationary_since)


@dataclass(frozen=True, slots=True)
class TrackerUpdate:
    """Live tracks after one frame (tentative ones included) and the tracks that ended in it."""

    active: list[Track]
    ended: list[Track]
    # Ids of the tracks a detection of this frame was matched to or started.
    detected: frozenset[str] = frozenset()


class Tracker:
    """IoU tracker for one camera."""

    def __init__(self, config: TrackerConfig = TrackerConfig(), *, id_prefix: str | None = None) -> None:
        self.config = config
        # The counter restarts with the engine. A random prefix (3 bytes) makes it unlikely
        # that a new track gets the id of a track from an earlier run.
        self._id_prefix = id_prefix if id_prefix is not None else secrets.token_hex(3)
        self._numbers = count(1)
        self._tracks: list[Track] = []

    @property
    def tracks(self) -> list[Track]:
        """Live tracks, tentative ones included."""
        return list(self._tracks)

    def update(self, detections: list[Detection], now: float) -> TrackerUpdate:
        """Match one frame's detections to tracks, start new tracks and end lost ones."""
        matches, unmatched = self._match(detections, now)
        for track, detection in matches:
            self._hit(track, detection, now)
        matched = {id(track) for track, _ in matches}
        for track in self._tracks:
            if id(track) not in matched and track.missed_since is None:
                track.missed_since = now

        started = [self._start(detection, now) for detection in unmatched]
        ended = self._expire(now)
        self._tracks.extend(started)
        detected = frozenset(track.id for track, _ in matches) | {track.id for track in started}
        return TrackerUpdate(active=list(self._tracks), ended=ended, detected=detected)

    def advance(self, now: float) -> list[Track]:
        """End missed tracks whose grace ran out, on a frame the detector did not run on.

        A track the detector has not looked for since its last detection never ends here.
        """
        return self._expire(now)

    def rescale(self, x_factor: float, y_factor: float) -> None:
        """Scale every track's boxes to a new frame size, so tracks survive a stream resolution change."""
        for track in self._tracks:
            track.box = _scale(track.box, x_factor, y_factor)
            track.history = deque((time, _scale(box, x_factor, y_factor)) for time, box in track.history)
            if track.anchor is not None:
                track.anchor = _scale(track.anchor, x_factor, y_factor)
            track.velocity = (track.velocity[0] * x_factor, track.velocity[1] * y_factor)

    def end_all(self) -> list[Track]:
        """End every live track, e.g. when the stream restarts on a new timeline."""
        ended, self._tracks = self._tracks, []
        return ended

    def grace(self, track: Track) -> float:
        """Return how many seconds the detector may miss the track before it ends."""
        config = self.config
        if not track.confirmed:
            return config.tentative_max_gap
        # A stationary track last seen moving away gets no more than a moving one, so a
        # person who stood at the door for minutes and then left ends promptly.
        if not track.stationary or track.moving_streak >= config.leaving_hits:
            return config.max_gap_seconds
        grace = config.stationary_grace_factor * track.still_seconds()
        return min(config.stationary_grace_max, max(config.stationary_grace_min, grace))

    def _match(
        self, detections: list[Detection], now: float
    ) -> tuple[list[tuple[Track, Detection]], list[Detection]]:
        # Greedy on IoU, the best overlapping pair first. With the few objects in one camera's
        # view at once it usually finds the pairs an optimal assignment would.
        # A person walking through a 1.5 s dropout moves several box widths, so a track is
        # also compared at the place its velocity puts it now.
        pairs = []
        for track_index, track in enumerate(self._tracks):
            predicted = track.predicted_box(now, self.config.max_gap_seconds)
            for detection_index, detection in enumerate(detections):
                if detection.label != track.label:
                    continue
                overlap = max(iou(track.box, detection.box), iou(predicted, detection.box))
                if overlap >= self.config.iou_threshold:
                    pairs.append((overlap, track_index, detection_index))
        pairs.sort(key=lambda pair: pair[0], reverse=True)

        used_tracks: set[int] = set()
        used_detections: set[int] = set()
        matches: list[tuple[Track, Detection]] = []
        for _, track_index, detection_index in pairs:
            if track_index in used_tracks or detection_index in used_detections:
                continue
            used_tracks.add(track_index)
            used_detections.add(detection_index)
            matches.append((self._tracks[track_index], detections[detection_index]))
        unmatched = [detection for index, detection in enumerate(detections) if index not in used_detections]
        return matches, unmatched

    def _start(self, detection: Detection, now: float) -> Track:
        track = Track(
            id=f"{self._id_prefix}-{next(self._numbers)}",
            label=detection.label,
            box=detection.box,
            score=detection.score,
            first_seen=now,
            last_seen=now,
            scores=deque([detection.score], maxlen=self.config.score_history),
            top_score=detection.score,
            history=deque([(now, detection.box)]),
        )
        track.confirmed = track.hits >= self.config.hits_to_confirm
        return track

    def _hit(self, track: Track, detection: Detection, now: float) -> None:
        track.box = detection.box
        track.score = detection.score
        track.scores.append(detection.score)
        track.top_score = max(track.top_score, detection.score)
        track.hits += 1
        track.last_seen = now
        track.missed_since = None
        if not track.confirmed and track.hits >= self.config.hits_to_confirm:
            track.confirmed = True
            _LOGGER.debug("track %s (%s) confirmed at %.2f s", track.id, track.label, now)
        track.history.append((now, detection.box))
        while track.history and track.history[0][0] < now - self.config.stationary_window:
            track.history.popleft()
        track.velocity = self._velocity(track, now)
        self._update_stationary(track, now)

    def _velocity(self, track: Track, now: float) -> tuple[float, float]:
        # The oldest detection within the velocity window, the latest one excluded.
        earliest = next((entry for entry in track.history if entry[0] >= now - self.config.velocity_window), None)
        if earliest is None or earliest[0] >= now:
            return (0.0, 0.0)
        elapsed = now - earliest[0]
        then, box = earliest[1], track.box
        dx = ((box[0] + box[2]) - (then[0] + then[2])) / 2
        dy = ((box[1] + box[3]) - (then[1] + then[3])) / 2
        return (dx / elapsed, dy / elapsed)

    def _update_stationary(self, track: Track, now: float) -> None:
        limit = self.config.stationary_movement
        if track.stationary:
            assert track.anchor is not None
            track.moving_streak = track.moving_streak + 1 if moved(track.anchor, track.box, limit) else 0
            if track.moving_streak >= self.config.moving_hits:
                track.stationary = False
                track.stationary_since = None
                track.anchor = None
                track.moving_streak = 0
                _LOGGER.debug("track %s (%s) moving again at %.2f s", track.id, track.label, now)
            return

        if now - track.first_seen < self.config.stationary_window or len(track.history) < 2:
            return
        if all(not moved(box, track.box, limit) for _, box in track.history):
            track.stationary = True
            track.stationary_since = track.history[0][0]
            track.anchor = track.box
            _LOGGER.debug("track %s (%s) stationary at %.2f s", track.id, track.label, now)

    def _expire(self, now: float) -> list[Track]:
        ended = [
            track
            for track in self._tracks
            if track.missed_since is not None and now - track.missed_since > self.grace(track)
        ]
        if ended:
            self._tracks = [track for track in self._tracks if track not in ended]
            for track in ended:
                if track.confirmed:
                    _LOGGER.debug("track %s (%s) lost at %.2f s, last seen %.2f s", track.id, track.label, now, track.last_seen)
        return ended


def _scale(box: Box, x_factor: float, y_factor: float) -> Box:
    return (box[0] * x_factor, box[1] * y_factor, box[2] * x_factor, box[3] * y_factor)


def moved(reference: Box, box: Box, limit: float) -> bool:
    """Return True when the box centre is more than `limit` × box size away from the reference's."""
    width = max(1e-9, (reference[2] - reference[0] + box[2] - box[0]) / 2)
    height = max(1e-9, (reference[3] - reference[1] + box[3] - box[1]) / 2)
    dx = abs((box[0] + box[2]) - (reference[0] + reference[2])) / 2
    dy = abs((box[1] + box[3]) - (reference[1] + reference[3])) / 2
    return dx > limit * width or dy > limit * height
