"""Daily counters for the accounting sensors: requests, verdicts and uploaded bytes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from .clock import Clock


@dataclass(slots=True)
class DailyCounts:
    """Counters of one local calendar day."""

    day: date
    requests: int = 0
    confirmed: int = 0
    rejected: int = 0
    uncertain: int = 0
    failed: int = 0
    bytes_uploaded: int = 0
    alerts_sent: int = 0


_COUNTERS = tuple(item.name for item in fields(DailyCounts) if item.name != "day")


class Accounting:
    """Count cloud usage per day in the user's time zone; counters reset at local midnight."""

    def __init__(self, clock: Clock, time_zone: tzinfo = UTC) -> None:
        self._clock = clock
        self._time_zone = time_zone
        self._counts = DailyCounts(self._today())

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock.time(), self._time_zone).date()

    @property
    def today(self) -> DailyCounts:
        """Return today's counters, starting a new day when the date has changed."""
        today = self._today()
        if self._counts.day != today:
            self._counts = DailyCounts(today)
        return self._counts

    def add_request(self, body_bytes: int) -> None:
        """Count one HTTP request to Workers AI and its body size."""
        counts = self.today
        counts.requests += 1
        counts.bytes_uploaded += body_bytes

    def add_upload(self, body_bytes: int) -> None:
        """Count bytes sent to the Worker (alerts and attachments)."""
        self.today.bytes_uploaded += body_bytes

    def add_alert(self) -> None:
        """Count one alert delivered to the Worker."""
        self.today.alerts_sent += 1

    def add_verdict(self, verdict: str) -> None:
        """Count one finished verification by its verdict, `unverified` as failed."""
        counts = self.today
        if verdict in ("confirmed", "rejected", "uncertain"):
            setattr(counts, verdict, getattr(counts, verdict) + 1)
        else:
            counts.failed += 1

    def restore(self, data: Mapping[str, Any]) -> None:
        """Load counters saved by `as_dict`, if they are from today, so a restart cannot reset the daily cap."""
        try:
            day = date.fromisoformat(str(data["day"]))
            counts = DailyCounts(day, **{name: int(data.get(name, 0)) for name in _COUNTERS})
        except (KeyError, TypeError, ValueError):
            return
        if day == self._today():
            self._counts = counts

    def as_dict(self) -> dict[str, object]:
        """Return today's counters for sensors and diagnostics."""
        data = asdict(self.today)
        data["day"] = data["day"].isoformat()
        return data
