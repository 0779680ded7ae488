"""What a tenant reads of an SES refusal: the reason, without the platform's AWS account (its
ID, its IAM users and roles), which AWS writes into refusals such as AccessDenied."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.ses_client import client_error


def refusal(code: str, message: str) -> str:
    error = client_error(ClientError({"Error": {"Code": code, "Message": message}}, "SendEmail"))
    assert isinstance(error, PermanentDeliveryError)
    return error.message


@pytest.mark.parametrize(
    ("message", "read"),
    [
        (
            "User: arn:aws:iam::123456789012:user/gatehouse-ses is not authorized to perform: "
            "ses:SendEmail on resource: arn:aws:ses:eu-west-1:123456789012:identity/acme.test",
            "User: the platform's AWS account is not authorized to perform: ses:SendEmail on "
            "resource: identity/acme.test",
        ),
        (
            "User: arn:aws:sts::123456789012:assumed-role/gatehouse/i-0abc is not authorized "
            "to perform: ses:SendEmail because no identity-based policy allows it",
            "User: the platform's AWS account is not authorized to perform: ses:SendEmail "
            "because no identity-based policy allows it",
        ),
        (
            "Sending paused for account 123456789012.",
            "Sending paused for account [redacted].",
        ),
    ],
)
def test_a_refusal_names_no_account_of_the_platform(message: str, read: str) -> None:
    """ARNs become the SES identity they name, or "the platform's AWS account"; a bare account
    ID is redacted."""
    assert refusal("AccessDeniedException", message) == (
        f"Amazon SES refused the request (AccessDeniedException): {read}"
    )


def test_a_refusal_without_an_account_is_unchanged() -> None:
    """MessageRejected's reason reaches the administrator word for word."""
    message = "Email address is not verified. The following identities failed the check."
    assert refusal("MessageRejected", message) == (
        f"Amazon SES refused the request (MessageRejected): {message}"
    )
