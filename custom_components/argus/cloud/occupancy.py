"""Verified occupancy: objects in a zone that the model confirmed or that scored high locally."""

from __future__ import annotations

from dataclasses import dataclass

from .policy import EventView


@dataclass(slots=True)
class _Live:
    view: EventView
    verdict: str | None = None


class VerifiedOccupancy:
    """Live objects per camera, zone and group, counting only trusted ones.

    An object counts when its verdict is `confirmed`, or when it has no
    `rejected` verdict and its top score is at least `high_score`.
    """

    def __init__(self, high_score: float) -> None:
        self._high_score = high_score
        self._live: dict[str, _Live] = {}

    def update(self, view: EventView, kind: str) -> None:
        """Apply one event message; `end` removes the object."""
        if kind == "end":
            self._live.pop(view.event_id, None)
            return
        live = self._live.get(view.event_id)
        if live is None:
            self._live[view.event_id] = _Live(view)
        else:
            live.view = view

    def set_verdict(self, event_id: str, verdict: str) -> None:
        """Attach a verification verdict to a live object."""
        live = self._live.get(event_id)
        if live is not None:
            live.verdict = verdict

    def clear(self) -> None:
        """Forget every object, for example when the engine connection is lost."""
        self._live.clear()

    def count(self, camera: str, zone: str, group: str) -> int:
        """Return how many trusted objects of `group` are in `zone` of `camera`."""
        return sum(
            1
            for live in self._live.values()
            if live.view.camera == camera
            and zone in live.view.zones
            and group in live.view.groups
            and self._trusted(live)
        )

    def _trusted(self, live: _Live) -> bool:
        if live.verdict == "confirmed":
            return True
        return live.verdict != "rejected" and live.view.top_score >= self._high_score
