"""diagnosis: third-party errors become DeliveryErrors an administrator can act on."""

from __future__ import annotations

import base64
import datetime
import socket
import ssl

import aiosmtplib
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from gatehouse.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from gatehouse.mail import diagnosis as d
from gatehouse.mail.diagnosis import diagnose
from gatehouse.mail.endpoint import SmtpEndpoint

PASSWORD = "Tr0ub4dor&3-horse"
SSL = SmtpEndpoint("mail.example.com", 465, "ssl", "mailer", PASSWORD)
STARTTLS = SmtpEndpoint("mail.example.com", 587, "starttls", "mailer", PASSWORD)


def chained(outer: BaseException, cause: BaseException) -> BaseException:
    """``outer`` raised ``from cause``, as aiosmtplib does."""
    outer.__cause__ = cause
    return outer


def cert_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    """An SSLCertVerificationError as OpenSSL reports it."""
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_code = code
    error.verify_message = message
    return error


def ssl_error(reason: str) -> ssl.SSLError:
    """An ssl.SSLError with OpenSSL's reason code."""
    error = ssl.SSLError(1, f"[SSL: {reason}] {reason.lower()}")
    error.reason = reason
    return error


def der(*names: str, not_after: datetime.datetime | None = None) -> bytes:
    """A DER certificate for ``names`` from an untrusted test CA."""
    ca = trustme.CA(organization_name="Example Org", organization_unit_name="Example CA")
    leaf = ca.issue_cert(*names, not_after=not_after)
    pem = leaf.cert_chain_pems[0].bytes()
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_untrusted_issuer_names_issuer() -> None:
    """An unknown issuer (verify code 20) is permanent at tls and names the issuer."""
    exc = chained(aiosmtplib.SMTPConnectError("Error connecting"), cert_error(20, "unable"))
    error = diagnose(exc, step="tls", endpoint=SSL, peer_cert=der("mail.example.com"))
    assert isinstance(error, PermanentDeliveryError)
    assert error.step == "tls"
    assert error.message == (
        "The server's certificate was issued by OU=Example CA, O=Example Org, which the "
        "platform does not trust (or the server does not send its intermediate certificates). "
        "Use a certificate from a public certificate authority and make the server send the "
        "full chain."
    )


def test_untrusted_issuer_without_certificate() -> None:
    """Without the peer certificate the issuer is 'an unknown certificate authority'."""
    error = diagnose(cert_error(20, "unable"), step="starttls", endpoint=STARTTLS)
    assert error.step == "tls"
    assert error.message == d.TLS_UNTRUSTED.format(issuer="an unknown certificate authority")


def test_expired_gives_date() -> None:
    """An expired certificate (code 10) gives its expiry date."""
    expired = der("mail.example.com", not_after=datetime.datetime(2022, 3, 4, 5, 6))
    exc = cert_error(10, "certificate has expired")
    error = diagnose(exc, step="tls", endpoint=SSL, peer_cert=expired)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        "The server's certificate expired on 2022-03-04 05:06 UTC. Renew the certificate on "
        "the mail server.",
    )


def test_wrong_host_lists_valid_names() -> None:
    """A host name mismatch (code 62) lists the names the certificate is valid for."""
    peer = der("smtp.example.net", "mx.example.net")
    error = diagnose(cert_error(62, "Hostname mismatch"), step="tls", endpoint=SSL, peer_cert=peer)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        "The server's certificate is not valid for mail.example.com; it is valid for "
        "smtp.example.net, mx.example.net. Use one of these names as the host, or fix the "
        "certificate.",
    )


def test_wrong_host_without_certificate() -> None:
    """Without the peer certificate the mismatch message still names the host."""
    error = diagnose(cert_error(64, "IP address mismatch"), step="tls", endpoint=SSL)
    assert error.message == d.TLS_WRONG_HOST_NO_NAMES.format(host="mail.example.com")


def test_self_signed() -> None:
    """A self-signed leaf (code 18) is explained as such."""
    error = diagnose(cert_error(18, "self-signed certificate"), step="tls", endpoint=SSL)
    assert isinstance(error, PermanentDeliveryError)
    assert error.message == d.TLS_SELF_SIGNED.format(subject="mail.example.com")


def test_other_verification_failure_quotes_openssl() -> None:
    """An unusual verify code quotes OpenSSL's reason."""
    error = diagnose(cert_error(23, "certificate revoked"), step="tls", endpoint=SSL)
    assert (error.step, error.message) == (
        "tls",
        "The server's certificate could not be verified: certificate revoked.",
    )


def test_plaintext_on_implicit_tls_port() -> None:
    """WRONG_VERSION_NUMBER means the server does not speak TLS; the hint is STARTTLS."""
    exc = chained(aiosmtplib.SMTPConnectError("Error"), ssl_error("WRONG_VERSION_NUMBER"))
    error = diagnose(exc, step="tls", endpoint=SSL)
    assert isinstance(error, PermanentDeliveryError)
    assert error.step == "tls"
    assert error.message == (
        "The TLS handshake failed: the server does not speak TLS on this port. Choose STARTTLS "
        "as the security setting, or use the server's implicit TLS port (usually 465)."
    )


def test_old_tls_version() -> None:
    """A server stuck below TLS 1.2 is told to upgrade."""
    error = diagnose(ssl_error("UNSUPPORTED_PROTOCOL"), step="tls", endpoint=SSL)
    assert (error.step, error.message) == ("tls", d.TLS_OLD_PROTOCOL)


def test_other_handshake_failure_is_transient() -> None:
    """An unexplained TLS failure is transient and quotes OpenSSL's reason."""
    error = diagnose(ssl_error("SSLV3_ALERT_HANDSHAKE_FAILURE"), step="starttls", endpoint=STARTTLS)
    assert isinstance(error, TransientDeliveryError)
    assert error.message == (
        "The TLS connection with mail.example.com:587 failed during the TLS handshake: "
        "SSLV3_ALERT_HANDSHAKE_FAILURE."
    )


def test_no_starttls_offered() -> None:
    """aiosmtplib's 'STARTTLS extension not supported' is permanent at step starttls."""
    exc = aiosmtplib.SMTPException("SMTP STARTTLS extension not supported by server.")
    error = diagnose(exc, step="starttls", endpoint=STARTTLS)
    assert isinstance(error, PermanentDeliveryError)
    assert error.step == "starttls"
    assert error.message == (
        "STARTTLS failed: the server offers no STARTTLS on this port, and e-mail is never sent "
        "unencrypted. Enable STARTTLS on the server, or choose SSL/TLS with the server's "
        "implicit TLS port (usually 465)."
    )


def test_greeting_timeout_with_starttls_hints_ssl() -> None:
    """No greeting for a STARTTLS client: the port probably wants implicit TLS."""
    exc = aiosmtplib.SMTPConnectTimeoutError("Timed out waiting for server ready message")
    error = diagnose(exc, step="connect", endpoint=STARTTLS)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "connect",
        "The mail server mail.example.com:587 sent no greeting in time: it probably expects "
        "implicit TLS on this port. Choose SSL/TLS as the security setting.",
    )


def test_greeting_timeout_with_implicit_tls() -> None:
    """No greeting after an implicit TLS handshake is a plain connect timeout."""
    exc = aiosmtplib.SMTPConnectTimeoutError("Timed out waiting for server ready message")
    error = diagnose(exc, step="tls", endpoint=SSL)
    assert (error.step, error.message) == (
        "connect",
        "The mail server mail.example.com:465 timed out during the connection. Check that the "
        "host and port are the mail server's and that no firewall holds the connection; a busy "
        "server may answer later.",
    )


@pytest.mark.parametrize(
    ("step", "activity"),
    [("ehlo", "EHLO"), ("data", "the message transfer (DATA)")],
)
def test_timeout_is_transient(step: str, activity: str) -> None:
    """A timeout at any step is transient and says 'timed out' (before the server said
    anything, with what to check: test_greeting_timeout_with_implicit_tls)."""
    error = diagnose(aiosmtplib.SMTPReadTimeoutError("Timed out"), step=step, endpoint=SSL)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        step,
        f"The mail server mail.example.com:465 timed out during {activity}.",
    )


def test_wrong_password_quotes_reply() -> None:
    """535 at AUTH is permanent at step auth and quotes the server's reply."""
    exc = aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Authentication credentials invalid")
    error = diagnose(exc, step="auth", endpoint=SSL)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.reply_code) == ("auth", 535)
    assert error.message == (
        "The server refused the login of user mailer: 535 5.7.8 Authentication credentials "
        "invalid. Check the user name and password."
    )


def test_login_required_but_not_configured() -> None:
    """530 at MAIL FROM means the server wants a login: permanent at step auth."""
    exc = aiosmtplib.SMTPSenderRefused(530, "5.7.0 Authentication required", "a@example.com")
    error = diagnose(exc, step="mail", endpoint=SmtpEndpoint("mail.example.com", 587, "starttls"))
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.reply_code) == ("auth", 530)
    assert error.message == (
        "The server requires a login: 530 5.7.0 Authentication required. Choose password "
        "authentication and enter the user name and password."
    )


def test_auth_not_offered() -> None:
    """A user name for a server without AUTH is a permanent auth problem."""
    exc = aiosmtplib.SMTPException("The SMTP AUTH extension is not supported by this server.")
    error = diagnose(exc, step="auth", endpoint=SSL)
    assert (error.step, error.message) == ("auth", d.AUTH_NOT_OFFERED)


def test_connection_refused() -> None:
    """A refused TCP connection is transient at step connect."""
    exc = chained(aiosmtplib.SMTPConnectError("Error connecting"), ConnectionRefusedError(111))
    error = diagnose(exc, step="connect", endpoint=SSL)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "connect",
        "Could not connect to mail.example.com:465: connection refused. No mail server is "
        "listening on this port; check the host and port.",
    )


def test_unreachable_network_quotes_os() -> None:
    """Other socket errors are transient and quote the operating system."""
    exc = chained(aiosmtplib.SMTPConnectError("Error"), OSError(101, "Network is unreachable"))
    error = diagnose(exc, step="connect", endpoint=SSL)
    assert isinstance(error, TransientDeliveryError)
    assert error.message == "Could not connect to mail.example.com:465: Network is unreachable."


def test_unknown_host_from_socket() -> None:
    """A gaierror reaching diagnose is the dns configuration error."""
    exc = chained(aiosmtplib.SMTPConnectError("Error"), socket.gaierror(-2, "Name unknown"))
    error = diagnose(exc, step="connect", endpoint=SSL)
    assert isinstance(error, ConfigurationError)
    assert (error.step, error.message) == (
        "dns",
        "The host name mail.example.com could not be found (DNS). Check the spelling of the host.",
    )


def test_dropped_connection_is_transient() -> None:
    """SMTPServerDisconnected is transient at the step it happened."""
    error = diagnose(aiosmtplib.SMTPServerDisconnected("lost"), step="data", endpoint=SSL)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "data",
        "The mail server mail.example.com:465 closed the connection during the message "
        "transfer (DATA).",
    )


@pytest.mark.parametrize(
    ("exc", "step", "code", "message"),
    [
        (
            aiosmtplib.SMTPRecipientRefused(451, "4.3.0 Mailbox busy", "jane@example.org"),
            "rcpt",
            451,
            "The server temporarily refused the recipient jane@example.org: 451 4.3.0 Mailbox "
            "busy.",
        ),
        (
            aiosmtplib.SMTPSenderRefused(421, "4.7.0 Try again later", "no-reply@example.com"),
            "mail",
            421,
            "The server temporarily refused the sender no-reply@example.com: 421 4.7.0 Try "
            "again later.",
        ),
        (
            aiosmtplib.SMTPDataError(452, "4.3.1 Insufficient system storage"),
            "data",
            452,
            "The server temporarily refused the message: 452 4.3.1 Insufficient system storage.",
        ),
    ],
)
def test_4xx_reply_is_transient(exc: Exception, step: str, code: int, message: str) -> None:
    """4xx replies are transient and keep the reply code and step."""
    error = diagnose(exc, step="send", endpoint=SSL)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.reply_code, error.message) == (step, code, message)


@pytest.mark.parametrize(
    ("exc", "step", "code", "message"),
    [
        (
            aiosmtplib.SMTPSenderRefused(553, "5.7.1 Sender not owned", "boss@example.com"),
            "mail",
            553,
            "The server refused the sender boss@example.com: 553 5.7.1 Sender not owned.",
        ),
        (
            aiosmtplib.SMTPRecipientRefused(550, "5.1.1 No such user", "jane@example.org"),
            "rcpt",
            550,
            "The server refused the recipient jane@example.org: 550 5.1.1 No such user.",
        ),
        (
            aiosmtplib.SMTPDataError(554, "5.6.0 Message rejected as spam"),
            "data",
            554,
            "The server refused the message: 554 5.6.0 Message rejected as spam.",
        ),
        (
            aiosmtplib.SMTPHeloError(501, "5.5.4 Bad EHLO"),
            "ehlo",
            501,
            "The server refused the greeting (EHLO): 501 5.5.4 Bad EHLO.",
        ),
    ],
)
def test_5xx_reply_is_permanent(exc: Exception, step: str, code: int, message: str) -> None:
    """5xx replies are permanent and keep the reply code and step."""
    error = diagnose(exc, step="send", endpoint=SSL)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.reply_code, error.message) == (step, code, message)


def test_all_recipients_refused_uses_first() -> None:
    """SMTPRecipientsRefused is diagnosed from its first refusal."""
    refused = aiosmtplib.SMTPRecipientRefused(550, "5.1.1 No such user", "jane@example.org")
    error = diagnose(aiosmtplib.SMTPRecipientsRefused([refused]), step="rcpt", endpoint=SSL)
    assert (error.step, error.reply_code, error.message) == (
        "rcpt",
        550,
        "The server refused the recipient jane@example.org: 550 5.1.1 No such user.",
    )


def test_multiline_reply_is_one_line() -> None:
    """A multi-line server reply is joined into one line."""
    exc = aiosmtplib.SMTPDataError(554, "5.7.1 Rejected\nSee https://example.com/why")
    error = diagnose(exc, step="data", endpoint=SSL)
    assert error.message == (
        "The server refused the message: 554 5.7.1 Rejected See https://example.com/why."
    )


def test_cause_is_found_through_context() -> None:
    """The chain is walked through __context__ as well as __cause__."""
    outer = RuntimeError("cleanup failed")
    outer.__context__ = chained(aiosmtplib.SMTPConnectError("x"), ConnectionRefusedError(111))
    error = diagnose(outer, step="connect", endpoint=SSL)
    assert error.message.startswith("Could not connect to mail.example.com:465: connection refused")


def test_delivery_error_passes_through() -> None:
    """A DeliveryError already diagnosed is returned unchanged."""
    original = ConfigurationError("dns", "private network addresses are not allowed")
    assert diagnose(original, step="connect", endpoint=SSL) is original


def test_unexpected_error_is_transient_and_named() -> None:
    """Anything unrecognised is transient and names the exception."""
    error = diagnose(ValueError("odd"), step="data", endpoint=SSL)
    assert isinstance(error, TransientDeliveryError)
    assert error.message == "Unexpected error during the message transfer (DATA): ValueError: odd."


SECRET_CARRIERS: list[BaseException] = [
    aiosmtplib.SMTPAuthenticationError(535, f"5.7.8 Bad password {PASSWORD}"),
    aiosmtplib.SMTPAuthenticationError(
        535, "5.7.8 Bad AUTH " + base64.b64encode(f"\0mailer\0{PASSWORD}".encode()).decode()
    ),
    aiosmtplib.SMTPDataError(554, f"rejected {base64.b64encode(PASSWORD.encode()).decode()}"),
    aiosmtplib.SMTPSenderRefused(530, f"login {PASSWORD} needed", "a@example.com"),
    ValueError(f"password={PASSWORD}"),
    OSError(5, f"I/O error near {PASSWORD}"),
    cert_error(99, f"strange {PASSWORD}"),
]


@pytest.mark.parametrize("exc", SECRET_CARRIERS, ids=lambda e: type(e).__name__)
def test_password_never_in_message_or_repr(exc: BaseException) -> None:
    """Even a server echoing the password (plain or base64) cannot leak it into a diagnosis."""
    error = diagnose(exc, step="auth", endpoint=SSL)
    assert isinstance(error, DeliveryError)
    for text in (error.message, str(error), repr(error), repr(SSL)):
        assert PASSWORD not in text
        assert base64.b64encode(PASSWORD.encode()).decode() not in text
    assert d.REDACTED in error.message


@pytest.mark.parametrize("password", ["p", "port", "the", "mail"])
def test_a_short_password_leaves_our_own_wording_alone(password: str) -> None:
    """Only what the server or the system said is scrubbed: masking every match in our own
    wording mangled it, and hinted at the password ("this [redacted]ort")."""
    endpoint = SmtpEndpoint("mail.example.com", 465, "ssl", "mailer", password)
    error = diagnose(ConnectionRefusedError(111, "refused"), step="connect", endpoint=endpoint)
    assert error.message == d.CONNECT_REFUSED.format(label=endpoint.label)


def test_a_short_password_is_scrubbed_as_a_whole_token_only() -> None:
    endpoint = SmtpEndpoint("mail.example.com", 465, "ssl", "mailer", "p")
    echoed = aiosmtplib.SMTPAuthenticationError(535, "5.7.8 Bad login mailer/p, password p")
    error = diagnose(echoed, step="auth", endpoint=endpoint)
    assert error.message == d.AUTH_FAILED.format(
        username="mailer", reply="535 5.7.8 Bad login mailer/[redacted], password [redacted]"
    )
