"""The embedded development mail server (dev mode only): two real TLS SMTP listeners on loopback
and a mailbox viewer.

- ``default`` plays the platform's default server: STARTTLS required, no login.
- ``custom`` plays a tenant's own server: implicit TLS, login required.
Both present certificates from a development CA that only dev mode trusts."""

from __future__ import annotations

import email
import email.policy
import json
import logging
import secrets
import socket
import ssl
import threading
import warnings
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

MAX_MESSAGES = 500
CUSTOM_LISTENER_FILE = "custom-listener.json"  # its user name, password and last port
logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd logs every SMTP line at INFO
# The custom listener is implicit TLS, which aiosmtpd's AUTH-without-STARTTLS warning ignores.
warnings.filterwarnings("ignore", "Requiring AUTH while not requiring TLS", UserWarning)


@dataclass(frozen=True)
class Listener:
    name: str
    host: str
    port: int
    security: str  # "starttls" | "ssl"
    username: str | None
    password: str | None


@dataclass(frozen=True)
class CapturedMessage:
    id: int
    listener: str
    mail_from: str
    rcpt_to: list[str]
    sender: str
    to: str
    subject: str
    text: str
    html: str
    received_at: str

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["from"] = data.pop("sender")
        return data


class Mailbox:
    """Captured messages, newest first; shared by the listener threads and the web app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: deque[CapturedMessage] = deque(maxlen=MAX_MESSAGES)
        self._next_id = 1

    def add(self, listener: str, mail_from: str, rcpt_to: list[str], raw: bytes) -> None:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self._messages.appendleft(
                CapturedMessage(
                    id=self._next_id,
                    listener=listener,
                    mail_from=mail_from,
                    rcpt_to=list(rcpt_to),
                    sender=str(parsed.get("From", "")),
                    to=str(parsed.get("To", "")),
                    subject=str(parsed.get("Subject", "")),
                    text=_part(parsed, "plain"),
                    html=_part(parsed, "html"),
                    received_at=datetime.now(UTC).isoformat(),
                )
            )
            self._next_id += 1

    def messages(self) -> list[CapturedMessage]:
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def get(self, message_id: int) -> CapturedMessage | None:
        return next((m for m in self.messages() if m.id == message_id), None)


def _part(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    return str(body.get_content()) if body is not None else ""


class _CaptureHandler:
    def __init__(self, mailbox: Mailbox, listener: str) -> None:
        self._mailbox = mailbox
        self._listener = listener

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self._mailbox.add(self._listener, envelope.mail_from, envelope.rcpt_tos, envelope.content)
        return "250 2.0.0 Message accepted for delivery"


class _Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self._username, self._password = username.encode(), password.encode()

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and secrets.compare_digest(auth_data.login, self._username)
            and secrets.compare_digest(auth_data.password, self._password)
        )
        # handled=False lets aiosmtpd answer 535 itself; handled=True leaves the client hanging.
        return AuthResult(success=ok, handled=False)


class DevMailServer:
    """Starts and stops both listeners; ``ca_file`` is the CA dev mode adds to its trust store."""

    def __init__(self, data_dir: Path, *, default_port: int = 0, custom_port: int = 0) -> None:
        self.directory = data_dir / "devmail"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.mailbox = Mailbox()
        self._ca = _load_or_create_ca(self.directory)
        self.ca_file = self.directory / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))
        self._ports = (default_port, custom_port)
        self._controllers: list[Controller] = []
        self.listeners: list[Listener] = []

    def start(self) -> None:
        username, password = _load_or_create_credentials(self.directory)
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
        default_port = _free_port(self._ports[0])
        # The custom listener keeps its port across restarts where it can: the demo tenant's
        # saved configuration points at it (a new port each `make run` broke its e-mail).
        custom_port = _free_port(self._ports[1] or _remembered_port(self.directory))
        default = Controller(
            _CaptureHandler(self.mailbox, "default"),
            hostname="127.0.0.1",
            port=default_port,
            tls_context=server_context,
            require_starttls=True,
        )
        custom = Controller(
            _CaptureHandler(self.mailbox, "custom"),
            hostname="127.0.0.1",
            port=custom_port,
            ssl_context=server_context,
            authenticator=_Authenticator(username, password),
            auth_required=True,
            auth_require_tls=False,  # the whole session is TLS already (implicit TLS)
        )
        for controller in (default, custom):
            controller.start()
            self._controllers.append(controller)
        _remember_port(self.directory, custom_port)
        self.listeners = [
            Listener("default", "127.0.0.1", default_port, "starttls", None, None),
            Listener("custom", "localhost", custom_port, "ssl", username, password),
        ]

    def stop(self) -> None:
        for controller in self._controllers:
            controller.stop()
        self._controllers.clear()

    def default_smtp_url(self) -> str:
        listener = self.listeners[0]
        return f"smtp://{listener.host}:{listener.port}"


def _load_or_create_ca(directory: Path) -> trustme.CA:
    cert_file, key_file = directory / "ca.pem", directory / "ca.key"
    if cert_file.exists() and key_file.exists():
        return trustme.CA.from_pem(cert_file.read_bytes(), key_file.read_bytes())
    ca = trustme.CA(organization_name="Gatehouse Development CA")
    key_file.touch(mode=0o600)
    ca.private_key_pem.write_to_path(str(key_file))
    return ca


def _load_or_create_credentials(directory: Path) -> tuple[str, str]:
    path = directory / CUSTOM_LISTENER_FILE
    if path.exists():
        data = json.loads(path.read_text())
        return str(data["username"]), str(data["password"])
    username, password = "tenant-smtp", secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(json.dumps({"username": username, "password": password}))
    return username, password


def _remembered_port(directory: Path) -> int:
    """The custom listener's port at its last start (0: none yet)."""
    data = json.loads((directory / CUSTOM_LISTENER_FILE).read_text())
    return int(data.get("port", 0))


def _remember_port(directory: Path, port: int) -> None:
    path = directory / CUSTOM_LISTENER_FILE
    path.write_text(json.dumps({**json.loads(path.read_text()), "port": port}))


def _free_port(preferred: int) -> int:
    """``preferred`` when given and free, else any free port (aiosmtpd cannot bind port 0)."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise OSError(f"port {preferred} is busy")
