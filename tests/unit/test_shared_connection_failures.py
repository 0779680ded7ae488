"""What a tenant on the platform default is told of failures that are not its own: the
platform's login, and another tenant's e-mail before it on a shared connection."""

from __future__ import annotations

import logging

import pytest

from gatehouse.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from gatehouse.mail.dispatcher import (
    NOT_TRIED,
    NOT_TRIED_AFTER_ANOTHER_TENANT,
    PLATFORM_LOGIN_FAILED,
    PLATFORM_LOGIN_FOR_NOW,
    _of_another_tenant,
    _on_platform_login,
)

REFUSED = (
    "The server refused the login of user AKIAEXAMPLE: 535 5.7.8 Authentication credentials "
    "invalid. Check the user name and password."
)


def test_a_refused_platform_login_names_no_user(caplog: pytest.LogCaptureFixture) -> None:
    told = _on_platform_login(PermanentDeliveryError("auth", REFUSED, reply_code=535))
    assert (type(told), told.step, told.message, told.reply_code) == (
        PermanentDeliveryError,
        "auth",
        PLATFORM_LOGIN_FAILED,
        535,
    )
    assert [r.levelname for r in caplog.records] == ["ERROR"]
    assert REFUSED in caplog.records[0].getMessage()  # the operator's log has the diagnosis


@pytest.mark.parametrize(
    "failure",
    [
        TransientDeliveryError(
            "auth", "The mail server 10.0.0.5:587 timed out during AUTH.", timed_out=True
        ),
        TransientDeliveryError(
            "auth",
            "The server temporarily refused the login: 454 AKIAEXAMPLE throttled.",
            reply_code=454,
        ),
    ],
)
def test_a_platform_login_that_failed_for_now_is_retried_in_our_words(
    failure: TransientDeliveryError, caplog: pytest.LogCaptureFixture
) -> None:
    """Retried as it was, ``timed_out`` included, so the batch's next messages do not wait out
    the same timeout (it was made a lasting login failure whose connection was not known as
    failed, with an ERROR per message); in our words, as a 454 may quote the user name."""
    with caplog.at_level(logging.INFO):
        told = _on_platform_login(failure)
    assert (type(told), told.step, told.reply_code, told.timed_out) == (
        TransientDeliveryError,
        "auth",
        failure.reply_code,
        failure.timed_out,
    )
    assert told.message == PLATFORM_LOGIN_FOR_NOW
    assert told.fails_the_connection == failure.fails_the_connection
    assert [(r.levelname, failure.message in r.getMessage()) for r in caplog.records] == [
        ("WARNING", True)
    ]


@pytest.mark.parametrize(
    ("failure", "told"),
    [
        (  # a reply to the other tenant's e-mail: its code only
            TransientDeliveryError(
                "data",
                "The server temporarily refused the message: 451 Subject 'Hi Ann' held.",
                reply_code=451,
            ),
            NOT_TRIED_AFTER_ANOTHER_TENANT.format(code=451),
        ),
        (  # a greeting answers the connection, not an e-mail: as it is
            TransientDeliveryError(
                "connect",
                "The server temporarily refused the connection: 421 Too busy.",
                reply_code=421,
            ),
            f"The server temporarily refused the connection: 421 Too busy. {NOT_TRIED}",
        ),
        (  # a failure naming the other tenant's recipient: without it
            TransientDeliveryError(
                "rcpt", "Could not deliver to ann@acme.test: the connection closed."
            ),
            f"Could not deliver to [redacted]: the connection closed. {NOT_TRIED}",
        ),
        (  # the platform's login, in our words already: as it is
            PermanentDeliveryError("auth", PLATFORM_LOGIN_FAILED, reply_code=535),
            f"{PLATFORM_LOGIN_FAILED} {NOT_TRIED}",
        ),
        (  # a reply at RCPT quoting more than the address: its code only
            TransientDeliveryError(
                "rcpt",
                "The server temporarily refused the recipient: 450 <ann@acme.test> "
                "of Acme's 'Reset your password' held.",
                reply_code=450,
            ),
            NOT_TRIED_AFTER_ANOTHER_TENANT.format(code=450),
        ),
    ],
)
def test_another_tenants_failure_is_passed_on_without_its_email(
    failure: DeliveryError, told: str
) -> None:
    assert _of_another_tenant(failure, "ann@acme.test") == told
