"""A client secret's expiry is counted in calendar years, not in days."""

from __future__ import annotations

from datetime import UTC, datetime

from gatehouse.accounts.clients import years_later


def test_two_years_across_a_leap_day_end_on_the_same_date() -> None:
    added = datetime(2026, 12, 6, 19, 30, tzinfo=UTC)
    assert years_later(added, 2) == datetime(2028, 12, 6, 19, 30, tzinfo=UTC)  # 731 days
    assert years_later(added, 1) == datetime(2027, 12, 6, 19, 30, tzinfo=UTC)


def test_a_leap_day_becomes_the_last_of_february() -> None:
    assert years_later(datetime(2028, 2, 29, tzinfo=UTC), 1) == datetime(2029, 2, 28, tzinfo=UTC)
    assert years_later(datetime(2028, 2, 29, tzinfo=UTC), 4) == datetime(2032, 2, 29, tzinfo=UTC)
