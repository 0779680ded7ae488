"""The Amazon SES option's address rules, as the administrator reads their refusals."""

from __future__ import annotations

import pytest

from gatehouse.errors import ValidationError
from gatehouse.mail.ses import USERNAME_RULE, validate_username


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("no reply", "space"),
        ("it\tdesk", "U+0009"),
        ("it\u00a0desk", "U+00A0"),
        ("it@desk", "@"),
        ("a b@c", "space @"),
    ],
)
def test_a_refused_user_name_names_each_character_it_may_not_have(value: str, named: str) -> None:
    """Invisible characters are named (a space read "(not allowed:  )"), visible ones shown."""
    with pytest.raises(ValidationError) as refused:
        validate_username(value, field="from_username")
    assert refused.value.field == "from_username"
    assert refused.value.message == f"The user name {USERNAME_RULE} (not allowed: {named})."
