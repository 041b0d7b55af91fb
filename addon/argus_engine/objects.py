"""Tracked objects and the changes in their lives that become events.

These are the hand-over types between the scene logic (tracker, zones, filters), which
decides what happened, and the event recorder, which stores it and publishes it.
"""

from dataclasses import dataclass, field
from typing import Literal

from .detection import Box

ChangeKind = Literal["start", "update", "end"]
ZoneChangeKind = Literal["entered", "left", "loitering"]

# Reasons for an `update`; one update may carry several.
REASON_ZONE_ENTERED = "zone_entered"
REASON_ZONE_LEFT = "zone_left"
REASON_LOITERING = "loitering"
REASON_STATIONARY = "stationary"
REASON_MOVING = "moving"
REASON_SNAPSHOT = "snapshot"
REASON_CLIP = "clip"


@dataclass(frozen=True, slots=True)
class ZoneChange:
    """An object entering, leaving or loitering in one zone."""

    zone: str
    change: ZoneChangeKind


@dataclass(frozen=True, slots=True)
class TrackedObject:
    """A copy of one track's state at one moment, safe to hand to another thread."""

    track_id: str
    label: str
    # Latest detection score, and the highest seen so far.
    score: float
    top_score: float
    # Box in frame pixels at that moment.
    box: Box
    stationary: bool
    # Zones the object is in now (after each zone's inertia).
    zones: frozenset[str]
    # Stream time in seconds when the track was first seen and last detected.
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class ObjectChange:
    """One step in an object's event: `start` on confirmation, `update`s, `end` on loss."""

    kind: ChangeKind
    object: TrackedObject
    # Stream time in seconds of the frame that caused the change.
    time: float
    zone_changes: tuple[ZoneChange, ...] = ()
    reasons: tuple[str, ...] = field(default=())
