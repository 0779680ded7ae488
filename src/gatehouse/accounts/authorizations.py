"""The administrator authorizations and what they are called in the console."""

from __future__ import annotations

from enum import StrEnum


class Authorization(StrEnum):
    MANAGE_APPLICATIONS = "manage-applications"
    MANAGE_USERS = "manage-users"
    READ_USERS = "read-users"
    MANAGE_GROUPS = "manage-groups"
    MANAGE_CORPORATE_IDPS = "manage-corporate-identity-providers"
    MANAGE_TENANT_CONFIGURATION = "manage-tenant-configuration"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS: dict[Authorization, str] = {
    Authorization.MANAGE_APPLICATIONS: "Manage Applications",
    Authorization.MANAGE_USERS: "Manage Users",
    Authorization.READ_USERS: "Read Users",
    Authorization.MANAGE_GROUPS: "Manage Groups",
    Authorization.MANAGE_CORPORATE_IDPS: "Manage Corporate Identity Providers",
    Authorization.MANAGE_TENANT_CONFIGURATION: "Manage Tenant Configuration",
}

ALL_AUTHORIZATIONS = frozenset(Authorization)
# Every slug, as commands and errors list them.
KNOWN_SLUGS = ", ".join(a.value for a in Authorization)


def labels_of(authorizations: frozenset[Authorization]) -> list[str]:
    """The labels of ``authorizations``, in the console's order."""
    return [a.label for a in Authorization if a in authorizations]


def parse_authorizations(slugs: list[str]) -> frozenset[Authorization]:
    """Slugs to authorizations; an unknown slug is a ValidationError naming it."""
    from gatehouse.errors import ValidationError

    result: set[Authorization] = set()
    for slug in slugs:
        try:
            result.add(Authorization(slug))
        except ValueError:
            raise ValidationError(
                "authorization", f"Unknown authorization {slug!r}; known: {KNOWN_SLUGS}."
            ) from None
    return frozenset(result)
