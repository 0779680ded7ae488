"""The DATA payload (dot-stuffing and the final CRLF.CRLF, RFC 5321 4.5.2) and the envelope
addresses written with MAIL FROM and RCPT TO."""

from __future__ import annotations

import pytest

from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.transports.smtp import _envelope, data_block


@pytest.mark.parametrize(
    ("message", "payload"),
    [
        (b"a\r\nb\r\n", b"a\r\nb\r\n.\r\n"),
        (b"a\r\nb", b"a\r\nb\r\n.\r\n"),
        (b".a\r\n", b"..a\r\n.\r\n"),
        (b"a\r\n.\r\n..b\r\n", b"a\r\n..\r\n...b\r\n.\r\n"),
        (b"a.\r\nb.c\r\n", b"a.\r\nb.c\r\n.\r\n"),
        # Any other line end is made CRLF first, so no leading dot escapes the stuffing.
        (b"a\n.b\r.c\r\n", b"a\r\n..b\r\n..c\r\n.\r\n"),
    ],
)
def test_data_block(message: bytes, payload: bytes) -> None:
    assert data_block(message) == payload


@pytest.mark.parametrize("address", ["a b@x.test", "a\tb@x.test", "a\x7fb@x.test", "<a@x.test>"])
def test_an_address_with_a_control_character_is_refused_before_any_command(address: str) -> None:
    with pytest.raises(PermanentDeliveryError) as refused:
        _envelope(address, False, "rcpt")
    assert refused.value.step == "rcpt"
    assert refused.value.message == f"The address {address!r} cannot be used."


def test_an_international_address_is_written_as_utf8() -> None:
    assert _envelope("jürgen@bücher.test", True, "mail") == "<jürgen@bücher.test>".encode()
