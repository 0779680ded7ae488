"""The standard password policy and argon2 hashing."""

from __future__ import annotations

import pytest

from gatehouse.accounts.passwords import (
    POLICY_CLASSES,
    POLICY_TOO_LONG,
    POLICY_TOO_SHORT,
    check_policy,
    hash_password,
    verify_password,
)
from gatehouse.errors import ValidationError


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!", POLICY_TOO_SHORT),
        ("Aa1" + "x" * 253, POLICY_TOO_LONG),
        ("lowercaseonly", POLICY_CLASSES),
        ("lowerUPPER", POLICY_CLASSES),
        ("12345678!", POLICY_CLASSES),
    ],
)
def test_policy_names_the_rule_broken(password: str, message: str) -> None:
    """Each broken rule is reported with its own message, on the password field."""
    with pytest.raises(ValidationError) as error:
        check_policy(password)
    assert error.value.field == "password"
    assert error.value.message == message


@pytest.mark.parametrize("password", ["lowerUPPER1", "lower1!xx", "UPPER1!XX", "Ab1!Ab1!"])
def test_three_of_four_groups_pass(password: str) -> None:
    """Any three of lower, upper, digit, symbol satisfy the policy."""
    check_policy(password)


def test_hash_verifies_only_the_right_password() -> None:
    """argon2 hashes verify the password they were made from, and nothing else."""
    stored = hash_password("Right-Pass-1")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "Right-Pass-1")
    assert not verify_password(stored, "Wrong-Pass-1")
    assert not verify_password(None, "Right-Pass-1")
    assert not verify_password("not-a-hash", "x")
