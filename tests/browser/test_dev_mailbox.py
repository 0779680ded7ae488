"""The development mailbox in a real browser, as the README's walk through the demo uses it:
the reset link of a captured e-mail opens from the text part and from the HTML part (in the
sandboxed frame it broke: the page behind it may not be framed), and the list and a message
keep to a desktop's and a phone's width however long an address or link is."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.support.accounts import JANE, add_user
from tests.support.browser import PHONE
from tests.support.live import LiveServer


def page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_a_captured_reset_link_opens_from_either_part(browser: Browser, demo: LiveServer) -> None:
    with demo.client() as client:
        client.post("/service/users/forgotPassword", json={"identifier": JANE})
    demo.wait_for_mail(lambda m: m.rcpt_to == [JANE])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"http://localhost:{demo.port}/_mailbox")
    page.get_by_role("link", name="Reset your password for Demo Tenant").click()
    text_link = page.locator("pre.mail-text a", has_text="/reset-password?token=")
    expect(text_link).to_have_count(1)
    with context.expect_page() as opened:
        text_link.click()
    expect(opened.value.get_by_role("heading", name="Set a new password")).to_be_visible()
    with context.expect_page() as opened:
        page.frame_locator("iframe").get_by_role("link", name="Reset password").click()
    expect(opened.value.get_by_role("heading", name="Set a new password")).to_be_visible()
    page.set_viewport_size(PHONE)
    assert page_width(page) <= PHONE["width"]
    context.close()


def test_the_dev_mailbox_keeps_a_long_address_to_the_window(
    browser: Browser, demo: LiveServer
) -> None:
    """An e-mail to the longest address there is (64 bytes before the @-sign, 254 in all) in
    the development mailbox: its list and its page fit 1280 px and 375 px windows (the To
    cell pushed the list to 3,013 px)."""
    domain = ".".join(["d" * 62] * 3) + ".test"  # 3 x 62 + 2 dots + 5 = 193 characters
    address = f"{'a' * 60}@{domain}"[:254]
    add_user(demo, address)
    with demo.client() as client:
        client.post("/service/users/forgotPassword", json={"identifier": address})
    demo.wait_for_mail(lambda m: m.rcpt_to == [address])
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for width in (1280, PHONE["width"]):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"http://localhost:{demo.port}/_mailbox")
        expect(page.get_by_role("cell", name=address)).to_be_visible()
        assert page_width(page) <= width, f"the mailbox at {width} px"
        page.locator("table.mailbox a").first.click()
        expect(page.locator("pre.mail-text")).to_be_visible()
        assert page_width(page) <= width, f"the message at {width} px"
    context.close()
