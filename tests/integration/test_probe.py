"""probe_smtp and open_smtp against real aiosmtpd servers with trustme certificates."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult

from gatehouse.errors import (
    ConfigurationError,
    DeliveryError,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from gatehouse.mail import connect as connect_module
from gatehouse.mail.connect import open_smtp
from gatehouse.mail.diagnosis import diagnose
from gatehouse.mail.endpoint import SmtpEndpoint
from gatehouse.mail.probe import ProbeReport, probe_smtp
from gatehouse.mail.trust import build_tls_context
from tests.support.smtp_servers import (
    EXPIRED_NOT_AFTER,
    IGNORE_IMPLICIT_TLS_AUTH_WARNING,
    SELF_SIGNED_SUBJECT,
    UNTRUSTED_ISSUER,
    WRONG_NAMES,
    Pki,
    RecordingHandler,
    ScriptedHandler,
    SilentServer,
    SmtpServer,
    free_port,
)

pytestmark = pytest.mark.filterwarnings(IGNORE_IMPLICIT_TLS_AUTH_WARNING)

USER = "mailer"
PASSWORD = "Corr3ct-Horse-Battery!"
SENDER = "no-reply@example.com"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return Pki(Path(tmp_path_factory.mktemp("pki")))


@pytest.fixture(scope="module")
def tls_context(pki: Pki) -> ssl.SSLContext:
    return build_tls_context(extra_ca_files=(pki.ca_file,))


@pytest.fixture
def implicit_tls_server(pki: Pki) -> Iterator[SmtpServer]:
    """Implicit TLS, trusted certificate, AUTH required."""
    with SmtpServer(pki, security="ssl", credentials=(USER, PASSWORD)) as server:
        yield server


@pytest.fixture
def starttls_server(pki: Pki) -> Iterator[SmtpServer]:
    """STARTTLS required, trusted certificate, AUTH required."""
    with SmtpServer(pki, security="starttls", credentials=(USER, PASSWORD)) as server:
        yield server


async def probe(endpoint: SmtpEndpoint, tls_context: ssl.SSLContext, **options: Any) -> ProbeReport:
    """The probe as the console runs it, with test-sized timeouts, loopback allowed."""
    options.setdefault("allow_private", True)
    options.setdefault("connect_timeout", 2.0)
    return await probe_smtp(endpoint, tls_context=tls_context, **options)


async def probe_error(
    endpoint: SmtpEndpoint, tls_context: ssl.SSLContext, **options: Any
) -> DeliveryError:
    """The DeliveryError the probe raises."""
    with pytest.raises(DeliveryError) as caught:
        await probe(endpoint, tls_context, **options)
    return caught.value


async def test_implicit_tls_with_login_passes(
    implicit_tls_server: SmtpServer, tls_context: ssl.SSLContext
) -> None:
    """Trusted implicit TLS with a correct login passes every step."""
    endpoint = implicit_tls_server.endpoint(username=USER, password=PASSWORD)
    report = await probe(endpoint, tls_context)
    assert report.steps == ("dns", "connect", "tls", "ehlo", "auth", "quit")
    assert report.address == "127.0.0.1"
    assert report.tls_version in {"TLSv1.2", "TLSv1.3"}


async def test_starttls_with_login_passes(
    starttls_server: SmtpServer, tls_context: ssl.SSLContext
) -> None:
    """Trusted required STARTTLS with a correct login passes every step."""
    endpoint = starttls_server.endpoint(username=USER, password=PASSWORD)
    report = await probe(endpoint, tls_context, sender=SENDER)
    assert report.steps == ("dns", "connect", "starttls", "tls", "ehlo", "auth", "mail", "quit")
    assert report.message == (
        f"The mail server {endpoint.label} passed every check (dns, connect, starttls, tls, "
        f"ehlo, auth, mail, quit) using {report.tls_version}."
    )


async def test_relay_without_login_passes(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """A relay that needs no login passes without AUTH, and accepts the sender."""
    with SmtpServer(pki, security="starttls") as server:
        report = await probe(server.endpoint(), tls_context, sender=SENDER)
    assert report.steps == ("dns", "connect", "starttls", "tls", "ehlo", "mail", "quit")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_untrusted_issuer(pki: Pki, tls_context: ssl.SSLContext, security: Any) -> None:
    """A certificate from an untrusted CA fails at tls and names the issuer."""
    with SmtpServer(pki, security=security, cert="untrusted") as server:
        error = await probe_error(server.endpoint(), tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert error.step == "tls"
    assert error.message == (
        f"The server's certificate was issued by {UNTRUSTED_ISSUER}, which the platform does "
        "not trust (or the server does not send its intermediate certificates). Use a "
        "certificate from a public certificate authority and make the server send the full "
        "chain."
    )
    assert UNTRUSTED_ISSUER == "OU=Untrusted Test CA, O=Rogue Tests"


async def test_expired_certificate(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """An expired certificate fails at tls and gives the expiry date."""
    with SmtpServer(pki, security="ssl", cert="expired") as server:
        error = await probe_error(server.endpoint(), tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        "The server's certificate expired on 2021-06-30 12:00 UTC. Renew the certificate on the "
        "mail server.",
    )
    assert EXPIRED_NOT_AFTER.strftime("%Y-%m-%d %H:%M") == "2021-06-30 12:00"


async def test_wrong_host_name(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """A certificate for other names fails at tls and lists the names it is valid for."""
    with SmtpServer(pki, security="starttls", cert="wrong_name") as server:
        error = await probe_error(server.endpoint(), tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        "The server's certificate is not valid for 127.0.0.1; it is valid for "
        f"{', '.join(WRONG_NAMES)}. Use one of these names as the host, or fix the certificate.",
    )


async def test_self_signed_certificate(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """A self-signed certificate fails at tls and says it is self-signed."""
    with SmtpServer(pki, security="ssl", cert="self_signed") as server:
        error = await probe_error(server.endpoint(), tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        f"The server's certificate ({SELF_SIGNED_SUBJECT}) is self-signed; the platform only "
        "trusts certificates issued by a public certificate authority. Install such a "
        "certificate on the mail server.",
    )


async def test_certificate_not_meant_for_a_server(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """A trusted certificate whose extended key usage is client authentication only fails at
    tls and says what to install, not OpenSSL's "unsuitable certificate purpose"."""
    with SmtpServer(pki, security="starttls", cert="client_only") as server:
        error = await probe_error(server.endpoint(host="localhost"), tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        "The server's certificate is not meant for a mail server: its extended key usage does "
        "not include TLS server authentication (serverAuth). Install a certificate issued for "
        "TLS servers on the mail server.",
    )


async def test_no_starttls_offered(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """A server without STARTTLS fails at starttls; nothing is sent in plaintext."""
    handler = ScriptedHandler()
    with SmtpServer(pki, security="none", handler=handler) as server:
        error = await probe_error(
            server.endpoint("starttls", username=USER, password=PASSWORD), tls_context
        )
    assert isinstance(error, PermanentDeliveryError)
    assert error.step == "starttls"
    assert error.message == (
        "STARTTLS failed: the server offers no STARTTLS on this port, and e-mail is never sent "
        "unencrypted. Enable STARTTLS on the server, or choose SSL/TLS with the server's "
        "implicit TLS port (usually 465)."
    )
    assert handler.commands == []  # never reached MAIL, let alone AUTH


async def test_plaintext_server_on_implicit_tls_port(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """Implicit TLS against a plaintext server fails at tls with a STARTTLS hint."""
    with SmtpServer(pki, security="starttls") as server:
        error = await probe_error(server.endpoint("ssl"), tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        "The TLS handshake failed: the server does not speak TLS on this port. Choose STARTTLS "
        "as the security setting, or use the server's implicit TLS port (usually 465).",
    )


async def test_starttls_against_implicit_tls_port(
    implicit_tls_server: SmtpServer, tls_context: ssl.SSLContext
) -> None:
    """A STARTTLS client on an implicit TLS port times out on the greeting; hint SSL/TLS."""
    endpoint = implicit_tls_server.endpoint("starttls")
    error = await probe_error(endpoint, tls_context, connect_timeout=1.0)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "connect",
        f"The mail server {endpoint.label} sent no greeting in time: it probably expects "
        "implicit TLS on this port. Choose SSL/TLS as the security setting.",
    )


async def test_wrong_password(implicit_tls_server: SmtpServer, tls_context: ssl.SSLContext) -> None:
    """A wrong password fails at auth with the server's 535 reply."""
    endpoint = implicit_tls_server.endpoint(username=USER, password="wrong-" + PASSWORD)
    error = await probe_error(endpoint, tls_context)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.reply_code) == ("auth", 535)
    assert error.message == (
        "The server refused the login of user mailer: 535 5.7.8 Authentication credentials "
        "invalid. Check the user name and password."
    )
    # One refused login, not one per method the server offers: each counts towards locking
    # the mailbox or banning the platform's address at the provider.
    assert implicit_tls_server.logins == ["PLAIN"]


class NoCramMd5(RecordingHandler):
    """Advertises CRAM-MD5 (which a client prefers) but answers it as unsupported."""

    async def auth_CRAM__MD5(self, server: Any, args: list[str]) -> AuthResult:
        await server.push("504 5.5.4 Unrecognized authentication type")
        return AuthResult(success=False, handled=True)


async def test_a_method_the_server_does_not_support_gives_way_to_the_next(
    pki: Pki, tls_context: ssl.SSLContext
) -> None:
    """A login method answered with 504 (not supported) is followed by the next one offered:
    the login passes with PLAIN."""
    credentials = (USER, PASSWORD)
    with SmtpServer(pki, "ssl", credentials=credentials, handler=NoCramMd5()) as server:
        report = await probe(server.endpoint(username=USER, password=PASSWORD), tls_context)
    assert "auth" in report.steps
    assert server.logins == ["PLAIN"]


async def test_login_required_but_none_configured(
    starttls_server: SmtpServer, tls_context: ssl.SSLContext
) -> None:
    """A server needing a login, probed without one, fails at auth with its 530 reply."""
    error = await probe_error(starttls_server.endpoint(), tls_context, sender=SENDER)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.reply_code) == ("auth", 530)
    assert error.message == (
        "The server requires a login: 530 5.7.0 Authentication required. Choose password "
        "authentication and enter the user name and password."
    )


async def test_sender_refused(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """A sender the server refuses fails at mail with the server's reply."""
    handler = ScriptedHandler({"MAIL": "553 5.7.1 Sender address not owned by you"})
    with SmtpServer(pki, security="starttls", handler=handler) as server:
        error = await probe_error(server.endpoint(), tls_context, sender=SENDER)
    assert isinstance(error, PermanentDeliveryError)
    assert (error.step, error.reply_code, error.message) == (
        "mail",
        553,
        f"The server refused the sender {SENDER}: 553 5.7.1 Sender address not owned by you.",
    )


async def test_port_closed(tls_context: ssl.SSLContext) -> None:
    """Nothing listening: transient, connection refused, at connect."""
    endpoint = SmtpEndpoint("127.0.0.1", free_port(), "ssl")
    error = await probe_error(endpoint, tls_context)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "connect",
        f"Could not connect to {endpoint.label}: connection refused. No mail server is "
        "listening on this port; check the host and port.",
    )


async def test_silent_server_times_out_in_tls_handshake(tls_context: ssl.SSLContext) -> None:
    """A server that accepts but never answers times out (transient) during the handshake,
    with what to check (the message said only that it timed out)."""
    with SilentServer() as server:
        endpoint = SmtpEndpoint(server.host, server.port, "ssl")
        error = await probe_error(endpoint, tls_context, connect_timeout=0.5)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "tls",
        f"The mail server {endpoint.label} timed out during the TLS handshake. Check that the "
        "host and port are the mail server's and that no firewall holds the connection; a busy "
        "server may answer later.",
    )


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_server_silent_at_ehlo_times_out_at_ehlo(
    pki: Pki, tls_context: ssl.SSLContext, security: Any
) -> None:
    """A server that greets but never answers EHLO times out (transient) at ehlo, with STARTTLS
    too, where EHLO comes before the STARTTLS that was named instead."""
    with SmtpServer(pki, security=security, handler=ScriptedHandler(stall=["EHLO"])) as server:
        endpoint = server.endpoint()
        error = await probe_error(endpoint, tls_context, connect_timeout=0.5)
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "ehlo",
        f"The mail server {endpoint.label} timed out during EHLO.",
    )


async def test_overall_deadline_names_the_running_step(
    pki: Pki, tls_context: ssl.SSLContext
) -> None:
    """The overall timeout reports the step that was running (here MAIL FROM)."""
    handler = ScriptedHandler(stall=["MAIL"])
    with SmtpServer(pki, security="starttls", handler=handler) as server:
        endpoint = server.endpoint()
        error = await probe_error(
            endpoint, tls_context, sender=SENDER, connect_timeout=5.0, overall_timeout=0.5
        )
    assert isinstance(error, TransientDeliveryError)
    assert (error.step, error.message) == (
        "mail",
        f"The mail server {endpoint.label} timed out during MAIL FROM.",
    )


# 6to4 addresses (2002::/16) carry an IPv4 address: a relay delivers to it, 10.0.0.1 here.
@pytest.mark.parametrize("host", ["127.0.0.1", "10.0.0.1", "2002:a00:1::", "2002:7f00:1::1"])
async def test_private_address_refused_before_connecting(
    host: str, tls_context: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With allow_private=False a private target is refused at dns, before any connection."""

    async def no_connection(*_: Any, **__: Any) -> Any:
        raise AssertionError("the guard must refuse before connecting")

    monkeypatch.setattr(connect_module, "connect_socket", no_connection)
    error = await probe_error(SmtpEndpoint(host, 465, "ssl"), tls_context, allow_private=False)
    assert isinstance(error, ConfigurationError)
    assert (error.step, error.message) == (
        "dns",
        f"The mail server address {host} is on a private network, and private network "
        "addresses are not allowed. Use the server's public host name.",
    )


async def test_unknown_host_name(tls_context: ssl.SSLContext) -> None:
    """A name that does not exist fails at dns as a configuration error."""
    error = await probe_error(SmtpEndpoint("no-such-host.invalid", 465, "ssl"), tls_context)
    assert isinstance(error, ConfigurationError)
    assert (error.step, error.message) == (
        "dns",
        "The host name no-such-host.invalid could not be found (DNS). Check the spelling of "
        "the host.",
    )


async def test_password_never_in_probe_errors(pki: Pki, tls_context: ssl.SSLContext) -> None:
    """No probe failure carries the password, in its message, str or repr."""
    failures: list[DeliveryError] = []
    with SmtpServer(pki, security="ssl", credentials=(USER, "other")) as server:
        failures.append(
            await probe_error(server.endpoint(username=USER, password=PASSWORD), tls_context)
        )
    for cert in ("untrusted", "expired"):
        with SmtpServer(pki, security="ssl", cert=cert) as server:
            endpoint = server.endpoint(username=USER, password=PASSWORD)
            failures.append(await probe_error(endpoint, tls_context))
    closed = SmtpEndpoint("127.0.0.1", free_port(), "ssl", USER, PASSWORD)
    failures.append(await probe_error(closed, tls_context))
    assert len(failures) == 4
    for error in failures:
        for text in (error.message, str(error), repr(error), repr(error.args)):
            assert PASSWORD not in text


async def test_open_smtp_delivers_over_verified_tls(
    starttls_server: SmtpServer, tls_context: ssl.SSLContext
) -> None:
    """open_smtp returns a logged-in, verified session the transport can send through."""
    endpoint = starttls_server.endpoint(username=USER, password=PASSWORD)
    smtp = await open_smtp(
        endpoint, tls_context=tls_context, allow_private=True, connect_timeout=2.0, timeout=2.0
    )
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = SENDER, "jane@example.org", "Hello"
    message.set_content("Your code is 123456.")
    try:
        await smtp.send_message(message)
        await smtp.quit()
    finally:
        smtp.close()
    [received] = starttls_server.handler.messages
    assert (received.mail_from, received.rcpt_tos, received.login) == (
        SENDER,
        ("jane@example.org",),
        USER,
    )
    assert received.message["Subject"] == "Hello"


@pytest.mark.parametrize(
    ("replies", "step", "code", "kind"),
    [
        ({"RCPT": "550 5.1.1 No such user"}, "rcpt", 550, PermanentDeliveryError),
        ({"RCPT": "451 4.3.0 Mailbox busy"}, "rcpt", 451, TransientDeliveryError),
        ({"DATA": "554 5.6.0 Rejected as spam"}, "data", 554, PermanentDeliveryError),
        ({"DATA": "421 4.7.0 Closing, try later"}, "data", 421, TransientDeliveryError),
    ],
)
async def test_send_replies_are_diagnosed(
    pki: Pki,
    tls_context: ssl.SSLContext,
    replies: dict[str, str],
    step: str,
    code: int,
    kind: type[DeliveryError],
) -> None:
    """Real RCPT/DATA refusals map to their step, code and retry class."""
    with SmtpServer(pki, security="ssl", handler=ScriptedHandler(replies)) as server:
        endpoint = server.endpoint()
        smtp = await open_smtp(
            endpoint, tls_context=tls_context, allow_private=True, connect_timeout=2, timeout=2
        )
        try:
            with pytest.raises(Exception) as caught:
                await smtp.sendmail(SENDER, ["jane@example.org"], "Subject: hi\r\n\r\nhi\r\n")
        finally:
            smtp.close()
    error = diagnose(caught.value, step="send", endpoint=endpoint)
    assert type(error) is kind
    assert (error.step, error.reply_code) == (step, code)
    assert error.message.endswith(f"{replies[step.upper()]}.")
