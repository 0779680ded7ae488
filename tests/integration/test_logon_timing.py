"""Failed logons answer alike in status, page and time, on the end-user logon page and at the
console's sign-in: an unknown identifier, a wrong password, a locked password, an inactive
user and (at the console) a user who is not an administrator. A failed logon of an existing
user does more work (a lock, the lockout's count, perhaps the Locked Password e-mail), so
without the floor of web/timing.py its time would tell which identifiers have accounts."""

from __future__ import annotations

import statistics
import time

from gatehouse.processes.demo import DEMO_USER_PASSWORD
from tests.support.accounts import JANE, add_user
from tests.support.live import LiveServer
from tests.support.pages import csrf_token

LOGON_FAILED = "The e-mail, login name or password is not correct."
SIGN_IN_FAILED = f"{LOGON_FAILED[:-1]}, or you are not an administrator."
FLOOR = 0.5  # web/timing.py: above the work of any failed logon
ROUNDS = 4  # each wrong password counts toward a lock after five


def timed_failures(
    live: LiveServer, path: str, cases: dict[str, list[tuple[str, str]]]
) -> tuple[set[int], dict[str, list[str]], dict[str, float]]:
    """The statuses, each case's pages and each case's median time. The cases take turns,
    request by request, their order turning each round, so a busy moment of a shared machine
    falls on all of them alike."""
    statuses: set[int] = set()
    pages: dict[str, list[str]] = {name: [] for name in cases}
    durations: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    with live.client() as client:
        token = csrf_token(client.get(path))
        for round_no, turn in enumerate(zip(*cases.values(), strict=True)):
            shift = round_no % len(names)
            order = list(zip(names, turn, strict=True))
            for name, (identifier, password) in order[shift:] + order[:shift]:
                form = {"identifier": identifier, "password": password, "csrf_token": token}
                began = time.perf_counter()
                answer = client.post(path, data=form)
                durations[name].append(time.perf_counter() - began)
                statuses.add(answer.status_code)
                pages[name].append(answer.text)
    return statuses, pages, {name: statistics.median(d) for name, d in durations.items()}


def lock(live: LiveServer, email: str) -> None:
    """Five failed logons lock the password."""
    with live.client() as client:
        token = csrf_token(client.get("/"))
        for _ in range(5):
            form = {"identifier": email, "password": "Wrong-Pass-1", "csrf_token": token}
            assert client.post("/", data=form).status_code == 401


def test_failed_logons_on_the_logon_page_answer_alike(demo: LiveServer) -> None:
    existing = [f"user{n}@demo.test" for n in range(ROUNDS)]
    for email in [*existing, "locked@demo.test"]:
        add_user(demo, email)
    add_user(demo, "gone@demo.test", status="inactive")
    lock(demo, "locked@demo.test")
    cases = {
        "unknown": [(f"ghost{n}@demo.test", "Wrong-Pass-1") for n in range(ROUNDS)],
        "wrong password": [(email, "Wrong-Pass-1") for email in existing],
        "locked, right password": [("locked@demo.test", "User-Pass-123")] * ROUNDS,
        "inactive, right password": [("gone@demo.test", "User-Pass-123")] * ROUNDS,
    }
    statuses, pages, medians = timed_failures(demo, "/", cases)
    assert statuses == {401}
    assert all(LOGON_FAILED in page for found in pages.values() for page in found)
    assert min(medians.values()) >= FLOOR, medians
    assert max(medians.values()) - min(medians.values()) < 0.1, medians


def test_failed_console_sign_ins_answer_alike(demo: LiveServer) -> None:
    existing = [f"user{n}@demo.test" for n in range(ROUNDS)]
    for email in existing:
        add_user(demo, email)
    cases = {
        "unknown": [(f"ghost{n}@demo.test", "Wrong-Pass-1") for n in range(ROUNDS)],
        "wrong password": [(email, "Wrong-Pass-1") for email in existing],
        "not an administrator": [(JANE, DEMO_USER_PASSWORD)] * ROUNDS,
    }
    statuses, pages, medians = timed_failures(demo, "/admin/signin", cases)
    assert statuses == {401}
    assert all(SIGN_IN_FAILED in page for found in pages.values() for page in found)
    assert min(medians.values()) >= FLOOR, medians
    assert max(medians.values()) - min(medians.values()) < 0.1, medians
