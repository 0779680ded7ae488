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
