"""Link validity input: 1-23 hours or 1-30 days per e-mail process, and the defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.errors import ValidationError
from gatehouse.tenants.link_validity import PROCESSES, Validity, parse_validity


@pytest.mark.parametrize(
    ("amount", "unit", "duration"),
    [
        ("1", "hours", timedelta(hours=1)),
        ("23", "hours", timedelta(hours=23)),
        ("1", "days", timedelta(days=1)),
        (" 30 ", "days", timedelta(days=30)),
    ],
)
def test_bounds_are_accepted(amount: str, unit: str, duration: timedelta) -> None:
    """The ends of both ranges are valid."""
    assert parse_validity("forgot-password", amount, unit).duration == duration


@pytest.mark.parametrize(
    ("amount", "unit"),
    [
        ("0", "hours"),
        ("24", "hours"),
        ("0", "days"),
        ("31", "days"),
        ("two", "hours"),
        ("", "days"),
    ],
)
def test_out_of_range_names_the_process_and_rule(amount: str, unit: str) -> None:
    """Outside the ranges (or not a number) the error names the process and the rule."""
    with pytest.raises(ValidationError) as error:
        parse_validity("locked-password", amount, unit)
    assert error.value.field == "locked-password"
    assert error.value.message == "Locked Password: Choose 1 to 23 hours or 1 to 30 days."


def test_unknown_unit_and_process_are_refused() -> None:
    """Weeks are no unit; an unknown process is no process."""
    with pytest.raises(ValidationError, match="choose hours or days"):
        parse_validity("invitation", "2", "weeks")
    with pytest.raises(ValidationError, match="Unknown e-mail process 'newsletter'"):
        parse_validity("newsletter", "2", "hours")


def test_defaults_are_the_references() -> None:
    """Password links 2 hours, registration and invitation 14 days."""
    defaults = {process: str(default) for process, (_, default) in PROCESSES.items()}
    assert defaults == {
        "forgot-password": "2 hours",
        "locked-password": "2 hours",
        "reset-password": "2 hours",
        "self-registration": "14 days",
        "on-behalf-registration": "14 days",
        "invitation": "14 days",
    }
    assert str(Validity(1, "days")) == "1 day"
