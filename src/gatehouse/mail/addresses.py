"""E-mail address validation (internationalised addresses included) and header-safe text."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from gatehouse.errors import ValidationError

MAX_EMAIL_LENGTH = 254


def normalize_email(value: str, *, field: str) -> str:
    """A syntactically valid address, domain normalised, lower-cased; no DNS lookup."""
    value = value.strip()
    reject_control_characters(value, field=field)
    if not value:
        raise ValidationError(field, "Enter an e-mail address.")
    if len(value) > MAX_EMAIL_LENGTH:
        raise ValidationError(field, f"At most {MAX_EMAIL_LENGTH} characters.")
    try:
        # Reserved .test domains are allowed: demo and test tenants use them.
        result = validate_email(
            value, check_deliverability=False, allow_smtputf8=True, test_environment=True
        )
    except EmailNotValidError as exc:
        raise ValidationError(field, f"Not a valid e-mail address: {exc}") from None
    return result.normalized.lower()


def reject_control_characters(value: str, *, field: str) -> None:
    """CR, LF, NUL and other control characters would let a value inject mail headers."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(field, "Line breaks and control characters are not allowed.")
