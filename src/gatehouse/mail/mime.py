"""Builds the multipart (text + HTML) MIME message of one e-mail."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from gatehouse.mail.templates.defaults import TemplateText


def build_message(
    rendered: TemplateText,
    *,
    sender_email: str,
    sender_name: str,
    recipient: str,
    reply_to: str | None,
    message_id: str,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = Address(display_name=sender_name, addr_spec=sender_email)
    message["To"] = recipient
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False)
    domain = sender_email.rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid(idstring=message_id, domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def split_sender(value: str) -> tuple[str, str]:
    """``"Name <addr>"`` or ``addr`` -> (name, addr)."""
    name, address = parseaddr(value)
    return name, address
