"""The per-client limit of self-registrations on a real server: ten an hour per tenant from one
client network (X-Forwarded-For from the trusted local proxy, as behind deploy/nginx.conf),
the eleventh refused without a user or an e-mail, other networks unaffected."""

from __future__ import annotations

import statistics
import time
from typing import Any

from sqlalchemy import func, select

from gatehouse.accounts.models import User
from gatehouse.mail.models import OutboxMessage
from gatehouse.processes.registration_limit import TOO_MANY_REGISTRATIONS
from tests.integration.test_process_emails import switch_on
from tests.support.live import LiveServer
from tests.support.pages import post_form

LIMIT = 10  # GATEHOUSE_REGISTRATIONS_PER_CLIENT_HOUR's default


def register(live: LiveServer, client_address: str, email: str) -> Any:
    with live.client(headers={"x-forwarded-for": client_address}) as browser:
        form = {"email": email, "first_name": "Reg", "last_name": "Istrant"}
        return post_form(browser, "/register", form)


def counts(live: LiveServer, email: str) -> tuple[int, int]:
    """Users and queued or sent e-mails for ``email``."""

    async def read(runtime: Any) -> tuple[int, int]:
        async with runtime.sessions() as session:
            users = await session.scalar(select(func.count()).where(User.email == email))
            mails = await session.scalar(
                select(func.count()).where(OutboxMessage.recipient == email)
            )
        return int(users or 0), int(mails or 0)

    result: tuple[int, int] = live.run(read)
    return result


def test_a_network_registers_ten_times_an_hour_and_no_more(demo: LiveServer) -> None:
    switch_on(demo, self_registration=True)
    for n in range(LIMIT):
        answer = register(demo, "203.0.113.7", f"user{n}@example.org")
        assert (answer.status_code, answer.headers["location"]) == (303, "/register/sent")
    refused = register(demo, "203.0.113.7", "eleventh@example.org")
    assert refused.status_code == 429
    assert TOO_MANY_REGISTRATIONS.replace("'", "&#39;") in refused.text
    assert 'value="eleventh@example.org"' in refused.text  # the form keeps what was typed
    assert counts(demo, "eleventh@example.org") == (0, 0)
    # An address that has an account is refused alike: the limit tells nothing about accounts.
    assert register(demo, "203.0.113.7", "jane@demo.test").status_code == 429
    # Another network is not held up by this one.
    other = register(demo, "198.51.100.20", "other@example.org")
    assert other.status_code == 303 and counts(demo, "other@example.org") == (1, 1)


def test_one_ipv6_slash_64_counts_as_one_network(demo: LiveServer) -> None:
    switch_on(demo, self_registration=True)
    for n in range(LIMIT):
        assert register(demo, f"2001:db8:5:6::{n + 1:x}", f"v6-{n}@example.org").status_code == 303
    assert register(demo, "2001:db8:5:6:ffff::1", "v6-last@example.org").status_code == 429
    assert register(demo, "2001:db8:5:7::1", "v6-next@example.org").status_code == 303


def test_a_known_address_and_a_new_one_are_answered_alike_and_in_the_same_time(
    demo: LiveServer,
) -> None:
    """A new address costs a user, a link and an e-mail, a known one nothing: the answer, and
    its time (the floor every answer waits for), do not tell which addresses have accounts."""
    switch_on(demo, self_registration=True)
    durations: dict[str, list[float]] = {"known": [], "new": []}
    answers = set()
    for n in range(6):  # in turns, so a busy moment of the machine falls on both alike
        for kind, email in (("known", "jane@demo.test"), ("new", f"fresh{n}@example.org")):
            started = time.perf_counter()
            answer = register(demo, f"203.0.113.{n}", email)
            durations[kind].append(time.perf_counter() - started)
            answers.add((answer.status_code, answer.headers["location"]))
    medians = {kind: statistics.median(times) for kind, times in durations.items()}
    assert answers == {(303, "/register/sent")}
    assert min(medians.values()) >= 0.25, medians  # the floor (web/timing.py)
    assert max(medians.values()) - min(medians.values()) < 0.1, medians
    assert counts(demo, "fresh5@example.org") == (1, 1)


def test_a_name_refused_is_refused_alike_for_a_known_address_and_a_new_one(
    demo: LiveServer,
) -> None:
    """A name with a control character or a text-direction override is refused before the
    address is looked up: only a new user's creation refused it, so a known address passed
    (303) where a new one got 400, telling which addresses have accounts."""
    switch_on(demo, self_registration=True)
    answers: dict[str, set[tuple[int, str]]] = {}
    for n, (field, name) in enumerate(
        [("first_name", "A\tB"), ("last_name", "Evil\u202eliveE"), ("first_name", "x\x85y")]
    ):
        for kind, email in (("known", "jane@demo.test"), ("new", f"fresh{n}@example.org")):
            with demo.client(headers={"x-forwarded-for": f"203.0.113.{n}"}) as browser:
                form = {"email": email, "first_name": "Reg", "last_name": "Istrant", field: name}
                answer = post_form(browser, "/register", form)
            label = field.replace("_", " ")
            message = f"The {label} must not contain line breaks or other control characters."
            assert message in answer.text, (kind, field)
            answers.setdefault(field + name, set()).add((answer.status_code, kind))
    assert all({status for status, _ in found} == {400} for found in answers.values()), answers
    assert counts(demo, "fresh0@example.org") == (0, 0)
