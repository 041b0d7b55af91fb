"""Daily usage counters: local-day reset and restore after a restart."""

from __future__ import annotations

from datetime import timedelta, timezone

from custom_components.argus.cloud.accounting import Accounting
from tests.helpers.cloud import FakeClock


def test_counters_reset_at_local_midnight() -> None:
    clock = FakeClock()  # 12:00 UTC, 23:00 at UTC+11
    accounting = Accounting(clock.clock, timezone(timedelta(hours=11)))
    accounting.add_request(1000)
    accounting.add_verdict("confirmed")
    accounting.add_verdict("unverified")

    assert accounting.today.requests == 1
    assert accounting.today.bytes_uploaded == 1000
    assert accounting.today.confirmed == 1
    assert accounting.today.failed == 1

    clock.advance(3600)  # 00:00 the next local day
    assert accounting.today.requests == 0
    assert accounting.today.bytes_uploaded == 0


def test_restore_keeps_todays_counts() -> None:
    clock = FakeClock()
    before = Accounting(clock.clock)
    before.add_request(500)
    before.add_request(700)
    before.add_verdict("rejected")
    saved = before.as_dict()

    after = Accounting(clock.clock)
    after.restore(saved)

    assert after.today.requests == 2
    assert after.today.bytes_uploaded == 1200
    assert after.today.rejected == 1


def test_restore_ignores_other_day_and_garbage() -> None:
    clock = FakeClock()
    old = Accounting(clock.clock)
    old.add_request(500)
    saved = old.as_dict()
    clock.advance(86_400)

    accounting = Accounting(clock.clock)
    accounting.restore(saved)
    accounting.restore({"day": "not a date"})
    accounting.restore({"requests": 5})

    assert accounting.today.requests == 0
