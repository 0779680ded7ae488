"""Real SMTP servers for tests: aiosmtpd on 127.0.0.1 with trustme certificates.

    pki = Pki(tmp_path)                                    # trusted CA + an untrusted CA
    with SmtpServer(pki, security="starttls", credentials=("user", "pw")) as server:
        endpoint = server.endpoint(username="user", password="pw")
        ...                                                # server.handler.messages

``SmtpServer`` works as a context manager from sync fixtures (``with``) and async tests
(``async with``, which starts and stops it off the event loop). aiosmtpd runs each server on its
own loop in its own thread, so a stalled handler never blocks the test's loop.
"""

from __future__ import annotations

import asyncio
import datetime
import email
import email.policy
import errno
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gatehouse.mail.endpoint import SmtpEndpoint
from gatehouse.mail.trust import build_tls_context

HOST = "127.0.0.1"
CertKind = Literal["valid", "expired", "wrong_name", "untrusted", "self_signed", "client_only"]
ServerSecurity = Literal["ssl", "starttls", "none"]

# aiosmtpd cannot see implicit TLS, so it warns about AUTH without TLS on implicit-TLS servers
# (a false alarm). Test modules using them: pytestmark = pytest.mark.filterwarnings(this).
IGNORE_IMPLICIT_TLS_AUTH_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"

# Names and dates the tests pin in expected messages.
TRUSTED_CA_NAME = ("Gatehouse Tests", "Trusted Test CA")  # (O, OU)
UNTRUSTED_CA_NAME = ("Rogue Tests", "Untrusted Test CA")
UNTRUSTED_ISSUER = "OU=Untrusted Test CA, O=Rogue Tests"
VALID_NAMES = ("localhost", HOST)
WRONG_NAMES = ("mail.example.test", "smtp.example.test")
SELF_SIGNED_SUBJECT = "CN=localhost, O=Self Signed Tests"
EXPIRED_NOT_BEFORE = datetime.datetime(2020, 1, 1, 0, 0)
EXPIRED_NOT_AFTER = datetime.datetime(2021, 6, 30, 12, 0)


class Pki:
    """A trusted test CA (its PEM file is what the platform trusts), an untrusted second CA, and
    server certificates of every kind the probe must explain."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.ca = trustme.CA(
            organization_name=TRUSTED_CA_NAME[0], organization_unit_name=TRUSTED_CA_NAME[1]
        )
        self.untrusted_ca = trustme.CA(
            organization_name=UNTRUSTED_CA_NAME[0], organization_unit_name=UNTRUSTED_CA_NAME[1]
        )
        self.ca_file = directory / "trusted-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self._contexts: dict[CertKind, ssl.SSLContext] = {}

    def client_context(self) -> ssl.SSLContext:
        """The platform's verifying client context, trusting certifi plus this test CA."""
        return build_tls_context(extra_ca_files=(self.ca_file,))

    def server_context(self, cert: CertKind = "valid") -> ssl.SSLContext:
        """A server-side context presenting the certificate of kind ``cert`` (cached)."""
        if cert not in self._contexts:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._load_certificate(context, cert)
            self._contexts[cert] = context
        return self._contexts[cert]

    def _load_certificate(self, context: ssl.SSLContext, cert: CertKind) -> None:
        if cert in ("self_signed", "client_only"):
            cert_file, key_file = self._hand_made_files(cert)
            context.load_cert_chain(str(cert_file), str(key_file))
            return
        issuers: dict[CertKind, tuple[trustme.CA, tuple[str, ...], dict[str, Any]]] = {
            "valid": (self.ca, VALID_NAMES, {}),
            "untrusted": (self.untrusted_ca, VALID_NAMES, {}),
            "wrong_name": (self.ca, WRONG_NAMES, {}),
            "expired": (
                self.ca,
                VALID_NAMES,
                {"not_before": EXPIRED_NOT_BEFORE, "not_after": EXPIRED_NOT_AFTER},
            ),
        }
        ca, names, dates = issuers[cert]
        ca.issue_cert(*names, **dates).configure_cert(context)

    def _hand_made_files(self, cert: CertKind) -> tuple[Path, Path]:
        """What trustme cannot issue: a self-signed certificate, or one from the trusted CA
        whose extended key usage allows client authentication only (not for a server)."""
        key = ec.generate_private_key(ec.SECP256R1())
        organization = "Self Signed Tests" if cert == "self_signed" else "Client Only Tests"
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
                x509.NameAttribute(NameOID.COMMON_NAME, "localhost"),
            ]
        )
        san = x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
        )
        now = datetime.datetime.now(datetime.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(san, critical=False)
        )
        if cert == "self_signed":
            certificate = builder.issuer_name(name).sign(key, hashes.SHA256())
        else:
            ca_cert = x509.load_pem_x509_certificate(self.ca.cert_pem.bytes())
            ca_key = serialization.load_pem_private_key(self.ca.private_key_pem.bytes(), None)
            assert isinstance(ca_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
            client_auth = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
            certificate = (
                builder.issuer_name(ca_cert.subject)
                .add_extension(client_auth, critical=False)
                .sign(ca_key, hashes.SHA256())
            )
        cert_file = self.directory / f"{cert}.pem"
        key_file = self.directory / f"{cert}.key"
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert_file, key_file


@dataclass(frozen=True)
class ReceivedMessage:
    """One message as the server received it: envelope plus the parsed e-mail."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage
    login: str | None = None


class RecordingHandler:
    """Accepts every message and records it in ``messages``, and the name each client gave in
    EHLO in ``ehlo_names`` (thread-safe)."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMessage] = []
        self.ehlo_names: list[str] = []
        self._lock = threading.Lock()

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self._lock:
            self.ehlo_names.append(hostname)
        session.host_name = hostname  # a hook of this form must say the client greeted
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        login = session.login_data.decode() if session.login_data else None
        received = ReceivedMessage(
            envelope.mail_from, tuple(envelope.rcpt_tos), raw, parsed, login=login
        )
        with self._lock:
            self.messages.append(received)
        return "250 2.0.0 OK: queued"


class GatedData(RecordingHandler):
    """Holds each DATA (after the message arrived, before the reply) until the test opens its
    gate: ``gates[n]`` for the n-th DATA command; ``arrived`` counts DATA commands seen."""

    def __init__(self, gated: int) -> None:
        super().__init__()
        self.gates = [threading.Event() for _ in range(gated)]
        self.arrived = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        index = self.arrived
        self.arrived += 1
        if index < len(self.gates):
            while not self.gates[index].is_set():
                await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


class ScriptedHandler(RecordingHandler):
    """Answers scripted replies and stalls on chosen commands; otherwise records like its parent.

    ``replies`` maps ``MAIL``/``RCPT``/``DATA`` to a reply (``"550 5.1.1 No such user"``) given
    every time, or to a sequence of replies given one per command, after which the command is
    accepted (``{"DATA": ["451 4.3.0 Try later"]}`` fails once, then succeeds). ``stall`` lists
    commands the server never answers (until it stops): those, or ``EHLO`` (not recorded)."""

    def __init__(
        self,
        replies: Mapping[str, str | Sequence[str]] | None = None,
        *,
        stall: Iterable[str] = (),
        stall_seconds: float = 3600.0,
    ) -> None:
        super().__init__()
        self._replies: dict[str, str | list[str]] = {
            command.upper(): reply if isinstance(reply, str) else list(reply)
            for command, reply in (replies or {}).items()
        }
        self.stall = frozenset(command.upper() for command in stall)
        self.stall_seconds = stall_seconds
        self.commands: list[str] = []

    async def _scripted(self, command: str) -> str | None:
        with self._lock:
            self.commands.append(command)
            reply = self._replies.get(command)
            if isinstance(reply, list):
                reply = reply.pop(0) if reply else None
        if command in self.stall:
            await asyncio.sleep(self.stall_seconds)
        return reply

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        if "EHLO" in self.stall:
            await asyncio.sleep(self.stall_seconds)
        return await super().handle_EHLO(server, session, envelope, hostname, responses)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if (reply := await self._scripted("MAIL")) is not None:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if (reply := await self._scripted("RCPT")) is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if (reply := await self._scripted("DATA")) is not None:
            return reply
        return await super().handle_DATA(server, session, envelope)


def make_authenticator(username: str, password: str, mechanisms: list[str] | None = None) -> Any:
    """An aiosmtpd authenticator accepting exactly one user name and password; it appends the
    mechanism of every login it judges to ``mechanisms``."""
    expected = LoginPassword(username.encode(), password.encode())

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if mechanisms is not None:
            mechanisms.append(mechanism)
        if isinstance(auth_data, LoginPassword) and auth_data == expected:
            return AuthResult(success=True, auth_data=auth_data)
        # handled=False makes aiosmtpd answer 535; handled=True would leave the client hanging.
        return AuthResult(success=False, handled=False)

    return authenticator


def free_port(host: str = HOST) -> int:
    """A port nobody listens on right now (aiosmtpd's readiness check rejects port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class SmtpServer:
    """An aiosmtpd server on 127.0.0.1 (not started until ``start()`` or ``with``).

    ``security``: ``ssl`` implicit TLS, ``starttls`` STARTTLS offered and required, ``none`` no
    TLS at all. ``credentials`` turns on AUTH and requires it before MAIL FROM. ``smtputf8``
    offers SMTPUTF8 (internationalised addresses), which aiosmtpd leaves off by default.
    ``logins`` lists the mechanism of every login the server judged, in order."""

    pki: Pki
    security: ServerSecurity = "ssl"
    cert: CertKind = "valid"
    credentials: tuple[str, str] | None = None
    smtputf8: bool = False
    handler: RecordingHandler = field(default_factory=RecordingHandler)
    host: str = HOST
    port: int = 0
    controller: Controller | None = field(default=None, init=False, repr=False)
    logins: list[str] = field(default_factory=list, init=False)

    def _controller_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"hostname": self.host, "port": self.port}
        options["enable_SMTPUTF8"] = self.smtputf8
        if self.credentials is not None:
            options["authenticator"] = make_authenticator(*self.credentials, self.logins)
            options["auth_required"] = True
        # aiosmtpd only knows about TLS it negotiated itself (STARTTLS); with implicit TLS or
        # no TLS it must not demand TLS before AUTH.
        options["auth_require_tls"] = self.security == "starttls"
        if self.security == "ssl":
            options["ssl_context"] = self.pki.server_context(self.cert)
        elif self.security == "starttls":
            options["tls_context"] = self.pki.server_context(self.cert)
            options["require_starttls"] = True
        return options

    def start(self) -> Self:
        """Start on a free port, retrying if another process grabs the port first."""
        for _ in range(5):
            self.port = self.port or free_port(self.host)
            controller = Controller(self.handler, **self._controller_options())
            try:
                controller.start()
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                self.port = 0
                continue
            self.controller = controller
            return self
        raise RuntimeError("no free port for the test SMTP server")

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def endpoint(
        self,
        security: Literal["ssl", "starttls"] | None = None,
        *,
        username: str | None = None,
        password: str | None = None,
        host: str | None = None,
    ) -> SmtpEndpoint:
        """An endpoint pointing at this server (security defaults to the server's own)."""
        chosen = security or ("starttls" if self.security == "none" else self.security)
        return SmtpEndpoint(host or self.host, self.port, chosen, username, password)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)


@dataclass
class SilentServer:
    """A TCP listener that completes the handshake (kernel backlog) but never says anything:
    a server stalled before its greeting."""

    host: str = HOST
    port: int = 0
    _socket: socket.socket | None = field(default=None, init=False, repr=False)

    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind((self.host, self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._socket = listener
        return self

    def stop(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
