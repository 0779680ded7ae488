"""The console home's tiles, in groups, each shown only to holders of its authorizations."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatehouse.accounts.authorizations import Authorization as A


@dataclass(frozen=True)
class Tile:
    title: str
    description: str
    href: str
    needs: tuple[A, ...]  # any one of these
    # What the tile says to an administrator who may only read there (holds none of
    # ``changes_need``): no promise of buttons that are off for them.
    read_only_description: str = ""
    changes_need: tuple[A, ...] = ()


TILE_GROUPS: list[tuple[str, list[Tile]]] = [
    (
        "Applications and Resources",
        [
            Tile(
                "Applications",
                "User Profile and your applications: logon pages, template sets, second factor.",
                "/admin/applications",
                (A.MANAGE_APPLICATIONS,),
            ),
            Tile(
                "Tenant Settings",
                "Tenant information, mail server configuration and other settings.",
                "/admin/tenant-settings",
                (A.MANAGE_TENANT_CONFIGURATION,),
            ),
            Tile(
                "E-Mail Template Sets",
                "What the tenant's e-mails say, per process and language.",
                "/admin/email-template-sets",
                (A.MANAGE_TENANT_CONFIGURATION,),
            ),
        ],
    ),
    (
        "Users & Authorizations",
        [
            Tile(
                "User Management",
                "Find, create, deactivate and activate users; password details and e-mail limit.",
                "/admin/users",
                (A.MANAGE_USERS, A.READ_USERS),
                read_only_description="Find users and see their details, password details and "
                "e-mail limit.",
                changes_need=(A.MANAGE_USERS,),
            ),
            Tile(
                "Administrators",
                "Who administers this tenant, with which authorizations; API clients.",
                "/admin/administrators",
                (A.MANAGE_TENANT_CONFIGURATION,),
            ),
        ],
    ),
]


def visible_groups(authorizations: frozenset[A]) -> list[tuple[str, list[Tile]]]:
    groups = []
    for name, tiles in TILE_GROUPS:
        shown = [_as_seen(t, authorizations) for t in tiles if _held(t.needs, authorizations)]
        if shown:
            groups.append((name, shown))
    return groups


def _held(needed: tuple[A, ...], authorizations: frozenset[A]) -> bool:
    return any(a in authorizations for a in needed)


def _as_seen(tile: Tile, authorizations: frozenset[A]) -> Tile:
    if tile.read_only_description and not _held(tile.changes_need, authorizations):
        return replace(tile, description=tile.read_only_description)
    return tile
