"""Text people type that others see: names (of users, applications, template sets, systems)
and a sender's name. No line breaks or other control characters, C0 or C1, which would inject
mail headers or break a page's lines; no text-direction marks, overrides or isolates, which
turn the text after them around in an e-mail or a page (an application named "\u202emoc.knab" shows
as "bank.com")."""

from __future__ import annotations

import re

from gatehouse.errors import ValidationError

# C0 and C1 controls; the line and paragraph separators; the direction marks, embeddings,
# overrides and isolates.
HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
HIDDEN_REFUSED = "Line breaks, control characters and text-direction overrides are not allowed."


def reject_hidden(value: str, *, field: str, message: str = HIDDEN_REFUSED) -> None:
    """ValidationError(``field``, ``message``) when ``value`` holds such a character."""
    if HIDDEN.search(value):
        raise ValidationError(field, message)
