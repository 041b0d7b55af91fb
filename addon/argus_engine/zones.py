"""Zone membership of tracked objects, with inertia and loitering.

Zone points are stored normalised to 0..1. Membership is decided on the box scaled to the
same range with the frame size of the moment, so a zone keeps its meaning when the stream
changes resolution. A detection counts as inside by its box's bottom centre (where a
person stands or a car touches the ground), its centre, or any overlap, as the zone says.

A track counts as entered after `inertia` consecutive detected frames inside and as left
after as many consecutive detected frames outside, or when the track ends. Frames without
a detection of the track change nothing, so an object keeps its zones through a dropout.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .config import ZoneConfig
from .detection import Box
from .geometry import bottom_center, box_overlaps_polygon, center, point_in_polygon
from .labels import expand
from .objects import ZoneChange
from .tracker import Track


@dataclass(slots=True)
class _Presence:
    """One track's standing in one zone."""

    inside: bool = False
    # Consecutive detected frames that disagree with `inside`.
    streak: int = 0
    # Stream time when the track counted as entered.
    entered_at: float = 0.0
    loitering_sent: bool = False


def in_zone(zone: ZoneConfig, box: Box, frame_size: tuple[int, int]) -> bool:
    """Return True when a box in frame pixels is inside the zone by the zone's position rule."""
    width, height = frame_size
    scaled = (box[0] / width, box[1] / height, box[2] / width, box[3] / height)
    if zone.position == "overlap":
        return box_overlaps_polygon(scaled, zone.points)
    point = center(scaled) if zone.position == "center" else bottom_center(scaled)
    return point_in_polygon(point, zone.points)


class ZoneTracker:
    """Zone membership of every track of one camera."""

    def __init__(
        self,
        zones: Sequence[ZoneConfig],
        default_labels: frozenset[str],
        groups: Mapping[str, Iterable[str]],
    ) -> None:
        self._zones: tuple[ZoneConfig, ...] = ()
        self._labels: dict[str, frozenset[str]] = {}
        # Keyed by (track id, zone id).
        self._presence: dict[tuple[str, str], _Presence] = {}
        self.update_config(zones, default_labels, groups)

    @property
    def zones(self) -> tuple[ZoneConfig, ...]:
        """The zones in config order."""
        return self._zones

    def labels(self, zone_id: str) -> frozenset[str]:
        """Return the labels a zone watches."""
        return self._labels[zone_id]

    def update_config(
        self,
        zones: Sequence[ZoneConfig],
        default_labels: frozenset[str],
        groups: Mapping[str, Iterable[str]],
    ) -> dict[str, list[ZoneChange]]:
        """Replace the zones, keeping what is known about tracks in zones that remain.

        Returns the `left` changes, per track id, for tracks that were inside a zone that
        was removed or no longer watches their label.
        """
        self._zones = tuple(zones)
        self._labels = {zone.id: expand(zone.objects, groups) if zone.objects else default_labels for zone in zones}
        left: dict[str, list[ZoneChange]] = {}
        for key, presence in list(self._presence.items()):
            track_id, zone_id = key
            if zone_id in self._labels:
                continue
            del self._presence[key]
            if presence.inside:
                left.setdefault(track_id, []).append(ZoneChange(zone_id, "left"))
        return left

    def drop_label(self, track: Track) -> list[ZoneChange]:
        """Forget the track in zones that do not watch its label; returns the zones it left."""
        changes = []
        for zone in self._zones:
            if track.label in self._labels[zone.id]:
                continue
            presence = self._presence.pop((track.id, zone.id), None)
            if presence is not None and presence.inside:
                changes.append(ZoneChange(zone.id, "left"))
        return changes

    def observe(self, track: Track, frame_size: tuple[int, int], now: float) -> list[ZoneChange]:
        """Account for one detection of the track; returns the zone changes it caused."""
        changes: list[ZoneChange] = []
        for zone in self._zones:
            if track.label not in self._labels[zone.id]:
                continue
            inside = in_zone(zone, track.box, frame_size)
            if inside and track.score < zone.min_score:
                # Too unsure to say it is there, but not a sign that it left either.
                continue
            presence = self._presence.setdefault((track.id, zone.id), _Presence())
            changes.extend(self._step(zone, presence, inside, now))
        changes.extend(self.check_loitering(track.id, now))
        return changes

    def _step(self, zone: ZoneConfig, presence: _Presence, inside: bool, now: float) -> list[ZoneChange]:
        if inside == presence.inside:
            presence.streak = 0
            return []
        presence.streak += 1
        if presence.streak < zone.inertia:
            return []
        presence.inside = inside
        presence.streak = 0
        if inside:
            presence.entered_at = now
            return [ZoneChange(zone.id, "entered")]
        presence.loitering_sent = False
        return [ZoneChange(zone.id, "left")]

    def check_loitering(self, track_id: str, now: float) -> list[ZoneChange]:
        """Return a `loitering` change for each zone the track has now been in for its loitering time."""
        changes = []
        for zone in self._zones:
            if zone.loitering_seconds <= 0:
                continue
            presence = self._presence.get((track_id, zone.id))
            if presence is None or not presence.inside or presence.loitering_sent:
                continue
            if now - presence.entered_at >= zone.loitering_seconds:
                presence.loitering_sent = True
                changes.append(ZoneChange(zone.id, "loitering"))
        return changes

    def zones_of(self, track_id: str) -> frozenset[str]:
        """Return the ids of the zones the track counts as inside."""
        return frozenset(
            zone.id for zone in self._zones if (presence := self._presence.get((track_id, zone.id))) and presence.inside
        )

    def remove(self, track_id: str) -> list[ZoneChange]:
        """Forget an ended track; returns a `left` change for each zone it was inside."""
        changes = []
        for zone in self._zones:
            presence = self._presence.pop((track_id, zone.id), None)
            if presence is not None and presence.inside:
                changes.append(ZoneChange(zone.id, "left"))
        return changes
