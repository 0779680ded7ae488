"""Tenant ID and display name rules, host -> tenant parsing, and link origins."""

from __future__ import annotations

import pytest

from gatehouse.errors import ValidationError
from gatehouse.mail.endpoint import endpoint_from_url
from gatehouse.settings import Settings
from gatehouse.tenants.service import (
    generate_tenant_id,
    validate_display_name,
    validate_tenant_id,
)


@pytest.mark.parametrize(
    "name",
    [
        "Acme Corp",
        "O'Brien & Co".replace("&", "and"),
        "a",
        "x" * 50,
        "Müller_GmbH-2.0",
        "東京 支店",
    ],
)
def test_display_names_allowed(name: str) -> None:
    """Letters (any script), digits, space, _ - . ' and 1-50 characters are allowed."""
    assert validate_display_name(name) == name


@pytest.mark.parametrize("name", ["", " ", "x" * 51, "a/b", "a<b>", "tab\there", "new\nline"])
def test_display_names_refused(name: str) -> None:
    """Anything else is refused on the display_name field."""
    with pytest.raises(ValidationError) as error:
        validate_display_name(name)
    assert error.value.field == "display_name"


@pytest.mark.parametrize("tenant_id", ["-acme", "acme-", "Acme", "a.b", "admin", "x" * 64])
def test_tenant_ids_refused(tenant_id: str) -> None:
    """Tenant IDs are DNS labels in lower case, and not reserved names."""
    with pytest.raises(ValidationError):
        validate_tenant_id(tenant_id)


def test_generated_ids_are_valid_and_distinct() -> None:
    """Generated IDs pass the rules and do not repeat."""
    ids = {generate_tenant_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(validate_tenant_id(tenant_id) for tenant_id in ids)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtps://mail.example.com", ("mail.example.com", 465, "ssl", None)),
        ("smtp://mail.example.com", ("mail.example.com", 587, "starttls", None)),
        ("smtp://u%40x:p%3Aw@relay:2525", ("relay", 2525, "starttls", "u@x")),
    ],
)
def test_default_smtp_url(url: str, expected: tuple[str, int, str, str | None]) -> None:
    """smtps:// is implicit TLS on 465, smtp:// is required STARTTLS on 587."""
    endpoint = endpoint_from_url(url)
    assert (endpoint.host, endpoint.port, endpoint.security, endpoint.username) == expected


def test_default_smtp_url_refuses_other_schemes() -> None:
    """There is no plaintext scheme to choose."""
    with pytest.raises(ValidationError, match="GATEHOUSE_DEFAULT_SMTP_URL"):
        endpoint_from_url("http://mail.example.com")


def test_link_origin_omits_default_ports() -> None:
    """Links use the configured scheme and omit the scheme's default port."""
    https = Settings(_env_file=None, public_scheme="https", public_port=443)
    dev = Settings(_env_file=None, public_port=8000)
    assert https.tenant_origin("acme.id.example.com") == "https://acme.id.example.com"
    assert dev.tenant_origin("demo.localhost") == "http://demo.localhost:8000"
