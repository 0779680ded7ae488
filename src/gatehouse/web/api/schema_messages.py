"""A request refused by its schema, said in the service's own words: "The port must be a whole
number." rather than pydantic's "Input should be a valid integer", and "The first name must be
at most 64 characters." rather than "String should have at most 64 characters". The sentence
names the field, as the service's own refusals do, for a client that shows only the message."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

# Words of a field's name written as the pages write them (home_url -> "The home URL").
_INITIALS = {"id": "ID", "url": "URL", "ses": "SES", "otp": "code", "email": "e-mail"}

_Phrase = Callable[[Mapping[str, Any]], str]

# What the field must be, by pydantic's error type; the context holds the limit.
_MUST: dict[str, _Phrase] = {
    "string_too_long": lambda c: f"be at most {c['max_length']:,} characters",
    "string_too_short": lambda c: (
        "not be empty" if c["min_length"] == 1 else f"be at least {c['min_length']} characters"
    ),
    "string_type": lambda c: "be text",
    "int_type": lambda c: "be a whole number",
    "int_parsing": lambda c: "be a whole number",
    "int_from_float": lambda c: "be a whole number",
    "bool_type": lambda c: "be true or false",
    "bool_parsing": lambda c: "be true or false",
    "greater_than_equal": lambda c: f"be {c['ge']} or more",
    "greater_than": lambda c: f"be more than {c['gt']}",
    "less_than_equal": lambda c: f"be {c['le']} or less",
    "less_than": lambda c: f"be less than {c['lt']}",
    "literal_error": lambda c: f"be {c['expected']}",
    "list_type": lambda c: "be a list",
    "dict_type": lambda c: "be a JSON object",
    "model_type": lambda c: "be a JSON object",
}


def field_label(location: tuple[str | int, ...]) -> str:
    """ "The first name" for ``("body", "first_name")``; a list item is named by its list."""
    names = [part for part in location[1:] if isinstance(part, str)]
    if not names:
        return "The body"
    words = names[-1].split("_")
    return "The " + " ".join(_INITIALS.get(word, word) for word in words)


def plain_message(error: Mapping[str, Any]) -> str:
    """The error in the service's words; pydantic's own message for a rare kind not listed."""
    label = field_label(tuple(error["loc"]))
    kind = error["type"]
    if kind == "json_invalid":
        return "The body is not valid JSON."
    if kind == "missing":
        return f"{label} is required."
    if kind == "extra_forbidden":
        return f"{label} is not a field of this request."
    phrase = _MUST.get(kind)
    if phrase is None:
        return str(error["msg"])
    return f"{label} must {phrase(error.get('ctx') or {})}."
