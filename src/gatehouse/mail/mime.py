"""Builds the wire form of one e-mail: a multipart/alternative message (text and HTML) as
bytes with CRLF line endings, ready for SMTP DATA or SES, 7-bit clean unless an address itself
is not ASCII (then the transport requires SMTPUTF8).

Written out directly rather than through ``email.message.EmailMessage``: that API parses and
refolds every header through the header registry, which cost more per message than the SMTP
exchange itself (docs/benchmarks.md). The parts that need care come from the standard library:
RFC 2047 encoded words (``email.header.Header``), quoting (``email.utils.quote``)
and quoted-printable bodies (``binascii.b2a_qp``)."""

from __future__ import annotations

import binascii
import re
import time
from email.header import Header
from email.utils import formatdate, parseaddr, quote

from gatehouse.mail.templates.defaults import TemplateText

CRLF = "\r\n"
SPECIALS = re.compile(r'[][\\()<>@,:;".]')  # a display name with any of these is quoted


def build_message(
    rendered: TemplateText,
    *,
    sender_email: str,
    sender_name: str,
    recipient: str,
    reply_to: str | None,
    message_id: str,
) -> bytes:
    """Raises ValueError for a header value with a line break (it could inject a header)."""
    # "=_" cannot occur in quoted-printable text, so the boundary never appears in a part.
    boundary = f"=_gatehouse_{message_id}"
    domain = sender_email.rsplit("@", 1)[-1]
    headers = [
        ("From", _mailbox(sender_name, sender_email)),
        ("To", _address(recipient)),
        *([("Reply-To", _address(reply_to))] if reply_to else []),
        ("Subject", _unstructured("Subject", rendered.subject)),
        ("Date", _date()),
        # The same on every attempt: a receiver can tell a resend after a crash is no new mail.
        ("Message-ID", f"<{message_id}@{domain}>"),
        ("Auto-Submitted", "auto-generated"),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;{CRLF} boundary="{boundary}"'),
    ]
    lines = [f"{name}: {value}" for name, value in headers]
    lines += ["", f"--{boundary}", _part("plain", rendered.text)]
    lines += [f"--{boundary}", _part("html", rendered.html), f"--{boundary}--", ""]
    return CRLF.join(lines).encode("utf-8")


_dates: dict[int, str] = {}


def _date() -> str:
    """Now as an RFC 5322 date, formatted once per second."""
    second = int(time.time())
    if second not in _dates:
        _dates.clear()
        _dates[second] = formatdate(second, usegmt=True)
    return _dates[second]


def split_sender(value: str) -> tuple[str, str]:
    """``"Name <addr>"`` or ``addr`` -> (name, addr)."""
    name, address = parseaddr(value)
    return name, address


def _part(subtype: str, content: str) -> str:
    """One text part, quoted-printable: any line length and any character travel over 7 bits."""
    text = content.replace("\r\n", "\n").replace("\r", "\n")
    if not text.endswith("\n"):
        text += "\n"
    body = binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")
    return CRLF.join(
        (
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
            "",
            body.replace("\n", CRLF),
        )
    )


def _printable_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


def _refuse_line_breaks(value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError("Header values may not contain linefeed or carriage return characters")


def _unstructured(name: str, value: str) -> str:
    """Folded at white space; anything but printable ASCII goes into encoded words."""
    _refuse_line_breaks(value)
    plain = _printable_ascii(value) and "=?" not in value
    if plain and len(name) + len(value) <= 76:
        return value  # the common case: one short line as it is
    # Plain text folds only at white space; a longer word goes into encoded words, which
    # split anywhere, so no line grows past the limit.
    foldable = plain and max(map(len, value.split()), default=0) <= 60
    return Header(value, "us-ascii" if foldable else "utf-8", header_name=name).encode(linesep=CRLF)


def _mailbox(name: str, address: str) -> str:
    """``Name <address>``: an ASCII name quoted as needed, any other in encoded words."""
    if not name:
        return _address(address)
    _refuse_line_breaks(name)
    if _printable_ascii(name) and "=?" not in name:
        phrase = f'"{quote(name)}"' if SPECIALS.search(name) else name
        return f"{phrase} <{_address(address)}>"
    encoded = Header(name, "utf-8", header_name="From").encode(linesep=CRLF)
    return f"{encoded} <{_address(address)}>"


def _address(address: str) -> str:
    """Addresses are validated before they are stored; this only keeps a header one line."""
    _refuse_line_breaks(address)
    if "\x00" in address:
        raise ValueError("An address may not contain NUL")
    return address
