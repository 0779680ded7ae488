"""How the console names an e-mail's process, status, language and attempt outcomes: as people
read them ("Forgot Password", "Retrying"), where the database and the API keep the stored
values ("forgot-password", "queued")."""

from __future__ import annotations

from typing import Protocol

from jinja2 import Environment

from gatehouse.accounts.users import LANGUAGE_NAMES
from gatehouse.mail.models import FAILED, QUEUED, SENDING, SENT
from gatehouse.mail.templates.types import TEMPLATE_TYPES

STATUS_LABELS = {QUEUED: "Queued", SENDING: "Sending", SENT: "Sent", FAILED: "Failed"}
RETRYING = "Retrying"  # queued again after a try that failed for a passing reason
OUTCOME_LABELS = {"pending": "Not finished", "sent": "Sent", "retry": "Retry", "failed": "Failed"}
PROCESS_LABELS = {slug: kind.label for slug, kind in TEMPLATE_TYPES.items()} | {
    "test-email": "Test E-Mail"
}


class _Message(Protocol):
    status: str
    attempts: int


def status_label(message: _Message) -> str:
    if message.status == QUEUED and message.attempts:
        return RETRYING
    return STATUS_LABELS.get(message.status, message.status)


def register(environment: Environment) -> None:
    """The filters ``process``, ``delivery_status``, ``outcome`` and ``language``."""
    environment.filters["process"] = lambda slug: PROCESS_LABELS.get(slug, slug)
    environment.filters["delivery_status"] = status_label
    environment.filters["outcome"] = lambda outcome: OUTCOME_LABELS.get(outcome, outcome)
    environment.filters["language"] = lambda code: LANGUAGE_NAMES.get(code, code)
