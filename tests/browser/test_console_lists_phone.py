"""The console's other lists on a phone, in a real browser: Administrators (users and systems)
and Applications stack each row into labelled lines inside the window, as User Management's
list does (their tables scrolled sideways, the Authorizations column off the edge)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from gatehouse.accounts.authorizations import Authorization
from tests.support.accounts import api_client
from tests.support.browser import (
    console_on_a_phone,
    inside_the_phone,
    label_of,
    scrolls_sideways,
)
from tests.support.live import LiveServer


@pytest.mark.parametrize(
    ("path", "cell", "label"),
    [
        (
            "/admin/administrators",
            "#administrators td[data-label=Authorizations]",
            "Authorizations",
        ),
        ("/admin/administrators", "#systems td[data-label=Authorizations]", "Authorizations"),
        (
            "/admin/applications",
            "table.applications td[data-label='Second factor']",
            "Second factor",
        ),
    ],
)
def test_a_rows_last_column_is_inside_a_phone_window(
    browser: Browser, demo: LiveServer, path: str, cell: str, label: str
) -> None:
    """At 375 px the first row's cell ``label`` and its label are within the window, and the
    page does not scroll sideways."""
    api_client(demo, Authorization.MANAGE_APPLICATIONS)  # a row in Systems
    with console_on_a_phone(browser, demo.origin(), path) as page:
        found = page.locator(cell).first
        expect(found).to_be_visible()
        inside_the_phone(found)
        assert label_of(found) == f'"{label}"'
        assert not scrolls_sideways(page)


@pytest.mark.parametrize(
    ("path", "cell", "mark"),
    [
        ("/admin/administrators", "#administrators td[data-label=Name]", "(you)"),
        ("/admin/applications", "table.applications td[data-label=Name]", "Built-in"),
    ],
)
def test_a_mark_stays_beside_its_name_on_a_phone(
    browser: Browser, demo: LiveServer, path: str, cell: str, mark: str
) -> None:
    """The stacked Name line reads "Ada Admin (you)" and "User Profile Built-in": the mark is
    no line of its own under the label (each of the cell's children took a place of the
    label's grid)."""
    with console_on_a_phone(browser, demo.origin(), path) as page:
        name = page.locator(cell).filter(has_text=mark).first
        marked = name.get_by_text(mark)
        expect(marked).to_be_visible()
        name_box, mark_box = name.bounding_box(), marked.bounding_box()
        assert name_box is not None and mark_box is not None
        assert mark_box["x"] > name_box["x"] + 100, (name_box, mark_box)  # beside the label
