"""The operator's settings checked before a command starts. A GATEHOUSE_* value that cannot work
stops the command with one line naming the variable (SettingsError), instead of a traceback at
start-up or, for the default mail server's URL, every e-mail failing later as an internal
error."""

from __future__ import annotations

import ipaddress
import ssl
from urllib.parse import urlsplit

import pydantic
from pydantic_core import ErrorDetails
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from gatehouse.crypto import load_secret_box
from gatehouse.errors import SettingsError, ValidationError
from gatehouse.mail.addresses import reject_control_characters
from gatehouse.mail.config import validate_host
from gatehouse.mail.endpoint import endpoint_from_url
from gatehouse.mail.mime import split_sender
from gatehouse.mail.trust import build_tls_context
from gatehouse.settings import Settings

ENV_PREFIX = "GATEHOUSE_"
SENDER_FORM = "Use an address, with a name if you like, as in Gatehouse <no-reply@example.com>."
DATABASE_URL_FORMS = (
    "use postgresql+asyncpg://user:password@host/database or sqlite+aiosqlite:///path/file"
)


def load_settings() -> Settings:
    """The environment's settings; a value of the wrong type or out of range names its
    variable (every one that is wrong, one per line)."""
    try:
        return Settings()
    except pydantic.ValidationError as exc:
        first, *others = exc.errors()
        lines = [_problem_line(problem) for problem in others]
        raise SettingsError(_variable(first), "\n".join([_problem_text(first), *lines])) from None


def check_settings(settings: Settings) -> None:
    """Raise SettingsError for the first setting that cannot work: the secret keys, the extra
    CA file, the default mail server's URL and sender, the base domain, the EHLO name, the
    database URL's form (not whether the database answers: that is the command's own error),
    the retry delays and the platform's SES account; and that the data directory can be made
    where it is needed."""
    _check_data_dir(settings)
    load_secret_box(settings)
    _check_ca_file(settings)
    _check_default_smtp_url(settings)
    _check_default_sender(settings)
    _check_base_domain(settings)
    _check_ehlo_name(settings)
    _check_database_url(settings)
    _check_retry_delays(settings)
    _check_ses(settings)


def _variable(problem: ErrorDetails) -> str:
    location = problem.get("loc") or ("settings",)
    return ENV_PREFIX + str(location[0]).upper()


def _problem_text(problem: ErrorDetails) -> str:
    return f"{problem['msg']} (got {problem.get('input')!r})."


def _problem_line(problem: ErrorDetails) -> str:
    return f"{_variable(problem)}: {_problem_text(problem)}"


def _check_ca_file(settings: Settings) -> None:
    if settings.smtp_ca_file is None:
        return
    try:
        build_tls_context(extra_ca_files=(settings.smtp_ca_file,))
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise SettingsError(
            "GATEHOUSE_SMTP_CA_FILE",
            f"cannot load {settings.smtp_ca_file} as a PEM CA bundle: {reason}.",
        ) from None


def _check_default_smtp_url(settings: Settings) -> None:
    if not settings.default_smtp_url:
        return
    try:
        endpoint_from_url(settings.default_smtp_url)
    except ValidationError as exc:
        raise SettingsError(exc.field, f"{exc.message}.") from None
    except ValueError:  # urlsplit: a port that is no number or out of range
        raise SettingsError(
            "GATEHOUSE_DEFAULT_SMTP_URL",
            "the port must be a number from 1 to 65535, as in smtps://host:465.",
        ) from None


def _check_default_sender(settings: Settings) -> None:
    # The From of every e-mail through the default server: a bad one fails them all later.
    # Syntax only: the platform's own names (no-reply@gatehouse.localhost) are the operator's.
    value = settings.default_sender
    _, address = split_sender(value)
    local, at, domain = address.rpartition("@")
    problem = f"{value!r} is not an e-mail address. {SENDER_FORM}"
    # parseaddr drops what it cannot read ("x@y z" gives "x@yz"): the address must stand as given.
    blank = any(c.isspace() or not c.isprintable() for c in local)
    if not (at and local and domain and address in value) or blank:
        raise SettingsError("GATEHOUSE_DEFAULT_SENDER", problem)
    try:
        reject_control_characters(value, field="default_sender")
        validate_host(domain)
    except ValidationError:
        raise SettingsError("GATEHOUSE_DEFAULT_SENDER", problem) from None


def _check_base_domain(settings: Settings) -> None:
    # Every tenant's host and every link in e-mails is <tenant id>.<base domain>.
    problem = f"{settings.base_domain!r} is not a host name: use one as in id.example.com."
    try:
        ipaddress.ip_address(settings.base_domain.strip("[]"))
    except ValueError:
        pass
    else:
        raise SettingsError("GATEHOUSE_BASE_DOMAIN", problem)
    try:
        validate_host(settings.base_domain)
    except ValidationError:
        raise SettingsError("GATEHOUSE_BASE_DOMAIN", problem) from None


def _check_ehlo_name(settings: Settings) -> None:
    # Sent in every EHLO: a host name (RFC 5321 4.1.1.1), or an address literal as [192.0.2.1].
    name = settings.smtp_ehlo_name
    if not name or _address_literal(name):
        return
    try:
        validate_host(name)
    except ValidationError:
        raise SettingsError(
            "GATEHOUSE_SMTP_EHLO_NAME",
            f"{name!r} is not a host name: use this machine's public name, as in mail.example.com.",
        ) from None


def _address_literal(name: str) -> bool:
    if not (name.startswith("[") and name.endswith("]")):
        return False
    address = name[1:-1].removeprefix("IPv6:")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def _check_database_url(settings: Settings) -> None:
    if not settings.database_url:
        return
    try:
        dialect = make_url(settings.database_url).get_dialect()
    except NoSuchModuleError:  # an ArgumentError: before it
        raise SettingsError(
            "GATEHOUSE_DATABASE_URL", f"unknown database or driver: {DATABASE_URL_FORMS}."
        ) from None
    except (ArgumentError, ValueError):
        raise SettingsError(
            "GATEHOUSE_DATABASE_URL", f"not a database URL: {DATABASE_URL_FORMS}."
        ) from None
    if not dialect.is_async:
        raise SettingsError(
            "GATEHOUSE_DATABASE_URL",
            f"the driver {dialect.driver} is not an asyncio driver: {DATABASE_URL_FORMS}.",
        )


def _check_retry_delays(settings: Settings) -> None:
    """The longest retry delay cannot be shorter than the first (retries would not back off)."""
    if settings.retry_max_seconds < settings.retry_first_seconds:
        raise SettingsError(
            "GATEHOUSE_RETRY_MAX_SECONDS",
            f"must be at least GATEHOUSE_RETRY_FIRST_SECONDS ({settings.retry_first_seconds:g}).",
        )


def _check_data_dir(settings: Settings) -> None:
    """The data directory holds the SQLite database and the key file made when no
    GATEHOUSE_SECRET_KEYS are set: one that cannot be made is named here, not in a traceback."""
    if settings.secret_keys and not settings.uses_sqlite():
        return
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SettingsError(
            "GATEHOUSE_DATA_DIR", f"{settings.data_dir} cannot be made: {reason}."
        ) from None


def _check_ses(settings: Settings) -> None:
    """The platform's SES account: before, a region or domain that cannot work was taken, and
    every e-mail of the tenants on the SES option failed later as an internal error."""
    if settings.ses_region and not _is_aws_region(settings.ses_region):
        raise SettingsError(
            "GATEHOUSE_SES_REGION",
            f"{settings.ses_region!r} is not an AWS region name: use one as in eu-west-1.",
        )
    if settings.ses_default_domain:
        problem = (
            f"{settings.ses_default_domain!r} is not a domain name: use one as in example.com."
        )
        try:
            validate_host(settings.ses_default_domain)
        except ValidationError:
            raise SettingsError("GATEHOUSE_SES_DEFAULT_DOMAIN", problem) from None
    endpoint = urlsplit(settings.ses_endpoint_url)
    if settings.ses_endpoint_url and not (endpoint.scheme in ("http", "https") and endpoint.netloc):
        raise SettingsError(
            "GATEHOUSE_SES_ENDPOINT_URL",
            f"{settings.ses_endpoint_url!r} is not an http or https URL: use one as in "
            "http://127.0.0.1:5000.",
        )


def _is_aws_region(name: str) -> bool:
    """As boto3 takes it (imported here: only a platform with SES needs botocore loaded)."""
    from botocore.exceptions import InvalidRegionError
    from botocore.utils import validate_region_name

    try:
        validate_region_name(name)
    except InvalidRegionError:
        return False
    return True
