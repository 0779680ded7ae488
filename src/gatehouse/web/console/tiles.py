"""The console home's tiles, in groups, each shown only to holders of its authorizations."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.accounts.authorizations import Authorization as A


@dataclass(frozen=True)
class Tile:
    title: str
    description: str
    href: str
    needs: tuple[A, ...]  # any one of these


TILE_GROUPS: list[tuple[str, list[Tile]]] = [
    (
        "Applications and Resources",
        [
            Tile(
                "Tenant Settings",
                "Tenant information, mail server configuration and other settings.",
                "/admin/tenant-settings",
                (A.MANAGE_TENANT_CONFIGURATION,),
            ),
        ],
    ),
    (
        "Users & Authorizations",
        [],
    ),
]


def visible_groups(authorizations: frozenset[A]) -> list[tuple[str, list[Tile]]]:
    groups = []
    for name, tiles in TILE_GROUPS:
        shown = [t for t in tiles if any(a in authorizations for a in t.needs)]
        if shown:
            groups.append((name, shown))
    return groups
