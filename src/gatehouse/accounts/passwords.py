"""Password hashing (argon2) and the standard password policy."""

from __future__ import annotations

import asyncio
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gatehouse.errors import ValidationError

_hasher = PasswordHasher()
# Verified against when the user does not exist, so both paths cost the same.
DUMMY_HASH = _hasher.hash("gatehouse-dummy-password")

MIN_LENGTH, MAX_LENGTH = 8, 255
POLICY_TOO_SHORT = f"The password must have at least {MIN_LENGTH} characters."
POLICY_TOO_LONG = f"The password must have at most {MAX_LENGTH} characters."
POLICY_CLASSES = (
    "The password must contain characters from at least 3 of these groups: "
    "lower-case letters, upper-case letters, digits, symbols."
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; a missing hash still spends the time of one check."""
    try:
        return _hasher.verify(password_hash or DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password_off_loop(password_hash: str | None, password: str) -> bool:
    """verify_password in a worker thread: argon2 takes tens of milliseconds of CPU, which
    would otherwise stall every other request of the event loop."""
    return await asyncio.to_thread(verify_password, password_hash, password)


def check_policy(password: str, *, field: str = "password") -> None:
    """The standard policy: 8-255 characters from at least 3 of 4 character groups."""
    if len(password) < MIN_LENGTH:
        raise ValidationError(field, POLICY_TOO_SHORT)
    if len(password) > MAX_LENGTH:
        raise ValidationError(field, POLICY_TOO_LONG)
    groups = [
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() or c in string.punctuation for c in password),
    ]
    if sum(groups) < 3:
        raise ValidationError(field, POLICY_CLASSES)
