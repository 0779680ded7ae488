"""The browser's language from its Accept-Language header, for user-initiated e-mails: the
supported language ranked highest by q-value (HTTP gives the order of the list no meaning;
among equal q-values the one listed first wins), never one the header refuses with q=0."""

from __future__ import annotations

import re

from gatehouse.accounts.users import LANGUAGES

_SUBTAG_SEPARATOR = re.compile(r"[-_]")


def _quality(params: list[str]) -> float:
    """The q-value of one entry; 1 when absent or not a number (a lenient reading)."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 1.0
    return 1.0


def best_language(header: str) -> str | None:
    """The highest ranked supported language of ``header``; None when it names none."""
    ranked: list[tuple[float, int, str]] = []
    for position, entry in enumerate(header.split(",")):
        tag, *params = entry.split(";")
        code = _SUBTAG_SEPARATOR.split(tag.strip().lower())[0]
        quality = _quality(params)
        if code in LANGUAGES and quality > 0:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None
