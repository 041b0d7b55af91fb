"""Verify policy: which engine events may send one image to the vision model.

The rules, in order:
1. verification is on and the camera opted in;
2. the object's group is one the user wants checked;
3. it is in one of the camera's required zones, if any are set;
4. its score qualifies for the mode;
5. its track was never verified;
6. it is not a stationary object whose twin (same camera, label and zones) was
   already verified, such as a parked car whose track the engine lost and found again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .settings import CloudSettings, VerifyMode

# Remembered event ids; old ones fall out first. Enough for days of events.
MAX_REMEMBERED = 5000


@dataclass(frozen=True, slots=True)
class EventView:
    """The fields of an engine event message that the policy reads."""

    event_id: str
    camera: str
    label: str
    groups: frozenset[str]
    zones: frozenset[str]
    top_score: float
    stationary: bool
    snapshot_url: str | None
    crop_url: str | None
    clip_url: str | None = None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> EventView:
        """Build a view from the `event` object of an engine event message.

        Raises `KeyError` or `ValueError` for an event without id, camera or label.
        """
        return cls(
            event_id=str(event["id"]),
            camera=str(event["camera"]),
            label=str(event["label"]),
            groups=frozenset(event.get("groups") or ()),
            zones=frozenset(event.get("zones") or ()),
            top_score=float(event.get("top_score") or 0.0),
            stationary=bool(event.get("stationary")),
            snapshot_url=event.get("snapshot_url"),
            crop_url=event.get("crop_url"),
            clip_url=event.get("clip_url"),
        )

    @property
    def stationary_key(self) -> tuple[str, str, frozenset[str]]:
        """Return what identifies a parked object across lost and re-found tracks."""
        return (self.camera, self.label, self.zones)


class VerifyPolicy:
    """Decide per event message whether to verify, remembering what was already sent."""

    def __init__(self) -> None:
        self._claimed: OrderedDict[str, None] = OrderedDict()
        self._stationary_verified: set[tuple[str, str, frozenset[str]]] = set()

    def skip_reason(self, settings: CloudSettings, event: EventView) -> str | None:
        """Return why `event` must not be verified now, or None when it qualifies."""
        camera = settings.camera(event.camera)
        if not settings.verify_enabled or not camera.verify:
            return "disabled"
        if not event.groups & settings.verify_groups:
            return "group_not_verified"
        if camera.zones and not event.zones & camera.zones:
            return "outside_required_zones"
        if settings.verify_mode is VerifyMode.EVERY_PERSON and "person" not in event.groups:
            return "not_a_person"
        if settings.verify_mode is VerifyMode.AMBIGUOUS and not (
            settings.score_min <= event.top_score <= settings.score_max
        ):
            return "score_outside_band"
        return self.repeat_reason(event)

    def repeat_reason(self, event: EventView) -> str | None:
        """Return why `event` was effectively verified already, or None."""
        if event.event_id in self._claimed:
            return "track_already_verified"
        if event.stationary and event.stationary_key in self._stationary_verified:
            return "stationary_already_verified"
        return None

    def claim(self, event: EventView) -> None:
        """Mark `event`'s track as verified, before the request starts, so it is never sent twice."""
        self._claimed[event.event_id] = None
        while len(self._claimed) > MAX_REMEMBERED:
            self._claimed.popitem(last=False)
        self.note_stationary(event)

    def claimed_ids(self, limit: int = 1000) -> list[str]:
        """Return the newest claimed event ids, oldest first, for saving across restarts."""
        return list(self._claimed)[-limit:]

    def restore_claims(self, event_ids: list[str]) -> None:
        """Mark event ids saved before a restart as verified, so replayed events are not sent again."""
        for event_id in event_ids:
            self._claimed[str(event_id)] = None
        while len(self._claimed) > MAX_REMEMBERED:
            self._claimed.popitem(last=False)

    def note_stationary(self, event: EventView) -> None:
        """Remember a verified track that has become stationary."""
        if event.stationary and event.event_id in self._claimed:
            self._stationary_verified.add(event.stationary_key)
