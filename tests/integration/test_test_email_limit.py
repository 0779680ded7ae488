"""Test e-mails go to any address typed, with the tenant's template, maybe through the
platform's servers: a tenant may send GATEHOUSE_TEST_EMAILS_PER_TENANT_HOUR (20) of them in
any hour (mail/test_limit.py), from the console's mail server page, the test of one template,
or the REST API; the operator's `gatehouse mail send-test` is not limited."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from gatehouse.accounts.authorizations import Authorization
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.test_email import queue_test_email
from tests.support.accounts import api_client, sign_in
from tests.support.delivery import age_outbox
from tests.support.live import LiveServer
from tests.support.pages import csrf_token

LIMITED = (
    "20 test e-mails were sent for this tenant in the last hour, the most allowed. Try again later."
)
SERVER_PAGE = "/admin/tenant-settings/mail-server"
TEMPLATE_PAGE = "/admin/email-template-sets/default/templates/invitation/en"
API_TEST = "/admin/api/v1/template-sets/default/templates/invitation/en/test"


def queue_by_operator(live: LiveServer, count: int) -> None:
    """``count`` test e-mails of the demo tenant from the command line's path (not limited)."""

    async def work(runtime: Any) -> None:
        for n in range(count):
            await queue_test_email(runtime, tenant_id="demo", recipient=f"t{n}@demo.test", limit=0)

    live.run(work)


def send_tests(console: httpx.Client, api: httpx.Client) -> list[httpx.Response]:
    """One test e-mail each way: mail server page, template page, REST API."""
    answers = []
    for page, action in (
        (SERVER_PAGE, f"{SERVER_PAGE}/test-email"),
        (TEMPLATE_PAGE, f"{TEMPLATE_PAGE}/test"),
    ):
        form = {"to": "qa@demo.test", "csrf_token": csrf_token(console.get(page))}
        answers.append(console.post(action, data=form))
    answers.append(api.post(API_TEST, json={"to": "qa@demo.test"}))
    return answers


def test_a_tenants_test_emails_are_limited_per_hour(demo: LiveServer) -> None:
    queue_by_operator(demo, 20)  # the operator's are not refused, but count
    with (
        demo.client() as console,
        demo.client(auth=api_client(demo, Authorization.MANAGE_TENANT_CONFIGURATION)) as api,
    ):
        sign_in(console, "admin@demo.test")
        refused = send_tests(console, api)
        assert [answer.status_code for answer in refused] == [429, 429, 429]
        for page in refused[:2]:
            assert LIMITED in page.text and 'value="qa@demo.test"' in page.text
            card = page.text.split("<h2>Send Test E-Mail</h2>")[1].split("</section>")[0]
            assert LIMITED in card and "aria-invalid" not in card  # the address was right
        assert refused[2].json() == {"detail": LIMITED}
        age_outbox(demo, 61)  # an hour later
        sent = send_tests(console, api)
    assert [answer.status_code for answer in sent] == [303, 303, 202]


def test_an_emptied_to_field_is_refused_not_sent_to_the_administrator(demo: LiveServer) -> None:
    """Send Test E-Mail with the To field emptied, on both pages: the card says so and marks the
    field, and nothing is queued (it went to the signed-in administrator without a word)."""
    with demo.client() as console:
        sign_in(console, "admin@demo.test")
        answers = [
            console.post(action, data={"to": "", "csrf_token": csrf_token(console.get(page))})
            for page, action in (
                (SERVER_PAGE, f"{SERVER_PAGE}/test-email"),
                (TEMPLATE_PAGE, f"{TEMPLATE_PAGE}/test"),
            )
        ]
    assert [answer.status_code for answer in answers] == [422, 422]
    for answer in answers:
        card = answer.text.split("<h2>Send Test E-Mail</h2>")[1].split("</section>")[0]
        assert "To: Enter an e-mail address." in card and 'aria-invalid="true"' in card

    async def queued(runtime: Any) -> int:
        async with runtime.sessions() as session:
            return int(await session.scalar(select(func.count(OutboxMessage.id))) or 0)

    assert demo.run(queued) == 0
