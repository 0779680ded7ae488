"""Mail Delivery's 24-hour chart in Chromium: its labels can be read on a phone and on a
desktop, and none is cut off, with a five-digit hourly count."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from sqlalchemy import insert

from gatehouse.db.base import new_id, utcnow
from gatehouse.mail.models import DeliveryAttempt, OutboxMessage
from gatehouse.runtime import Runtime
from tests.support.browser import sign_in_to_console
from tests.support.live import LiveServer

PEAK = 10_000  # sent this hour: the y axis says 10000
# Each axis label's box on the page and the chart's, in CSS pixels.
LABEL_BOXES = """svg => {
  const chart = svg.getBoundingClientRect();
  return [...svg.querySelectorAll('text.axis')].map(text => {
    const box = text.getBoundingClientRect();
    return {text: text.textContent, left: box.left - chart.left, right: chart.right - box.right,
            top: box.top - chart.top, bottom: chart.bottom - box.bottom, height: box.height};
  });
}"""


async def sent_this_hour(runtime: Runtime) -> None:
    """One sent e-mail of the demo tenant with PEAK sent attempts now."""
    now = utcnow()
    message_id = new_id()
    async with runtime.sessions.begin() as session:
        await session.execute(
            insert(OutboxMessage),
            [
                {
                    "id": message_id,
                    "tenant_id": "demo",
                    "process": "test-email",
                    "recipient": "jane@demo.test",
                    "status": "sent",
                    "attempts": 1,
                    "created_at": now,
                    "sent_at": now,
                }
            ],
        )
        await session.execute(
            insert(DeliveryAttempt),
            [
                {
                    "id": new_id(),
                    "message_id": message_id,
                    "tenant_id": "demo",
                    "started_at": now,
                    "transport": "smtp",
                    "server": "mail.demo.test:465 (TLS)",
                    "outcome": "sent",
                }
                for _ in range(PEAK)
            ],
        )


@pytest.mark.parametrize(("width", "smallest"), [(360, 8), (400, 9), (1280, 12)])
def test_chart_labels_are_legible_and_whole(
    browser: Browser, demo: LiveServer, width: int, smallest: float
) -> None:
    """Every axis label is at least ``smallest`` px high and wholly inside the chart: at 400 px
    they were under 6 px high (the chart is scaled to a third), and 10000 began left of it."""
    demo.run(sent_this_hour)
    page = browser.new_page(viewport={"width": width, "height": 900})
    sign_in_to_console(page, demo.origin())
    page.goto(f"{demo.origin()}/admin/tenant-settings/mail-delivery")
    labels = page.locator("svg.chart").evaluate(LABEL_BOXES)
    assert [label["text"] for label in labels][:2] == [str(PEAK), "0"]
    for label in labels:
        assert label["height"] >= smallest, label
        assert min(label["left"], label["right"], label["top"], label["bottom"]) >= 0, label
    page.close()
