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


# The steps of a delivery or a check, as the Mail Server page names them: the SMTP steps, the
# SES call, and the steps before any server (rendering the template, Gatehouse itself).
STEP_LABELS = {
    "dns": "DNS lookup",
    "connect": "TCP connection",
    "tls": "TLS handshake",
    "starttls": "STARTTLS",
    "ehlo": "EHLO",
    "auth": "authentication (AUTH)",
    "mail": "sender (MAIL FROM)",
    "rcpt": "recipient (RCPT TO)",
    "data": "message (DATA)",
    "quit": "QUIT",
    "ses": "Amazon SES",
    "render": "template",
    "internal": "Gatehouse",
    "config": "configuration",
}


TEMPLATE_TEST = "{process} (template test)"
# The transport before an attempt's server, unless the server's description names it already
# ("Amazon SES eu-west-1"; it read "SES Amazon SES eu-west-1").
TRANSPORT_PREFIXES = {"smtp": "SMTP ", "ses": ""}


class _Message(Protocol):
    status: str
    attempts: int
    process: str
    template_set_id: str | None


def process_label(message: _Message) -> str:
    """The process's name; the test of one template (sent from its page, with sample values,
    through a set chosen explicitly) says so, or it reads as a real user's e-mail."""
    label = PROCESS_LABELS.get(message.process, message.process)
    return TEMPLATE_TEST.format(process=label) if message.template_set_id else label


def status_label(message: _Message) -> str:
    if message.status == QUEUED and message.attempts:
        return RETRYING
    return STATUS_LABELS.get(message.status, message.status)


def route_label(transport: str, server: str) -> str:
    """Where an attempt went: "SMTP mail.acme.test:465 (TLS)", "Amazon SES eu-west-1"."""
    return f"{TRANSPORT_PREFIXES.get(transport, transport.upper() + ' ')}{server}"


def step_label(step: str | None) -> str:
    return STEP_LABELS.get(step or "", step or "")


def error_text(error: str | None) -> str:
    """A stored error ("rcpt: The server refused ...") with its step named as the page names
    it ("Recipient (RCPT TO): The server refused ..."); the API keeps the stored text."""
    step, found, rest = (error or "").partition(": ")
    if not found or step not in STEP_LABELS:
        return error or ""
    label = STEP_LABELS[step]
    return f"{label[0].upper()}{label[1:]}: {rest}"


def register(environment: Environment) -> None:
    """The filters ``process`` (of a message), ``delivery_status``, ``outcome``, ``language``,
    ``step``, ``error_text`` and ``route`` (of an attempt)."""
    environment.filters["process"] = process_label
    environment.filters["delivery_status"] = status_label
    environment.filters["outcome"] = lambda outcome: OUTCOME_LABELS.get(outcome, outcome)
    environment.filters["language"] = lambda code: LANGUAGE_NAMES.get(code, code)
    environment.filters["step"] = step_label
    environment.filters["error_text"] = error_text
    environment.filters["route"] = lambda attempt: route_label(attempt.transport, attempt.server)
