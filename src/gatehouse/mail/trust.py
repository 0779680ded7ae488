"""The TLS client context for every outgoing mail connection: the platform trust store (certifi,
Mozilla's CA set, plus the operator's CA file), TLS 1.2 or newer, host names always checked.

There is deliberately no way to turn verification off, and no way for a tenant to add a CA."""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi


def build_tls_context(*, extra_ca_files: tuple[Path, ...] = ()) -> ssl.SSLContext:
    """A verifying client context trusting certifi's CAs and the operator's ``extra_ca_files``."""
    context = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cafile=certifi.where())
    for ca_file in extra_ca_files:
        context.load_verify_locations(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    return context
