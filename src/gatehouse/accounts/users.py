"""Users: creation, lookup by identifier, passwords, and who is an administrator."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import AdminAuthorization, User
from gatehouse.accounts.passwords import check_policy, hash_password, verify_password
from gatehouse.db.base import utcnow
from gatehouse.errors import ConflictError, ValidationError
from gatehouse.mail.addresses import normalize_email

LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "ja", "zh")
STATUSES = ("new", "active", "inactive")


async def create_user(
    session: AsyncSession,
    *,
    tenant_id: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    login_name: str | None = None,
    language: str = "en",
    password: str | None = None,
) -> User:
    """A new user; ``status`` is active when a password is given, else new (awaiting activation)."""
    email = normalize_email(email, field="email")
    if language not in LANGUAGES:
        raise ValidationError("language", f"Choose one of: {', '.join(LANGUAGES)}.")
    existing = await session.scalar(
        select(User.id).where(User.tenant_id == tenant_id, User.email == email)
    )
    if existing is not None:
        raise ConflictError(f"A user with the e-mail {email} already exists.")
    user = User(
        tenant_id=tenant_id,
        email=email,
        first_name=first_name.strip()[:64],
        last_name=last_name.strip()[:64],
        login_name=login_name or None,
        language=language,
        status="new",
    )
    if password is not None:
        check_policy(password)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
        user.status = "active"
    session.add(user)
    await session.flush()
    return user


async def find_by_identifier(session: AsyncSession, tenant_id: str, identifier: str) -> User | None:
    """E-mail (case-insensitive), login name or user ID, within one tenant."""
    identifier = identifier.strip()
    if not identifier:
        return None
    return await session.scalar(
        select(User).where(
            User.tenant_id == tenant_id,
            or_(
                User.email == identifier.lower(),
                User.login_name == identifier,
                User.id == identifier,
            ),
        )
    )


async def get_user(session: AsyncSession, tenant_id: str, user_id: str) -> User | None:
    return await session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))


async def authenticate(
    session: AsyncSession, tenant_id: str, identifier: str, password: str
) -> User | None:
    """The active user with this identifier and password, else None (same cost either way)."""
    user = await find_by_identifier(session, tenant_id, identifier)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or user.status != "active":
        return None
    if user.locked_until is not None and user.locked_until > utcnow():
        return None
    return user


def set_password(user: User, password: str) -> None:
    """Apply the policy, store the new hash, and activate a new user."""
    check_policy(password)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logons = 0
    user.locked_until = None
    if user.status == "new":
        user.status = "active"


async def authorizations_of(
    session: AsyncSession, tenant_id: str, user_id: str
) -> frozenset[Authorization]:
    rows = await session.scalars(
        select(AdminAuthorization.authorization).where(
            AdminAuthorization.tenant_id == tenant_id, AdminAuthorization.user_id == user_id
        )
    )
    return frozenset(Authorization(slug) for slug in rows)


async def set_authorizations(
    session: AsyncSession, tenant_id: str, user_id: str, authorizations: frozenset[Authorization]
) -> None:
    await session.execute(
        delete(AdminAuthorization).where(
            AdminAuthorization.tenant_id == tenant_id, AdminAuthorization.user_id == user_id
        )
    )
    session.add_all(
        AdminAuthorization(tenant_id=tenant_id, user_id=user_id, authorization=a.value)
        for a in sorted(authorizations)
    )
    await session.flush()


async def count_users(session: AsyncSession, tenant_id: str) -> int:
    return int(await session.scalar(select(func.count()).where(User.tenant_id == tenant_id)) or 0)
