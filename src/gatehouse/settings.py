"""Settings from the environment (prefix ``GATEHOUSE_``). Built by create_app()/the CLI, never at
import: tests build their own and pass them in."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator can set. Defaults serve the embedded demo."""

    model_config = SettingsConfigDict(env_prefix="GATEHOUSE_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str = ""  # empty: SQLite file under data_dir
    base_domain: str = "localhost"
    public_scheme: Literal["http", "https"] = "http"  # of links in e-mails; "https" in production
    # Port of links in e-mails; None: the port `serve` uses.
    public_port: int | None = Field(default=None, ge=1, le=65535)
    default_smtp_url: str = ""  # smtps://user:pass@host:465 or smtp://host:587 (STARTTLS required)
    default_sender: str = "Gatehouse <no-reply@gatehouse.localhost>"
    smtp_ca_file: Path | None = None  # operator CA added to certifi's set
    allow_private_mail_hosts: bool = False
    secret_keys: str = ""  # comma-separated Fernet keys, newest first; empty: key file in data_dir
    dev: bool = False
    run_worker: bool = True  # `serve` runs the delivery worker in-process
    worker_poll_seconds: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    worker_batch_size: int = Field(default=500, ge=1, le=1000)
    worker_lease_seconds: int = Field(default=120, ge=5)
    max_connections_per_tenant: int = Field(default=2, ge=1, le=16)  # providers refuse many
    default_max_connections: int = Field(default=4, ge=1, le=64)  # to the platform default server
    worker_max_connections: int = Field(default=200, ge=1)  # open SMTP connections per worker
    smtp_connect_timeout: float = Field(default=10.0, gt=0, allow_inf_nan=False)
    smtp_timeout: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    smtp_ehlo_name: str = ""  # the name given in EHLO; empty: the base domain
    # Transient failures: the first retry after about this many seconds, doubling up to the
    # most, until the e-mail is this many hours old (then it fails).
    retry_first_seconds: float = Field(default=30.0, gt=0, allow_inf_nan=False)
    retry_max_seconds: float = Field(default=3600.0, gt=0, allow_inf_nan=False)
    retry_give_up_hours: float = Field(default=24.0, gt=0, allow_inf_nan=False)
    # Sent and failed e-mails are deleted from the delivery log this many days after their last
    # try.
    delivery_log_days: int = Field(default=30, ge=1, le=3650)
    # Test e-mails (of the mail server, of one template) a tenant may send in any hour; 0: no
    # limit. They go to any address typed, with the tenant's template, maybe via our servers.
    test_emails_per_tenant_hour: int = Field(default=20, ge=0)
    # E-mails to new users (invitations, users created in the console) a tenant may send in
    # any hour; 0: no limit. They go to any address typed, with the tenant's template.
    new_user_emails_per_tenant_hour: int = Field(default=500, ge=0)
    session_hours: int = Field(default=8, ge=1)
    # Self-registrations per tenant from one client network in any hour; 0: no limit.
    registrations_per_client_hour: int = Field(default=10, ge=0)
    # Failed logons, and forgot-password requests, per tenant from one client network in any
    # hour (processes/client_limit.py); 0: no limit.
    failed_logons_per_client_hour: int = Field(default=200, ge=0)
    forgot_password_per_client_hour: int = Field(default=100, ge=0)
    # Custom mail server checks (saves and tests) a tenant may have made in any hour
    # (mail/check_limit.py); 0: no limit.
    mail_server_checks_per_tenant_hour: int = Field(default=60, ge=0)
    ses_region: str = ""  # the platform's Amazon SES account (credentials: the AWS chain)
    ses_endpoint_url: str = ""  # e.g. a local moto server in tests and development
    ses_default_domain: str = ""  # the platform's verified sending domain offered to tenants
    dev_smtp_default_port: int = Field(default=0, ge=0, le=65535)  # 0: a free port at start
    dev_smtp_custom_port: int = Field(default=0, ge=0, le=65535)

    @property
    def ses_available(self) -> bool:
        """The SES option is offered only when the operator configured the platform's account."""
        return bool(self.ses_region and self.ses_default_domain)

    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'gatehouse.sqlite3').resolve()}"

    def ehlo_name(self) -> str:
        """The name our SMTP client gives in EHLO. Not the machine's own name: a container's
        or a bare host name is not a fully qualified domain, which relays may refuse."""
        return self.smtp_ehlo_name or self.base_domain

    def uses_sqlite(self) -> bool:
        """Whether the database is SQLite (a file under the data directory, by default)."""
        return self.resolved_database_url().startswith("sqlite")

    def tenant_origin(self, host: str) -> str:
        """Origin (scheme://host[:port]) for links to pages on ``host``."""
        default_port = 443 if self.public_scheme == "https" else 80
        port = self.public_port
        suffix = f":{port}" if port and port != default_port else ""
        return f"{self.public_scheme}://{host}{suffix}"
