"""SES transport: the raw MIME message through sesv2 SendEmail, behind the same contract as
SMTP. Throttling and service errors retry; MessageRejected and the like fail at once."""

from __future__ import annotations

from gatehouse.mail.ses_client import SesClient
from gatehouse.mail.transports.base import check_send_deadline


class SesTransport:
    kind = "ses"

    def __init__(self, client: SesClient) -> None:
        self._client = client

    @property
    def server(self) -> str:
        return self._client.label

    @property
    def in_use(self) -> bool:
        return False  # one for the process, never retired

    async def send(self, message: bytes, *, sender: str, recipients: list[str]) -> str:
        check_send_deadline()
        answer = await self._client.call(
            "send_email",
            FromEmailAddress=sender,
            Destination={"ToAddresses": recipients},
            Content={"Raw": {"Data": message}},
        )
        return f"accepted as {answer.get('MessageId', '?')}"

    async def close(self) -> None:
        """Nothing to release: boto3 keeps its own connection pool."""
