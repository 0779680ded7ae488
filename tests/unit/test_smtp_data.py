"""The DATA payload: dot-stuffing and the final CRLF.CRLF (RFC 5321 4.5.2)."""

from __future__ import annotations

import pytest

from gatehouse.mail.transports.smtp import data_block


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
