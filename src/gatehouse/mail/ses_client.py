"""The platform's Amazon SES account (sesv2), called off the event loop. Maps AWS errors to
the domain's DeliveryError tree at this boundary."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gatehouse.errors import ConfigurationError, PermanentDeliveryError, TransientDeliveryError
from gatehouse.mail.diagnosis import REDACTED
from gatehouse.settings import Settings

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServiceError",
        "RequestTimeout",
    }
)
SES_NOT_AVAILABLE = "The Amazon Simple Email Service option is not available on this platform."
AWS_LOGGERS = ("boto3", "botocore")
# An ARN of the platform's account ("arn:aws:iam::123456789012:user/ses"); group 1: its resource.
_ARN = re.compile(r"arn:aws[\w-]*:[\w-]*:[\w-]*:\d{12}:([^\s,;'\"`]+)")
_ACCOUNT_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
PLATFORM_ACCOUNT = "the platform's AWS account"


class _NoDebugRecords(logging.Filter):
    """botocore logs every request at DEBUG with its body (an e-mail's raw message: its links
    and codes, in base64) and its signed headers (the session token of temporary credentials):
    drop those records, whatever level an operator turns on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


_NO_DEBUG = _NoDebugRecords()


def quiet_aws_loggers() -> None:
    """The filter on every boto3 and botocore logger there is. A filter acts on its own
    logger's records only, and botocore makes its loggers as its modules load: called again
    for each request, it finds those made since (adding it twice adds it once)."""
    for name in list(logging.root.manager.loggerDict):
        if name.split(".", 1)[0] in AWS_LOGGERS:
            logging.getLogger(name).addFilter(_NO_DEBUG)


@dataclass(frozen=True)
class DnsRecord:
    type: str
    name: str
    value: str


@dataclass(frozen=True)
class IdentityState:
    verified: bool
    failed: bool


class SesClient:
    def __init__(self, settings: Settings) -> None:
        if not settings.ses_available:
            raise ConfigurationError("config", SES_NOT_AVAILABLE)
        self._settings = settings

    @cached_property
    def _client(self) -> Any:
        return boto3.client(
            "sesv2",
            region_name=self._settings.ses_region,
            endpoint_url=self._settings.ses_endpoint_url or None,
            config=Config(connect_timeout=10, read_timeout=30, retries={"max_attempts": 2}),
        )

    @property
    def label(self) -> str:
        return f"Amazon SES {self._settings.ses_region}"

    async def call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        """One sesv2 operation in a thread; AWS errors become DeliveryErrors naming the reason."""
        method = getattr(self._client, operation)
        quiet_aws_loggers()
        try:
            result: dict[str, Any] = await asyncio.to_thread(method, **kwargs)
        except ClientError as exc:
            raise client_error(exc) from exc
        except BotoCoreError as exc:  # endpoint unreachable, timeouts
            raise TransientDeliveryError("ses", f"Amazon SES could not be reached: {exc}") from exc
        return result

    async def create_identity(self, domain: str) -> list[DnsRecord]:
        """Register ``domain`` and return the DNS records its owner must publish."""
        answer = await self.call("create_email_identity", EmailIdentity=domain)
        tokens = answer.get("DkimAttributes", {}).get("Tokens", [])
        records = [DnsRecord("TXT", domain, "v=spf1 include:amazonses.com ~all")]
        records += [
            DnsRecord("CNAME", f"{token}._domainkey.{domain}", f"{token}.dkim.amazonses.com")
            for token in tokens
        ]
        return records

    async def identity_state(self, domain: str) -> IdentityState:
        answer = await self.call("get_email_identity", EmailIdentity=domain)
        status = answer.get("VerificationStatus", "PENDING")
        verified = bool(answer.get("VerifiedForSendingStatus")) or status == "SUCCESS"
        return IdentityState(verified=verified, failed=status == "FAILED")

    async def delete_identity(self, domain: str) -> None:
        try:
            await self.call("delete_email_identity", EmailIdentity=domain)
        except PermanentDeliveryError as exc:
            if "NotFound" not in exc.message:
                raise


def client_error(exc: ClientError) -> TransientDeliveryError | PermanentDeliveryError:
    error = exc.response.get("Error", {})
    code, message = str(error.get("Code", "Unknown")), str(error.get("Message", ""))
    text = f"Amazon SES refused the request ({code}): {without_account(message)}"
    if code in RETRYABLE_CODES:
        return TransientDeliveryError("ses", text)
    return PermanentDeliveryError("ses", text)


def without_account(message: str) -> str:
    """An AWS message as a tenant may read it: AWS names the platform's account (its ID, IAM
    users and roles) in refusals such as AccessDenied. An ARN of an SES identity becomes the
    identity (``identity/acme.test``), any other "the platform's AWS account"."""

    def shown(arn: re.Match[str]) -> str:
        return arn.group(1) if arn.group(1).startswith("identity/") else PLATFORM_ACCOUNT

    return _ACCOUNT_ID.sub(REDACTED, _ARN.sub(shown, message))
