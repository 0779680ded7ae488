"""The language of user-initiated e-mails: the supported language the browser's
Accept-Language header ranks highest, by q-value as HTTP defines it, not by position."""

from __future__ import annotations

import pytest

from gatehouse.web.accept_language import best_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-DE,de;q=0.9,en;q=0.8", "de"),
        ("pt-BR", "pt"),
        ("zh_CN", "zh"),
        ("ES", "es"),
        ("fr;q=0.2, ja;q=0.9", "ja"),
        ("it;q=0.5, de", "de"),
        ("en;q=0.8, fr;q=0.8", "en"),
        ("de;q=0, fr;q=0.1", "fr"),
        ("de;q=0", None),
        ("nl, sv;q=0.5", None),
        ("*", None),
        ("", None),
        ("it;q=abc, fr;q=0.5", "it"),
        ("  , ;q=1, es ; q=0.7", "es"),
    ],
)
def test_the_highest_ranked_supported_language(header: str, expected: str | None) -> None:
    """q-values rank the languages (listed order breaks ties); q=0 refuses a language."""
    assert best_language(header) == expected
