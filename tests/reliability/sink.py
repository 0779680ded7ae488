"""The mail server of the reliability run: aiosmtpd with STARTTLS and AUTH required, in a
process of its own, appending one line per accepted recipient to a file: the Message-ID's
outbox ID and the recipient. ``python -m tests.reliability.sink PORT CERT LOG USER PASSWORD``"""

from __future__ import annotations

import logging
import signal
import ssl
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.smtp_servers import make_authenticator


class Recorder:
    def __init__(self, path: str) -> None:
        self._out = open(path, "a", buffering=1)  # noqa: SIM115  (open for the process's life)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message_id = ""
        for line in bytes(envelope.content).split(b"\n"):
            if line.lower().startswith(b"message-id:"):
                # Message-ID: <outbox id@sender domain>
                message_id = line.split(b"<", 1)[-1].split(b"@")[0].decode()
                break
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self._out.write(f"{message_id} {recipient}\n")
        return "250 2.0.0 OK"


def main(port: int, cert: str, log: str, user: str, password: str) -> None:
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert)
    controller = Controller(
        Recorder(log),
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=make_authenticator(user, password),
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    print("ready", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
