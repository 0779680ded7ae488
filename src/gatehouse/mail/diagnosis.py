"""Turn what aiosmtplib, ssl and socket raise into a DeliveryError an administrator can act on.

Each message says which step failed, why, and what to change. The wording is pinned in the
constants below (``str.format`` templates) so tests can pin exact messages. Messages never carry
the password: whatever the server or the system said is scrubbed of it before it goes into a
message (``redact``); our own wording is left as it is."""

from __future__ import annotations

import base64
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import aiosmtplib
from cryptography import x509
from cryptography.x509.oid import NameOID

from gatehouse.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from gatehouse.mail.endpoint import SmtpEndpoint
from gatehouse.mail.netguard import DNS_NOT_FOUND

# --- certificate problems (step "tls", permanent) ---
TLS_UNTRUSTED = (
    "The server's certificate was issued by {issuer}, which the platform does not trust "
    "(or the server does not send its intermediate certificates). Use a certificate from a "
    "public certificate authority and make the server send the full chain."
)
TLS_SELF_SIGNED = (
    "The server's certificate ({subject}) is self-signed; the platform only trusts certificates "
    "issued by a public certificate authority. Install such a certificate on the mail server."
)
TLS_EXPIRED = (
    "The server's certificate expired on {date}. Renew the certificate on the mail server."
)
TLS_NOT_YET_VALID = (
    "The server's certificate is not valid before {date}. Check the mail server's certificate "
    "and clock."
)
TLS_WRONG_HOST = (
    "The server's certificate is not valid for {host}; it is valid for {names}. Use one of "
    "these names as the host, or fix the certificate."
)
TLS_WRONG_HOST_NO_NAMES = (
    "The server's certificate is not valid for {host}. Use the host name the certificate was "
    "issued for, or fix the certificate."
)
TLS_WRONG_PURPOSE = (
    "The server's certificate is not meant for a mail server: its extended key usage does not "
    "include TLS server authentication (serverAuth). Install a certificate issued for TLS "
    "servers on the mail server."
)
TLS_UNVERIFIED = "The server's certificate could not be verified: {reason}."
UNKNOWN_ISSUER = "an unknown certificate authority"
UNKNOWN_DATE = "an unknown date"
# --- handshake problems ---
TLS_NOT_TLS = (
    "The TLS handshake failed: the server does not speak TLS on this port. Choose STARTTLS as "
    "the security setting, or use the server's implicit TLS port (usually 465)."
)
TLS_OLD_PROTOCOL = (
    "The TLS handshake failed: the server only offers TLS versions older than 1.2, which are "
    "not secure. Enable TLS 1.2 or newer on the mail server."
)
TLS_FAILED = "The TLS connection with {label} failed during {activity}: {reason}."
STARTTLS_NOT_OFFERED = (
    "STARTTLS failed: the server offers no STARTTLS on this port, and e-mail is never sent "
    "unencrypted. Enable STARTTLS on the server, or choose SSL/TLS with the server's implicit "
    "TLS port (usually 465)."
)
GREETING_TIMEOUT_STARTTLS = (
    "The mail server {label} sent no greeting in time: it probably expects implicit TLS on this "
    "port. Choose SSL/TLS as the security setting."
)
# --- connection problems (transient) ---
CONNECT_REFUSED = (
    "Could not connect to {label}: connection refused. No mail server is listening on this "
    "port; check the host and port."
)
CONNECT_FAILED = "Could not connect to {label}: {reason}."
TIMED_OUT = "The mail server {label} timed out during {activity}."
# Before the server has said anything: the address may not be a mail server's at all.
TIMED_OUT_CONNECTING = (
    "The mail server {label} timed out during {activity}. Check that the host and port are the "
    "mail server's and that no firewall holds the connection; a busy server may answer later."
)
DISCONNECTED = "The mail server {label} closed the connection during {activity}."
# --- login problems (step "auth", permanent) ---
AUTH_FAILED = (
    "The server refused the login of user {username}: {reply}. Check the user name and password."
)
AUTH_REQUIRED = (
    "The server requires a login: {reply}. Choose password authentication and enter the user "
    "name and password."
)
AUTH_NOT_OFFERED = (
    "The server offers no login (AUTH) on this connection. Choose no authentication, or check "
    "the security setting and port."
)
AUTH_NO_METHOD = "The server offers no login method that is supported (PLAIN, LOGIN, CRAM-MD5)."
# --- internationalised addresses (permanent) ---
SMTPUTF8_MISSING = (
    "The server does not support internationalised e-mail addresses (SMTPUTF8), so it cannot "
    "take {subject} {address}. Use an address with only ASCII characters, or enable SMTPUTF8 "
    "on the mail server."
)
SMTPUTF8_MISSING_REPLY_TO = (
    "The server does not support internationalised e-mail addresses (SMTPUTF8), so it cannot "
    "take a message whose Reply-To is not ASCII. Use a Reply-To with only ASCII characters, or "
    "enable SMTPUTF8 on the mail server."
)
# --- SMTP replies ---
REPLY_TEMPORARY = "The server temporarily refused {subject}: {reply}."
REPLY_PERMANENT = "The server refused {subject}: {reply}."
UNEXPECTED = "Unexpected error during {activity}: {reason}."

ACTIVITIES: dict[str, str] = {
    "dns": "the host name lookup",
    "connect": "the connection",
    "tls": "the TLS handshake",
    "starttls": "STARTTLS",
    "ehlo": "EHLO",
    "auth": "the login",
    "mail": "MAIL FROM",
    "rcpt": "RCPT TO",
    "data": "the message transfer (DATA)",
    "quit": "QUIT",
}
SUBJECTS: dict[str, str] = {
    "connect": "the connection",
    "ehlo": "the greeting (EHLO)",
    "auth": "the login",
    "mail": "the sender",
    "rcpt": "the recipient",
    "data": "the message",
}
REDACTED = "[redacted]"

_E = TypeVar("_E", bound=BaseException)

# OpenSSL reasons seen when the peer answers in plain text instead of a TLS record.
_PLAINTEXT_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"}
)
_OLD_PROTOCOL_REASONS = frozenset({"UNSUPPORTED_PROTOCOL", "TLSV1_ALERT_PROTOCOL_VERSION"})
_HANDSHAKE_STEPS = frozenset({"connect", "tls", "starttls"})
_REPLY_STEPS: tuple[tuple[type[aiosmtplib.SMTPResponseException], str], ...] = (
    (aiosmtplib.SMTPAuthenticationError, "auth"),
    (aiosmtplib.SMTPSenderRefused, "mail"),
    (aiosmtplib.SMTPRecipientRefused, "rcpt"),
    (aiosmtplib.SMTPDataError, "data"),
    (aiosmtplib.SMTPHeloError, "ehlo"),
    (aiosmtplib.SMTPConnectResponseError, "connect"),
)


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    """What a person needs to know about the server's certificate."""

    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    names: tuple[str, ...]

    @property
    def self_signed(self) -> bool:
        return self.subject == self.issuer


def describe_name(name: x509.Name) -> str:
    """``CN=..., OU=..., O=...`` (the parts a person recognises), else the full RFC 4514 form."""
    parts = [
        f"{label}={attribute.value!s}"
        for label, oid in (
            ("CN", NameOID.COMMON_NAME),
            ("OU", NameOID.ORGANIZATIONAL_UNIT_NAME),
            ("O", NameOID.ORGANIZATION_NAME),
        )
        for attribute in name.get_attributes_for_oid(oid)
    ]
    return ", ".join(parts) or name.rfc4514_string()


def certificate_facts(der: bytes) -> CertificateFacts:
    """Parse a DER certificate (fetched without trusting it) into CertificateFacts."""
    cert = x509.load_der_x509_certificate(der)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names = [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    return CertificateFacts(
        subject=describe_name(cert.subject),
        issuer=describe_name(cert.issuer),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        names=tuple(names),
    )


def format_date(moment: datetime) -> str:
    """The date format used in certificate messages."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def format_reply(code: int, message: str) -> str:
    """``535 5.7.8 Authentication failed`` on one line."""
    return f"{code} {' '.join(message.split())}".strip()


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from or during, outermost first, without cycles."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]


def _first(chain: list[BaseException], kind: type[_E]) -> _E | None:
    return next((e for e in chain if isinstance(e, kind)), None)


def _certificate_error(
    error: ssl.SSLCertVerificationError, endpoint: SmtpEndpoint, facts: CertificateFacts | None
) -> DeliveryError:
    code = error.verify_code
    if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
        date = format_date(facts.not_after) if facts else UNKNOWN_DATE
        return PermanentDeliveryError("tls", TLS_EXPIRED.format(date=date))
    if code == 9:  # X509_V_ERR_CERT_NOT_YET_VALID
        date = format_date(facts.not_before) if facts else UNKNOWN_DATE
        return PermanentDeliveryError("tls", TLS_NOT_YET_VALID.format(date=date))
    if code in (62, 64):  # host name / IP address mismatch
        if facts and facts.names:
            message = TLS_WRONG_HOST.format(host=endpoint.host, names=", ".join(facts.names))
        else:
            message = TLS_WRONG_HOST_NO_NAMES.format(host=endpoint.host)
        return PermanentDeliveryError("tls", message)
    if code == 18 or (facts is not None and facts.self_signed):
        subject = facts.subject if facts else endpoint.host
        return PermanentDeliveryError("tls", TLS_SELF_SIGNED.format(subject=subject))
    if code == 26:  # X509_V_ERR_INVALID_PURPOSE: e.g. a certificate for clients only
        return PermanentDeliveryError("tls", TLS_WRONG_PURPOSE)
    if code in (2, 19, 20, 21):  # no trusted issuer found for the chain
        issuer = facts.issuer if facts else UNKNOWN_ISSUER
        return PermanentDeliveryError("tls", TLS_UNTRUSTED.format(issuer=issuer))
    reason = redact(error.verify_message or error.reason or str(error), endpoint)
    return PermanentDeliveryError("tls", TLS_UNVERIFIED.format(reason=reason))


def _ssl_error(error: ssl.SSLError, step: str, endpoint: SmtpEndpoint) -> DeliveryError:
    if error.reason in _PLAINTEXT_REASONS:
        return PermanentDeliveryError("tls", TLS_NOT_TLS)
    if error.reason in _OLD_PROTOCOL_REASONS:
        return PermanentDeliveryError("tls", TLS_OLD_PROTOCOL)
    step = "tls" if step in _HANDSHAKE_STEPS else step
    reason = redact(error.reason or type(error).__name__, endpoint)
    message = TLS_FAILED.format(label=endpoint.label, activity=_activity(step), reason=reason)
    return TransientDeliveryError(step, message)


def _is_greeting_timeout(error: BaseException) -> bool:
    # aiosmtplib's wording for "connected, but no 220 greeting arrived".
    return isinstance(error, aiosmtplib.SMTPConnectTimeoutError) and "server ready" in str(error)


def _timeout_error(error: BaseException, step: str, endpoint: SmtpEndpoint) -> DeliveryError:
    if _is_greeting_timeout(error):
        if endpoint.security == "starttls":
            message = GREETING_TIMEOUT_STARTTLS.format(label=endpoint.label)
            return TransientDeliveryError("connect", message, timed_out=True)
        step = "connect"
    said = TIMED_OUT_CONNECTING if step in ("connect", "tls") else TIMED_OUT
    message = said.format(label=endpoint.label, activity=_activity(step))
    return TransientDeliveryError(step, message, timed_out=True)


def _reply_step(error: aiosmtplib.SMTPResponseException, step: str) -> str:
    return next((s for kind, s in _REPLY_STEPS if isinstance(error, kind)), step)


def _reply_subject(error: aiosmtplib.SMTPResponseException, step: str) -> str:
    subject = SUBJECTS.get(step, f"the {step.upper()} command")
    address = getattr(error, "recipient", None) or getattr(error, "sender", None)
    return f"{subject} {address}" if address else subject


def _reply_error(
    error: aiosmtplib.SMTPResponseException, step: str, endpoint: SmtpEndpoint
) -> DeliveryError:
    step = _reply_step(error, step)
    reply = redact(format_reply(error.code, error.message), endpoint)
    code = error.code
    if code == 530:  # "authentication required", whatever command it answered
        return PermanentDeliveryError("auth", AUTH_REQUIRED.format(reply=reply), reply_code=code)
    if step == "auth" and code >= 500:
        message = AUTH_FAILED.format(username=endpoint.username or "", reply=reply)
        return PermanentDeliveryError("auth", message, reply_code=code)
    subject = _reply_subject(error, step)
    if code >= 500:
        message = REPLY_PERMANENT.format(subject=subject, reply=reply)
        return PermanentDeliveryError(step, message, reply_code=code)
    message = REPLY_TEMPORARY.format(subject=subject, reply=reply)
    return TransientDeliveryError(step, message, reply_code=code)


def smtputf8_missing(address: str | None, step: str) -> PermanentDeliveryError:
    """A server without SMTPUTF8 asked to take ``address`` (not ASCII) at ``step`` (``mail`` or
    ``rcpt``), or, with no address, a message whose only such address is its Reply-To (step
    ``data``): no retry changes that."""
    if address is None:
        return PermanentDeliveryError(step, SMTPUTF8_MISSING_REPLY_TO)
    message = SMTPUTF8_MISSING.format(subject=SUBJECTS[step], address=address)
    return PermanentDeliveryError(step, message)


def _smtp_exception(error: aiosmtplib.SMTPException) -> DeliveryError | None:
    text = str(error)
    if "STARTTLS extension not supported" in text:
        return PermanentDeliveryError("starttls", STARTTLS_NOT_OFFERED)
    if "AUTH extension is not supported" in text:
        return PermanentDeliveryError("auth", AUTH_NOT_OFFERED)
    if "No suitable authentication method" in text:
        return PermanentDeliveryError("auth", AUTH_NO_METHOD)
    return None


def _connection_error(
    chain: list[BaseException], step: str, endpoint: SmtpEndpoint
) -> DeliveryError | None:
    label, activity = endpoint.label, _activity(step)
    if _first(chain, socket.gaierror) is not None:
        return ConfigurationError("dns", DNS_NOT_FOUND.format(host=endpoint.host))
    if _first(chain, ConnectionRefusedError) is not None:
        return TransientDeliveryError("connect", CONNECT_REFUSED.format(label=label))
    dropped = (aiosmtplib.SMTPServerDisconnected, ConnectionResetError, ConnectionAbortedError)
    if any(isinstance(e, (*dropped, BrokenPipeError, EOFError)) for e in chain):
        return TransientDeliveryError(step, DISCONNECTED.format(label=label, activity=activity))
    # The operating system's error (it has an errno), not aiosmtplib's ConnectionError wrappers.
    os_error = next((e for e in chain if isinstance(e, OSError) and e.errno is not None), None)
    if os_error is not None:
        reason = redact(os_error.strerror or str(os_error), endpoint)
        return TransientDeliveryError("connect", CONNECT_FAILED.format(label=label, reason=reason))
    return None


def _activity(step: str) -> str:
    return ACTIVITIES.get(step, step.upper())


def _classify(
    exc: BaseException, step: str, endpoint: SmtpEndpoint, facts: CertificateFacts | None
) -> DeliveryError:
    chain = list(exception_chain(exc))
    if (known := _first(chain, DeliveryError)) is not None:
        return known
    if (cert_error := _first(chain, ssl.SSLCertVerificationError)) is not None:
        return _certificate_error(cert_error, endpoint, facts)
    if (ssl_error := _first(chain, ssl.SSLError)) is not None:
        return _ssl_error(ssl_error, step, endpoint)
    if (timeout := _first(chain, TimeoutError)) is not None:
        return _timeout_error(timeout, step, endpoint)
    if (reply := _first(chain, aiosmtplib.SMTPResponseException)) is not None:
        return _reply_error(reply, step, endpoint)
    if (many := _first(chain, aiosmtplib.SMTPRecipientsRefused)) is not None and many.recipients:
        return _reply_error(many.recipients[0], "rcpt", endpoint)
    smtp_errors = (e for e in chain if isinstance(e, aiosmtplib.SMTPException))
    for smtp_error in smtp_errors:
        if (known := _smtp_exception(smtp_error)) is not None:
            return known
    if (connection := _connection_error(chain, step, endpoint)) is not None:
        return connection
    described = redact(str(exc), endpoint)
    reason = f"{type(exc).__name__}: {described}" if described else type(exc).__name__
    return TransientDeliveryError(step, UNEXPECTED.format(activity=_activity(step), reason=reason))


def _secrets(endpoint: SmtpEndpoint) -> list[str]:
    """The password and the encodings a server might echo back (AUTH PLAIN/LOGIN payloads)."""
    password = endpoint.password
    if not password:
        return []
    raw = password.encode()
    plain = b"\0" + (endpoint.username or "").encode() + b"\0" + raw
    encoded = [base64.b64encode(raw).decode(), base64.b64encode(plain).decode()]
    return sorted({password, *encoded}, key=len, reverse=True)


def redact(text: str, endpoint: SmtpEndpoint) -> str:
    """``text`` (a server's reply, an error's description: never our own wording) with the
    endpoint's password, and its encodings, replaced wherever it stands as a whole token. A
    short password must not blank out parts of other words: that would hint at what it is."""
    for secret in _secrets(endpoint):
        text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", REDACTED, text)
    return text


def diagnose(
    exc: BaseException, *, step: str, endpoint: SmtpEndpoint, peer_cert: bytes | None = None
) -> DeliveryError:
    """Map ``exc`` (raised at ``step``) to a DeliveryError whose message says what to change.

    ``peer_cert`` is the server's certificate (DER, fetched without trusting it) when the caller
    could obtain it; certificate messages then name the issuer, expiry date or valid names."""
    return _classify(exc, step, endpoint, _facts_or_none(peer_cert))


def _facts_or_none(peer_cert: bytes | None) -> CertificateFacts | None:
    if peer_cert is None:
        return None
    try:
        return certificate_facts(peer_cert)
    except ValueError:  # a certificate we cannot parse still gets the generic message
        return None
