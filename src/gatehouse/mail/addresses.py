"""E-mail address validation (internationalised addresses included) and header-safe text."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from gatehouse.errors import ValidationError

MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART_BYTES = 64  # RFC 5321 4.5.3.1.1 (RFC 6531 3.3): servers may refuse longer ones
LOCAL_PART_TOO_LONG = (
    "Not a valid e-mail address: at most 64 characters before the @-sign (fewer for accented "
    "or non-Latin letters)."
)


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
    except EmailNotValidError as exc:  # the library's reason, spelt as our messages spell it
        reason = str(exc).replace("email address", "e-mail address")
        raise ValidationError(field, f"Not a valid e-mail address: {reason}") from None
    # email_validator checks it only when strict; the limit is in bytes (UTF-8 when SMTPUTF8).
    if len(result.local_part.encode()) > MAX_LOCAL_PART_BYTES:
        raise ValidationError(field, LOCAL_PART_TOO_LONG)
    return result.normalized.lower()


def reject_control_characters(value: str, *, field: str) -> None:
    """CR, LF, NUL and other control characters would let a value inject mail headers."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError(field, "Line breaks and control characters are not allowed.")


def wire_address(address: str) -> str:
    """``address`` as mail carries it without SMTPUTF8 when it has such a form: a domain that
    is not ASCII in A-labels (``it@bücher.example`` -> ``it@xn--bcher-kva.example``, RFC 5321
    2.3.5) when the local part is ASCII. Addresses are stored with the domain as the user
    typed it (Unicode); a non-ASCII local part has no ASCII form and stays as it is (only a
    server with SMTPUTF8 takes it)."""
    if address.isascii() or not address.rpartition("@")[0].isascii():
        return address
    try:
        result = validate_email(
            address, check_deliverability=False, allow_smtputf8=True, test_environment=True
        )
    except EmailNotValidError:  # validated when stored: keep it, the server will say
        return address
    return result.ascii_email or address
