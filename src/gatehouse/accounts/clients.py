"""API clients ("systems"): created with a secret shown once, stored as an argon2 hash."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import ApiClient
from gatehouse.accounts.passwords import hash_password, verify_password
from gatehouse.crypto import new_token
from gatehouse.errors import ValidationError


@dataclass(frozen=True)
class NewClient:
    client_id: str
    secret: str  # shown once, never stored


async def create_client(
    session: AsyncSession, *, tenant_id: str, name: str, authorizations: frozenset[Authorization]
) -> NewClient:
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise ValidationError("name", "The name must have 1 to 100 characters.")
    if not authorizations:
        raise ValidationError("authorization", "Give the client at least one authorization.")
    client_id, secret = str(uuid.uuid4()), new_token()
    session.add(
        ApiClient(
            id=client_id,
            tenant_id=tenant_id,
            name=name,
            secret_hash=hash_password(secret),
            authorizations=" ".join(sorted(a.value for a in authorizations)),
        )
    )
    await session.flush()
    return NewClient(client_id=client_id, secret=secret)


async def authenticate_client(
    session: AsyncSession, *, tenant_id: str, client_id: str, secret: str
) -> ApiClient | None:
    """The client of *this* tenant with this secret, else None (same cost either way)."""
    client = await session.get(ApiClient, client_id) if _is_uuid(client_id) else None
    if client is not None and client.tenant_id != tenant_id:
        client = None
    ok = verify_password(client.secret_hash if client else None, secret)
    return client if client is not None and ok else None


def client_authorizations(client: ApiClient) -> frozenset[Authorization]:
    return frozenset(Authorization(slug) for slug in client.authorizations.split())


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
