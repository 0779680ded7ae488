"""The wire form of an e-mail, read back with the standard library's parser: headers and parts
intact for any language, 7-bit lines of at most 78 characters, no header injection."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from gatehouse.mail.mime import build_message
from gatehouse.mail.templates.defaults import TemplateText


def build(
    subject: str = "Reset your password",
    text: str = "Hello,\nclick the link.",
    html: str = "<p>Hello</p>",
    *,
    sender_name: str = "Example IT",
    recipient: str = "jane@example.com",
    reply_to: str | None = None,
) -> bytes:
    return build_message(
        TemplateText(subject, text, html),
        sender_email="it@example.com",
        sender_name=sender_name,
        recipient=recipient,
        reply_to=reply_to,
        message_id="0123456789abcdef0123456789abcdef",
    )


def parse(wire: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(wire, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def content(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def test_headers_and_parts() -> None:
    message = parse(build(reply_to="help@example.com"))
    assert str(message["From"]) == "Example IT <it@example.com>"
    assert str(message["To"]) == "jane@example.com"
    assert str(message["Reply-To"]) == "help@example.com"
    assert str(message["Subject"]) == "Reset your password"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("0123456789abcdef0123456789abcdef@example.com>")
    assert message.get_content_type() == "multipart/alternative"
    assert content(message, "plain") == "Hello,\nclick the link.\n"
    assert content(message, "html") == "<p>Hello</p>\n"
    assert not message.defects


@pytest.mark.parametrize(
    ("subject", "name"),
    [
        ("Passwort zurücksetzen für Ihr Konto " * 4, "Jürgen Müller"),
        ("パスワードのリセット", "山田 太郎"),
        ("重置密码", "技术支持"),
        ("=?utf-8?q?looks_encoded?=", "=?utf-8?q?x?="),
        ("Tab\tand\x7fDEL", "Name\x00with NUL"),
    ],
)
def test_any_language_round_trips_in_seven_bits(subject: str, name: str) -> None:
    text = "Grüße, 你好 " + "ü" * 300
    wire = build(subject, text, f"<p>{text}</p>", sender_name=name)
    assert wire.isascii()
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    message = parse(wire)
    assert str(message["Subject"]) == subject
    assert message["From"].addresses[0].display_name == name
    assert content(message, "plain") == text + "\n"
    assert content(message, "html") == f"<p>{text}</p>\n"


def test_control_characters_never_reach_the_wire_raw() -> None:
    wire = build("a\x0bb\x1bc\x00", "text", "html", sender_name="x\x1e\x85y")
    assert not any(byte < 0x20 and byte not in b"\r\n" for byte in wire)
    # Encoded words carry them; the parser shows the vertical tab as white space.
    assert "".join(str(parse(wire)["Subject"]).split()) == "ab\x1bc\x00"


def test_names_with_specials_are_quoted() -> None:
    message = parse(build(sender_name='ACME, Inc. "IT" <desk>'))
    assert message["From"].addresses[0].display_name == 'ACME, Inc. "IT" <desk>'
    assert message["From"].addresses[0].addr_spec == "it@example.com"
    assert len(message["From"].addresses) == 1


def test_line_endings_are_crlf_and_bodies_keep_their_lines() -> None:
    wire = build(text="one\r\ntwo\rthree\nfour", html=".starts with a dot\n" + "x" * 200)
    assert b"\n" not in wire.replace(b"\r\n", b"")
    message = parse(wire)
    assert content(message, "plain") == "one\ntwo\nthree\nfour\n"
    assert content(message, "html") == ".starts with a dot\n" + "x" * 200 + "\n"


def test_the_boundary_never_occurs_in_a_part() -> None:
    message = parse(build(text="--=_gatehouse_ and =_ and --", html="=_gatehouse_"))
    assert content(message, "plain") == "--=_gatehouse_ and =_ and --\n"
    assert content(message, "html") == "=_gatehouse_\n"


@pytest.mark.parametrize("injected", ["\r\nBcc: victim@evil.test", "\nBcc: x@y", "\r"])
def test_a_line_break_in_a_header_is_refused(injected: str) -> None:
    for kwargs in ({"subject": "Hi" + injected}, {"sender_name": "IT" + injected}):
        with pytest.raises(ValueError, match="linefeed or carriage return"):
            build(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="linefeed or carriage return"):
        build(recipient="jane@example.com" + injected)


def test_a_non_ascii_address_is_written_as_utf8() -> None:
    """Only an address itself leaves 7 bits (the transport then requires SMTPUTF8)."""
    wire = build(recipient="jürgen@example.com")
    assert not wire.isascii()
    assert str(parse(wire)["To"]) == "jürgen@example.com"
    assert build().isascii()


def test_a_long_word_in_a_subject_never_makes_a_long_line() -> None:
    subject = "Token " + "x" * 1200 + " end"
    wire = build(subject)
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78
    assert str(parse(wire)["Subject"]) == subject
