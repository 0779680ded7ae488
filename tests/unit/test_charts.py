"""The delivery chart's hour labels."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from gatehouse.mail.delivery_log import HourCounts
from gatehouse.web.console.charts import hourly_chart


def test_hour_labels_count_back_from_the_current_hour() -> None:
    last = datetime(2026, 11, 27, 19, tzinfo=UTC)
    hours = [HourCounts(last - timedelta(hours=23 - n), n, 0, 0) for n in range(24)]
    labels = re.findall(r'class="axis">(\d\dh)<', str(hourly_chart(hours)))
    assert labels == ["22h", "01h", "04h", "07h", "10h", "13h", "16h", "19h"]


def test_the_left_gutter_holds_the_peak_however_many_digits() -> None:
    """The y axis maximum ends left of the plot: 5 digits widen the gutter (it was 34 units,
    and a five-digit count at a phone's label size started left of the picture)."""
    last = datetime(2026, 11, 27, 19, tzinfo=UTC)
    small = str(hourly_chart([HourCounts(last, 32, 0, 0)]))
    large = str(hourly_chart([HourCounts(last, 12345, 0, 0)]))
    assert '<line x1="44" ' in small
    assert '<line x1="95" ' in large
    peak = '<text x="89" y="8" text-anchor="end" dominant-baseline="hanging" class="axis">12345<'
    assert peak in large
