"""A message's own secrets in what its server answered. A server refusing a message may quote
it: spam filters quote the links they object to, some servers the whole body, in its
quoted-printable form. What is stored of a reply or an error (attempts, the message's last
error: shown in the console and the API) never holds a link's token or an e-mail code."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gatehouse.mail.diagnosis import REDACTED

# A link's token as it stands in a message's stored context (JSON text).
_TOKEN = re.compile(r"[?&]token=([A-Za-z0-9_-]{16,})")
_CODE = re.compile(r'"emailOtpCode": ?"([0-9A-Za-z]+)"')
# Pieces of a token shorter than this tell nothing of it; pieces this long are removed
# wherever they stand (quoted-printable breaks a quoted link into lines, "=3D" before it).
PIECE = 12
# What a piece of a token or a code could stand in: without one, a reply holds neither (most
# replies, "250 2.0.0 Ok: queued as 4Fz1", are settled without reading the context).
# (E-mail codes have 8 digits; any run of 6 is looked at, and any quoted-printable line
# break, which may split a code.)
_CANDIDATE = re.compile(rf"[A-Za-z0-9_-]{{{PIECE},}}|[0-9]{{6,}}|=\r?\n")
_SOFT_BREAK = r"(?:=\r?\n)?"  # quoted-printable's, where it wrapped a long line


def without_secrets(text: str, context_json: str | None) -> str:
    """``text`` without the secrets of the message whose stored context is ``context_json``."""
    if not _CANDIDATE.search(text):
        return text
    return MessageSecrets.of(context_json).removed_from(text)


@dataclass(frozen=True)
class MessageSecrets:
    tokens: tuple[str, ...]
    codes: tuple[str, ...]

    @classmethod
    def of(cls, context_json: str | None) -> MessageSecrets:
        """The tokens of the links and the codes in a message's stored context."""
        text = context_json or ""
        return cls(tuple(_TOKEN.findall(text)), tuple(_CODE.findall(text)))

    def removed_from(self, text: str) -> str:
        """``text`` with every piece of a token (``PIECE`` characters or more) and every code
        not part of a longer number (also where quoted-printable broke it over two lines, or
        put "=3D" before it) replaced by ``[redacted]``."""
        if not (self.tokens or self.codes) or not text:
            return text
        spans = [span for token in self.tokens for span in _pieces_in(text, token)]
        for code in self.codes:
            pattern = _SOFT_BREAK.join(re.escape(character) for character in code)
            spans += [m.span() for m in re.finditer(rf"(?<!\d){pattern}(?!\d)", text)]
        return _replaced(text, spans)


def _pieces_in(text: str, token: str) -> list[tuple[int, int]]:
    """Where ``PIECE``-long pieces of ``token`` stand in ``text`` (overlapping pieces of a
    longer run merge when replaced)."""
    spans = []
    for start in range(len(token) - PIECE + 1):
        piece = token[start : start + PIECE]
        found = text.find(piece)
        while found != -1:
            spans.append((found, found + PIECE))
            found = text.find(piece, found + 1)
    return spans


def _replaced(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each run of overlapping or touching ``spans`` replaced by one mark."""
    out: list[str] = []
    position = 0
    for start, end in sorted(spans):
        if start <= position and out:  # continues the run just replaced
            position = max(position, end)
            continue
        out += [text[position:start], REDACTED]
        position = end
    return "".join(out) + text[position:]
