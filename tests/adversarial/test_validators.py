"""Property tests (Hypothesis) for every validator: host names, ports, rate limits, e-mail
addresses (internationalised too), sender names, user names and passwords of a custom server,
SES user names and domains, tenant display names and IDs, and the password policy. Each either
refuses with a ValidationError naming its field or returns a value that is safe to put into a
mail header. A MIME message built from any sender name, subject or user name never carries a
header that was not put there on purpose."""

from __future__ import annotations

import email
import email.policy
import ipaddress
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from gatehouse.accounts.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    POLICY_CLASSES,
    POLICY_TOO_LONG,
    POLICY_TOO_SHORT,
    check_policy,
)
from gatehouse.errors import ValidationError
from gatehouse.mail.addresses import MAX_EMAIL_LENGTH, normalize_email
from gatehouse.mail.config import HOST_LABEL_RE, validate_custom, validate_host
from gatehouse.mail.mime import build_message
from gatehouse.mail.ses import LABEL_RE, USERNAME_RE, validate_domain, validate_username
from gatehouse.mail.templates.defaults import DEFAULT_SET, TemplateText
from gatehouse.mail.templates.render import render
from gatehouse.tenants.service import (
    RESERVED_IDS,
    TENANT_ID_RE,
    validate_display_name,
    validate_tenant_id,
)

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
# Text as it arrives from an HTTP form or JSON body: any Unicode but lone surrogates.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
BREAKS = ["\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029"]
INJECTION = st.sampled_from(BREAKS).map(lambda b: f"{b}Bcc: victim@evil.test")
CONTROL = st.sampled_from([chr(c) for c in [*range(32), 127]])
EXPECTED_HEADERS = {
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
}
VALID_CUSTOM = {
    "host": "smtp.example.com",
    "port": "587",
    "security": "starttls",
    "authentication": "password",
    "username": "mailer",
    "password": "S3cret-pass",
    "sender_email": "it@example.com",
    "sender_name": "IT",
}
IDN_DOMAINS = ["bücher.example", "例え.テスト", "пример.испытание", "xn--bcher-kva.example"]


def refused_field(call: Any, *args: Any, **kwargs: Any) -> str | None:
    """The field a ValidationError names, or None when ``call`` accepted the value; any other
    exception fails the test."""
    try:
        call(*args, **kwargs)
    except ValidationError as exc:
        return exc.field
    return None


def no_control(value: str) -> bool:
    return not any(ord(c) < 32 or ord(c) == 127 for c in value)


def custom(**changes: Any) -> dict[str, Any]:
    return {**VALID_CUSTOM, **changes}


# --- host names ----------------------------------------------------------------------------


@SETTINGS
@given(TEXT)
@example("smtp.example.com")
@example("[::1]")
@example("bücher.example")
@example("a" * 64 + ".example")
@example("x." * 127 + "x")
@example("smtp.example.com\r\nRCPT TO:<x@y>")
@example("localhost\x00.evil.test")
def test_a_host_is_an_address_or_a_clean_ascii_name(value: str) -> None:
    """Any text: refused naming host, or an IP address, or a lower-case ASCII DNS name."""
    try:
        host = validate_host(value)
    except ValidationError as exc:
        assert exc.field == "host"
        return
    try:
        ipaddress.ip_address(host)
        return
    except ValueError:
        pass
    assert host.isascii() and host == host.lower() and no_control(host)
    assert len(host) <= 253
    assert all(HOST_LABEL_RE.fullmatch(label) for label in host.split("."))
    assert validate_host(host) == host  # stable: what is stored validates to itself


@SETTINGS
@given(st.sampled_from(["smtp.example.com", "bücher.example", "10.0.0.1"]), INJECTION)
def test_a_host_with_line_breaks_is_refused(host: str, injected: str) -> None:
    """CR, LF, NUL and friends in a host name: refused, through the form's validation too."""
    assert refused_field(validate_custom, custom(host=host + injected)) == "host"


@SETTINGS
@given(st.integers(min_value=254, max_value=2000))
def test_an_overlong_host_is_refused(length: int) -> None:
    """A name longer than 253 characters (valid labels) is refused."""
    labels = ".".join(["a" * 60] * (length // 61 + 1))[:length].strip(".")
    assert refused_field(validate_custom, custom(host=labels)) == "host"


# --- ports and rate limits -----------------------------------------------------------------


@SETTINGS
@given(
    st.one_of(
        st.integers(min_value=-(10**12), max_value=10**12),
        TEXT,
        st.floats(allow_nan=True),
        st.booleans(),
        st.none(),
    )
)
@example("65536")
@example("0")
@example(" 587 ")
@example("25\r\n")
def test_a_port_is_refused_or_between_1_and_65535(value: Any) -> None:
    """Any port value: refused naming port (or its type), or a whole number 1 to 65535."""
    try:
        result = validate_custom(custom(port=value))
    except ValidationError as exc:
        assert exc.field == "port"
        return
    assert isinstance(result.port, int) and 1 <= result.port <= 65535


@SETTINGS
@given(st.one_of(st.integers(min_value=-(10**6), max_value=10**6), TEXT, st.none()))
def test_a_rate_limit_is_empty_or_30_to_600(value: Any) -> None:
    """Empty, or 30 to 600 e-mails per minute; anything else refused naming the field."""
    try:
        result = validate_custom(custom(rate_limit_per_minute=value))
    except ValidationError as exc:
        assert exc.field == "rate_limit_per_minute"
        return
    assert result.rate_limit_per_minute is None or 30 <= result.rate_limit_per_minute <= 600


# --- e-mail addresses ----------------------------------------------------------------------

LOCAL = st.text(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~.", min_size=1)
UNICODE_LOCAL = st.text(st.characters(categories=["Ll", "Lu", "Lo"]), min_size=1, max_size=20)


@SETTINGS
@given(st.one_of(TEXT, st.builds(lambda a, d: f"{a}@{d}", LOCAL | UNICODE_LOCAL, TEXT)))
@example("Jürgen@Bücher.Example")
@example("用户@例え.テスト")
@example("a@b.test\r\nBcc: victim@evil.test")
@example("a@b.test\u2028Bcc: victim@evil.test")
@example('"quoted local"@example.com')
@example("x" * 250 + "@e.test")
def test_an_address_is_refused_or_normalised_and_header_safe(value: str) -> None:
    """Any text: refused naming the field, or one lower-case address, at most 254 characters,
    without control characters, that normalises to itself."""
    try:
        address = normalize_email(value, field="to")
    except ValidationError as exc:
        assert exc.field == "to"
        return
    assert address == address.lower() and address.count("@") == 1
    assert no_control(address) and "\u2028" not in address and "\x85" not in address
    assert len(address) <= MAX_EMAIL_LENGTH and len(address.split("@")[0].encode()) <= 64
    assert " " not in address and "<" not in address and ">" not in address
    assert normalize_email(address, field="to") == address


def test_an_address_takes_64_characters_before_the_at_sign_and_no_more() -> None:
    """RFC 5321's limit of the local part (a browser's 254-character field cut a longer
    address into another domain, which was sent to)."""
    assert normalize_email("a" * 64 + "@x.test", field="to") == "a" * 64 + "@x.test"
    assert normalize_email("ü" * 32 + "@x.test", field="to") == "ü" * 32 + "@x.test"  # 64 bytes
    for local in ("a" * 65, "ü" * 33):  # the limit is in bytes, as mail carries them
        with pytest.raises(ValidationError) as caught:
            normalize_email(local + "@x.test", field="to")
        assert (caught.value.field, caught.value.message) == (
            "to",
            "Not a valid e-mail address: at most 64 characters before the @-sign (fewer for "
            "accented or non-Latin letters).",
        )


@SETTINGS
@given(UNICODE_LOCAL, st.sampled_from(IDN_DOMAINS))
def test_internationalised_addresses_are_accepted(local: str, domain: str) -> None:
    """Letters of any script before the @ and IDN domains after it are valid addresses."""
    assume(not local[0].isdigit())
    try:
        address = normalize_email(f"{local}@{domain}", field="to")
    except ValidationError as exc:
        pytest.fail(f"{local}@{domain} refused: {exc.message}")
    assert address.endswith("@" + normalize_email(f"x@{domain}", field="to").split("@")[1])


@SETTINGS
@given(st.sampled_from(["sender_email", "reply_to"]), INJECTION)
def test_sender_and_reply_to_with_line_breaks_are_refused(field: str, injected: str) -> None:
    """A sender or reply-to address carrying a line break is refused naming its field."""
    assert refused_field(validate_custom, custom(**{field: "it@example.com" + injected})) == field


# --- sender names, user names, passwords and other free text of a custom server -----------


@SETTINGS
@given(TEXT, INJECTION)
def test_a_sender_name_with_line_breaks_or_nul_is_refused(name: str, injected: str) -> None:
    """Control characters inside the sender name (leading and trailing white space is
    trimmed first): refused naming sender_name."""
    assume(no_control(name))
    value = name[: len(name) // 2] + injected + name[len(name) // 2 :]
    if any(b in value.strip() for b in ("\r", "\n", "\x00", "\x0b", "\x0c", "\x1c")):
        assert refused_field(validate_custom, custom(sender_name=value)) == "sender_name"


@SETTINGS
@given(
    st.sampled_from(["sender_name", "username", "password"]),
    TEXT,
    CONTROL,
)
def test_control_characters_are_refused_in_every_text_field(
    field: str, text: str, control: str
) -> None:
    """NUL, CR, LF and every other C0 control character: refused naming the field."""
    assert refused_field(validate_custom, custom(**{field: f"a{text}{control}b"})) == field


@pytest.mark.parametrize(
    ("field", "limit"), [("sender_name", 100), ("username", 256), ("password", 512)]
)
def test_overlong_fields_are_refused_at_their_limit(field: str, limit: int) -> None:
    """Each text field takes exactly its limit, and one character more is refused."""
    assert refused_field(validate_custom, custom(**{field: "é" * limit})) is None
    assert refused_field(validate_custom, custom(**{field: "é" * (limit + 1)})) == field


@SETTINGS
@given(TEXT)
def test_any_accepted_sender_name_is_header_safe(name: str) -> None:
    """Whatever sender name validation accepts builds a message with no extra header."""
    try:
        wanted = validate_custom(custom(sender_name=name))
    except ValidationError as exc:
        assert exc.field == "sender_name"
        return
    message = mime(sender_name=wanted.sender_name)
    assert set(message.keys()) == EXPECTED_HEADERS
    shown = message["From"].addresses[0].display_name
    # Folding may turn runs of white space into one, or split long encoded words with one.
    assert "".join(shown.split()) == "".join(wanted.sender_name.split())


# --- MIME: no header injection, even past validation ---------------------------------------


def mime(*, subject: str = "Subject", sender_name: str = "IT", recipient: str = "r@x.test") -> Any:
    built = build_message(
        TemplateText(subject, "text body", "<p>html body</p>"),
        sender_email="it@example.com",
        sender_name=sender_name,
        recipient=recipient,
        reply_to=None,
        message_id="0123456789abcdef",
    )
    return email.message_from_bytes(built, policy=email.policy.default)


@SETTINGS
@given(TEXT, TEXT, INJECTION)
def test_build_message_never_emits_an_injected_header(
    subject: str, name: str, injected: str
) -> None:
    """Subject and sender name straight into build_message (no validation before it), with CR,
    LF, NUL or Unicode line separators: refused with ValueError, or exactly the expected
    headers with the values intact."""
    for kwargs in ({"subject": subject + injected}, {"sender_name": name + injected}):
        try:
            message = mime(**kwargs)
        except ValueError:
            continue
        assert set(message.keys()) == EXPECTED_HEADERS, kwargs
        assert message["Bcc"] is None
        assert len(message.get_all("To")) == 1


@SETTINGS
@given(TEXT, INJECTION)
@example("Jane", "\r\nBcc: victim@evil.test")
def test_a_users_name_cannot_inject_headers_through_a_subject(first: str, injected: str) -> None:
    """A first name with line breaks (names are free text) rendered into every Default subject
    that uses it: one header line, the expected headers only."""
    context = {
        "user": {
            "firstName": first + injected,
            "lastName": injected,
            "sp_name": "Demo" + injected,
            "reset_password_link": "https://demo.localhost/reset-password?token=t",
            "ids_home_link": "https://demo.localhost/",
        },
        "other": {"code": "12345678", "alertText": injected, "totpResetPasscode": "1"},
    }
    for (process, language), template in DEFAULT_SET.items():
        if language != "en":
            continue
        try:
            rendered = render(template, context)
        except Exception as exc:  # a template needing a placeholder this context lacks
            assert type(exc).__name__ == "PermanentDeliveryError", process
            continue
        assert not any(b in rendered.subject for b in BREAKS if b != "\x00")
        message = mime(subject=rendered.subject)
        assert set(message.keys()) == EXPECTED_HEADERS, process
        assert message["Bcc"] is None


# --- SES user names and domains ------------------------------------------------------------


@SETTINGS
@given(TEXT)
@example("no-reply")
@example("no reply")
@example("a@b")
@example("x" * 65)
@example("info\r\nBcc: v@e.test")
def test_an_ses_user_name_is_refused_or_a_plain_local_part(value: str) -> None:
    """Refused naming the field, or 1 to 64 of the allowed ASCII characters (no @, no space,
    no line break)."""
    field = refused_field(validate_username, value, field="from_username")
    if field is not None:
        assert field == "from_username"
        return
    assert USERNAME_RE.fullmatch(value) and value.isascii() and 1 <= len(value) <= 64
    assert "@" not in value and no_control(value)


@SETTINGS
@given(TEXT)
@example("example.com")
@example("Mail.Example.COM.")
@example("-bad.example")
@example("single")
@example("bücher.example")
@example("a." * 127 + "com")
@example("example.com\r\n")
def test_an_ses_domain_is_refused_or_lower_case_labels(value: str) -> None:
    """Refused naming domain, or at least two valid lower-case labels, at most 253 characters."""
    try:
        domain = validate_domain(value)
    except ValidationError as exc:
        assert exc.field == "domain"
        return
    labels = domain.split(".")
    assert len(labels) >= 2 and len(domain) <= 253 and domain == domain.lower()
    assert all(LABEL_RE.fullmatch(label) for label in labels) and domain.isascii()
    assert validate_domain(domain) == domain


# --- tenants -------------------------------------------------------------------------------


@SETTINGS
@given(TEXT)
@example("Acme Corp")
@example("Ünïcødé GmbH")
@example("株式会社")
@example("Acme\nCorp")
@example("Acme\u202eevil")
@example("Acme\u200bCorp")
@example(" ")
@example("x" * 51)
def test_a_display_name_is_refused_or_plain_words(value: str) -> None:
    """Refused naming display_name, or 1 to 50 letters, digits, spaces and _ - . ' only: no
    control, format (bidi override, zero width) or line-break characters."""
    field = refused_field(validate_display_name, value)
    if field is not None:
        assert field == "display_name"
        return
    assert 1 <= len(value) <= 50 and value.strip()
    assert all(c.isalnum() or c in " _-.'" for c in value), value
    assert no_control(value) and "\u202e" not in value and "\u200b" not in value


@SETTINGS
@given(TEXT)
@example("acme")
@example("Acme")
@example("admin")
@example("-acme")
@example("a" * 64)
@example("acme\n")
def test_a_tenant_id_is_refused_or_a_dns_label(value: str) -> None:
    """Refused naming id, or a lower-case DNS label (1 to 63) that is not reserved."""
    field = refused_field(validate_tenant_id, value)
    if field is not None:
        assert field == "id"
        return
    assert TENANT_ID_RE.fullmatch(value) and value.isascii() and value not in RESERVED_IDS
    assert 1 <= len(value) <= 63 and value == value.lower()


# --- the password policy -------------------------------------------------------------------


def policy_message(password: str) -> str | None:
    try:
        check_policy(password)
    except ValidationError as exc:
        assert exc.field == "password"
        return exc.message
    return None


@SETTINGS
@given(TEXT)
def test_the_password_policy_refuses_with_one_of_its_three_messages(password: str) -> None:
    """Any text: accepted, or refused with exactly one of the policy's three sentences."""
    message = policy_message(password)
    if len(password) < MIN_LENGTH:
        assert message == POLICY_TOO_SHORT
    elif len(password) > MAX_LENGTH:
        assert message == POLICY_TOO_LONG
    else:
        assert message in (None, POLICY_CLASSES)


GROUPS = [string.ascii_lowercase, string.ascii_uppercase, string.digits, string.punctuation]


@SETTINGS
@given(
    st.lists(st.sampled_from(range(4)), min_size=3, max_size=3, unique=True),
    st.integers(min_value=MIN_LENGTH, max_value=MAX_LENGTH),
    st.randoms(use_true_random=False),
)
def test_passwords_from_three_groups_of_allowed_length_pass(
    groups: list[int], length: int, rnd: Any
) -> None:
    """8 to 255 characters drawn from any three of the four groups: accepted."""
    chars = [rnd.choice(GROUPS[g]) for g in groups]
    chars += [rnd.choice(GROUPS[rnd.choice(groups)]) for _ in range(length - len(chars))]
    assert policy_message("".join(chars)) is None


@SETTINGS
@given(st.sampled_from(range(4)), st.sampled_from(range(4)), st.integers(8, 255))
def test_passwords_from_two_groups_fail(first: int, second: int, length: int) -> None:
    """Long enough but from at most two groups: refused for its character groups."""
    alphabet = GROUPS[first] + GROUPS[second]
    password = (alphabet * (length // len(alphabet) + 1))[:length]
    assert policy_message(password) == POLICY_CLASSES
