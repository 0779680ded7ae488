"""API clients ("systems"): up to two secrets each, expiring after 1 year, 2 years or never,
shown once when created and stored only as argon2 hashes. Two secrets let a system rotate:
add the new one, switch over, delete the old one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gatehouse import audit
from gatehouse.accounts.authorizations import Authorization, labels_of
from gatehouse.accounts.models import ApiClient, ApiClientSecret
from gatehouse.accounts.passwords import verify_password_off_loop
from gatehouse.crypto import hash_token, new_token, tokens_equal
from gatehouse.db.base import utcnow
from gatehouse.db.name_keys import name_key
from gatehouse.db.row_lock import lock_rows
from gatehouse.db.unique import unique_or
from gatehouse.errors import ConflictError, NotFoundError, ValidationError
from gatehouse.plain_text import reject_hidden
from gatehouse.tenants import quotas

RESOURCE = "api-clients"
SHA256_PREFIX = "sha256$"
MAX_SECRETS = 2
LAST_USED_EVERY = timedelta(minutes=1)  # how precise a secret's last use is kept
# expiry choice -> (label, lifetime in calendar years; None: never expires)
EXPIRIES: dict[str, tuple[str, int | None]] = {
    "1y": ("1 year", 1),
    "2y": ("2 years", 2),
    "never": ("Never", None),
}
NO_SUCH_CLIENT = "There is no such API client."
TOO_MANY_SECRETS = "A client has at most two secrets. Delete one before adding another."
LAST_SECRET = "This is the client's only secret. Add a new one first, or delete the client."
NO_AUTHORIZATION = "Give the client at least one authorization."


@dataclass(frozen=True)
class NewClient:
    client_id: str
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class ClientView:
    client: ApiClient
    secrets: list[ApiClientSecret]  # oldest first

    @property
    def authorizations(self) -> frozenset[Authorization]:
        return client_authorizations(self.client)


def _validate(name: str, authorizations: frozenset[Authorization]) -> str:
    name = " ".join(name.split())  # "Billing  Sync" would look like "Billing Sync" in a page
    if not 1 <= len(name) <= 100:
        raise ValidationError("name", "The name must have 1 to 100 characters.")
    reject_hidden(name, field="name")
    if not authorizations:
        raise ValidationError("authorization", NO_AUTHORIZATION)
    return name


async def _check_name_free(
    session: AsyncSession, tenant_id: str, name: str, *, client_id: str | None = None
) -> None:
    """Two systems of a tenant never share a name (upper or lower case alike): the name is how
    administrators tell them apart, and a form sent twice (a reload) must not add a second."""
    taken = await session.scalar(
        select(ApiClient.id).where(
            ApiClient.tenant_id == tenant_id,
            ApiClient.name_key == name_key(name),  # as the index compares
            ApiClient.id != (client_id or ""),
        )
    )
    if taken is not None:
        raise _name_taken(name)


def _name_taken(name: str) -> ValidationError:
    return ValidationError("name", f"A system named “{name}” exists already: choose another.")


# The index's name (PostgreSQL's report) and its key column (SQLite's), for a lost race.
_UNIQUE_NAME = ("uq_api_clients_tenant_name_key", "api_clients.name_key")


def _lifetime(expiry: str) -> int | None:
    if expiry not in EXPIRIES:
        raise ValidationError("expiry", "Choose 1 year, 2 years or never.")
    return EXPIRIES[expiry][1]


def years_later(moment: datetime, years: int) -> datetime:
    """The same day and time ``years`` later (counted in days, two years from 2026 ended a day
    early across 2028's 29 February); 29 February becomes 28 February in a common year."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def _new_secret(client: ApiClient, expiry: str) -> tuple[ApiClientSecret, str]:
    years, secret = _lifetime(expiry), new_token()
    record = ApiClientSecret(
        client_id=client.id,
        tenant_id=client.tenant_id,
        secret_hash=hash_client_secret(secret),
        expires_at=years_later(utcnow(), years) if years else None,
    )
    return record, secret


async def create_client(
    session: AsyncSession,
    *,
    tenant_id: str,
    name: str,
    authorizations: frozenset[Authorization],
    expiry: str = "never",
    actor: str | None = None,
) -> NewClient:
    name = _validate(name, authorizations)
    await _check_name_free(session, tenant_id, name)
    await quotas.check_room(
        session,
        tenant_id=tenant_id,
        key=ApiClient.id,
        where=ApiClient.tenant_id == tenant_id,
        limit=quotas.MAX_API_CLIENTS,
        things="API clients",
    )
    client = ApiClient(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name=name,
        authorizations=_slugs(authorizations),
    )
    async with unique_or(session, _name_taken(name), marks=_UNIQUE_NAME):
        session.add(client)
    record, secret = _new_secret(client, expiry)
    session.add(record)
    if actor:
        await _record(session, client, actor, "create", authorizations=_labels(authorizations))
    await session.flush()
    return NewClient(client_id=client.id, secret=secret)


async def list_clients(session: AsyncSession, tenant_id: str) -> list[ClientView]:
    clients = await session.scalars(
        select(ApiClient).where(ApiClient.tenant_id == tenant_id).order_by(ApiClient.name)
    )
    secrets = await session.scalars(
        select(ApiClientSecret)
        .where(ApiClientSecret.tenant_id == tenant_id)
        .order_by(ApiClientSecret.created_at)
    )
    by_client: dict[str, list[ApiClientSecret]] = {}
    for record in secrets:
        by_client.setdefault(record.client_id, []).append(record)
    return [ClientView(client=c, secrets=by_client.get(c.id, [])) for c in clients]


async def get_client(session: AsyncSession, tenant_id: str, client_id: str) -> ClientView:
    client = await session.scalar(
        select(ApiClient).where(ApiClient.tenant_id == tenant_id, ApiClient.id == client_id)
    )
    if client is None:
        raise NotFoundError(NO_SUCH_CLIENT)
    secrets = await session.scalars(
        select(ApiClientSecret)
        .where(ApiClientSecret.client_id == client.id)
        .order_by(ApiClientSecret.created_at)
    )
    return ClientView(client=client, secrets=list(secrets.all()))


async def update_client(
    session: AsyncSession,
    *,
    tenant_id: str,
    client_id: str,
    name: str,
    authorizations: frozenset[Authorization],
    actor: str,
) -> ApiClient:
    client = (await get_client(session, tenant_id, client_id)).client
    name = _validate(name, authorizations)
    await _check_name_free(session, tenant_id, name, client_id=client_id)
    async with unique_or(session, _name_taken(name), marks=_UNIQUE_NAME):
        client.name = name
        client.authorizations = _slugs(authorizations)
    await _record(session, client, actor, "update", authorizations=_labels(authorizations))
    await session.flush()
    return client


async def _lock_client(session: AsyncSession, tenant_id: str, client_id: str) -> None:
    """Serialize the changes of one client's secrets until the transaction ends: two at once
    would both count the secrets before either wrote (three secrets, or none left)."""
    await lock_rows(
        session, ApiClient.created_at, ApiClient.tenant_id == tenant_id, ApiClient.id == client_id
    )


async def add_secret(
    session: AsyncSession, *, tenant_id: str, client_id: str, expiry: str, actor: str
) -> str:
    """A further secret (at most two in all); returned once."""
    await _lock_client(session, tenant_id, client_id)
    view = await get_client(session, tenant_id, client_id)
    if len(view.secrets) >= MAX_SECRETS:
        raise ConflictError(TOO_MANY_SECRETS)
    record, secret = _new_secret(view.client, expiry)
    session.add(record)
    await _record(session, view.client, actor, "update", secrets="one added")
    await session.flush()
    return secret


async def delete_secret(
    session: AsyncSession, *, tenant_id: str, client_id: str, secret_id: str, actor: str
) -> None:
    await _lock_client(session, tenant_id, client_id)
    view = await get_client(session, tenant_id, client_id)
    if secret_id not in {s.id for s in view.secrets}:
        raise NotFoundError("There is no such secret.")
    if len(view.secrets) == 1:
        raise ConflictError(LAST_SECRET)
    await session.execute(delete(ApiClientSecret).where(ApiClientSecret.id == secret_id))
    await _record(session, view.client, actor, "update", secrets="one deleted")
    await session.flush()


async def delete_client(
    session: AsyncSession, *, tenant_id: str, client_id: str, actor: str
) -> None:
    client = (await get_client(session, tenant_id, client_id)).client
    await _record(session, client, actor, "delete")
    await session.execute(delete(ApiClientSecret).where(ApiClientSecret.client_id == client.id))
    await session.delete(client)
    await session.flush()


@dataclass(frozen=True)
class Authenticated:
    client: ApiClient
    secret: ApiClientSecret  # the one the call gave


async def authenticate_client(
    session: AsyncSession, *, tenant_id: str, client_id: str, secret: str
) -> Authenticated | None:
    """The client of *this* tenant with this unexpired secret, else None. Each stored secret
    is checked (an unknown client costs one check too), so a match is found by either."""
    client = await session.get(ApiClient, client_id) if _is_uuid(client_id) else None
    if client is not None and client.tenant_id != tenant_id:
        client = None
    secrets: list[ApiClientSecret] = []
    if client is not None:
        rows = await session.scalars(
            select(ApiClientSecret).where(
                ApiClientSecret.client_id == client.id,
                (ApiClientSecret.expires_at.is_(None)) | (ApiClientSecret.expires_at > utcnow()),
            )
        )
        secrets = list(rows.all())
    if client is None or not secrets:
        hash_client_secret(secret)  # the cost of one check
        return None
    matched: ApiClientSecret | None = None
    for stored in secrets:
        if await secret_matches(stored.secret_hash, secret):
            matched = stored
    return Authenticated(client, matched) if matched is not None else None


async def note_secret_used(
    sessions: async_sessionmaker[AsyncSession], secret: ApiClientSecret
) -> None:
    """Record that ``secret`` authenticated a call, at most once a minute (a system calling
    every second would otherwise write every time), in a transaction of its own: a call that
    reads only commits nothing."""
    now = utcnow()
    if secret.last_used_at is not None and now - secret.last_used_at < LAST_USED_EVERY:
        return
    async with sessions.begin() as session:
        await session.execute(
            update(ApiClientSecret)
            .where(ApiClientSecret.id == secret.id)
            .values(last_used_at=now)
            .execution_options(synchronize_session=False)
        )


def hash_client_secret(secret: str) -> str:
    """Client secrets are 256 random bits: a fast hash is as safe as a slow one for them (no
    dictionary to try), and keeps every API call from spending argon2's CPU time."""
    return SHA256_PREFIX + hash_token(secret)


async def secret_matches(secret_hash: str, secret: str) -> bool:
    if secret_hash.startswith(SHA256_PREFIX):
        return tokens_equal(secret_hash, hash_client_secret(secret))
    return await verify_password_off_loop(secret_hash, secret)  # secrets stored before


def client_authorizations(client: ApiClient) -> frozenset[Authorization]:
    return frozenset(Authorization(slug) for slug in client.authorizations.split())


def _slugs(authorizations: frozenset[Authorization]) -> str:
    return " ".join(sorted(a.value for a in authorizations))


async def _record(
    session: AsyncSession, client: ApiClient, actor: str, action: str, **changes: str
) -> None:
    """The change log entry; secrets appear only as "added" or "deleted"."""
    await audit.record(
        session,
        tenant_id=client.tenant_id,
        actor=actor,
        resource=RESOURCE,
        action=action,
        changes={"client": f"{client.name} ({client.id})", **changes},
    )


def _labels(authorizations: frozenset[Authorization]) -> str:
    """As the administrators' change log names them: "Manage Users, Read Users"."""
    return ", ".join(labels_of(authorizations))


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
