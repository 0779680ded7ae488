"""Users: creation, lookup by identifier, search and paging, passwords, status, the per-user
lock, and who is an administrator."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.authorizations import Authorization
from gatehouse.accounts.models import AdminAuthorization, User
from gatehouse.accounts.passwords import (
    check_policy,
    hash_password,
    verify_password_off_loop,
)
from gatehouse.db.base import utcnow
from gatehouse.db.name_keys import name_key
from gatehouse.db.row_lock import lock_rows
from gatehouse.errors import ConflictError, ValidationError
from gatehouse.mail.addresses import normalize_email
from gatehouse.plain_text import reject_hidden
from gatehouse.tenants.models import Tenant

# The languages of users and e-mails, each by its own name, as pickers and pages show it.
LANGUAGE_NAMES = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "es": "Español",
    "it": "Italiano",
    "pt": "Português",
    "ja": "日本語",
    "zh": "简体中文",
}
LANGUAGES = tuple(LANGUAGE_NAMES)
STATUSES = ("new", "active", "inactive")
PAGE_SIZE = 20
LOGIN_NAME_RULE = "The login name must have 1 to 64 characters without spaces."
NAME_TOO_LONG = "The {label} must have at most 64 characters."
NAME_CONTROL = "The {label} must not contain line breaks or other control characters."
# Both names, as self-registration and the profile ask for them.
NAME_NEEDED = "Enter your first and last name (at most 64 characters each)."
# One sign-in identifier, one person: an address that is another user's login name, or the
# reverse, would sign in as whichever the lookup finds first.
LOGIN_NAME_IS_AN_ADDRESS = "The login name {login_name} is another user's e-mail address."
LOGIN_NAME_IS_AN_ID = "The login name {login_name} is another user's ID."
ADDRESS_IS_A_LOGIN_NAME = "The e-mail address {email} is another user's login name."


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
    await lock_identifiers(session, tenant_id)
    if await find_by_email(session, tenant_id, email) is not None:
        raise ConflictError(f"A user with the e-mail {email} already exists.", field="email")
    if await login_name_taken(session, tenant_id, email):
        raise ConflictError(ADDRESS_IS_A_LOGIN_NAME.format(email=email), field="email")
    login_name = await free_login_name(session, tenant_id, login_name)
    first_name = checked_name(first_name, "first name")
    last_name = checked_name(last_name, "last name")
    user = User(
        tenant_id=tenant_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        login_name=login_name,
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


def checked_name(value: str, label: str) -> str:
    """A first or last name as stored: refused (not cut) beyond 64 characters or with a
    control character."""
    value = value.strip()
    if len(value) > 64:
        raise ValidationError(label.replace(" ", "_"), NAME_TOO_LONG.format(label=label))
    # A self-registered name goes into an e-mail to anyone (plain_text.py).
    reject_hidden(value, field=label.replace(" ", "_"), message=NAME_CONTROL.format(label=label))
    return value


def checked_names(first_name: str, last_name: str) -> tuple[str, str]:
    """Both names as stored, or ValidationError naming the first one to correct."""
    names = []
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not 0 < len(value.strip()) <= 64:
            raise ValidationError(field, NAME_NEEDED)
        names.append(checked_name(value, field.replace("_", " ")))
    return names[0], names[1]


async def free_login_name(
    session: AsyncSession, tenant_id: str, login_name: str | None, *, user_id: str | None = None
) -> str | None:
    """``login_name`` as stored (None for none), if no one (other than ``user_id``) signs in
    with it yet. The caller holds lock_identifiers()."""
    login_name = (login_name or "").strip() or None
    if login_name is None:
        return None
    if len(login_name) > 64 or any(c.isspace() for c in login_name):
        raise ValidationError("login_name", LOGIN_NAME_RULE)
    if await login_name_taken(session, tenant_id, login_name, except_user=user_id):
        raise ConflictError(  # "bob" and "BOB" alike
            f"A user with the login name {login_name} already exists.", field="login_name"
        )
    owner = await find_by_email(session, tenant_id, login_name)
    if owner is not None and owner.id != user_id:
        message = LOGIN_NAME_IS_AN_ADDRESS.format(login_name=login_name)
        raise ConflictError(message, field="login_name")
    # A login name ranks above a user ID at logon: it would take over that user's ID.
    holder = await get_user(session, tenant_id, login_name)
    if holder is not None and holder.id != user_id:
        raise ConflictError(LOGIN_NAME_IS_AN_ID.format(login_name=login_name), field="login_name")
    return login_name


async def lock_identifiers(session: AsyncSession, tenant_id: str) -> None:
    """Serialize, until they end, the transactions of a tenant that give out what users sign in
    with (an address, a login name). Each checks that no one has it, then writes it; two at
    once would both pass the check, and no unique index sees "bob" and "BOB", or a login name
    that is someone's address. One UPDATE of a non-key column of the tenant's row does it on
    both databases, as lock_user() does for a user, without holding up the tenant's other
    writes (a key column's lock would block every row inserted for the tenant). A transaction
    that also locks a user takes this lock first, so two such transactions cannot deadlock."""
    await lock_rows(session, Tenant.display_name, Tenant.id == tenant_id)


async def login_name_taken(
    session: AsyncSession, tenant_id: str, name: str, *, except_user: str | None = None
) -> bool:
    """Whether a user of the tenant (other than ``except_user``) has ``name`` as login name,
    in any letter case."""
    query = select(User.id).where(User.tenant_id == tenant_id, User.login_key == name_key(name))
    if except_user is not None:
        query = query.where(User.id != except_user)
    return await session.scalar(query.limit(1)) is not None


async def find_by_identifier(session: AsyncSession, tenant_id: str, identifier: str) -> User | None:
    """E-mail, login name (both in any letter case) or user ID, within one tenant. Should
    two users answer (names given before the rules that keep them apart), the one with that
    e-mail address, else the one whose login name is written exactly so."""
    identifier = identifier.strip()
    if not identifier or "\x00" in identifier:  # no one's; PostgreSQL refuses NUL in text
        return None
    return await session.scalar(
        select(User)
        .where(
            User.tenant_id == tenant_id,
            or_(
                User.email == identifier.lower(),
                User.login_key == name_key(identifier),
                User.id == identifier,
            ),
        )
        .order_by(
            case((User.email == identifier.lower(), 0), (User.login_name == identifier, 1), else_=2)
        )
        .limit(1)
    )


async def get_user(session: AsyncSession, tenant_id: str, user_id: str) -> User | None:
    return await session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))


async def authenticate(
    session: AsyncSession, tenant_id: str, identifier: str, password: str
) -> User | None:
    """The active user with this identifier and password, else None (same cost either way).
    Checks only: the logon pages use processes.logon.log_on, which also keeps the lockout."""
    user = await find_by_identifier(session, tenant_id, identifier)
    ok = await verify_password_off_loop(user.password_hash if user else None, password)
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


async def lock_user(session: AsyncSession, tenant_id: str, user_id: str) -> bool:
    """Serialize every transaction that changes this user's counted state until it ends.

    One UPDATE does it on both databases: PostgreSQL locks the user's row (a concurrent
    transaction waits here, then reads what the first committed); SQLite takes the database's
    write lock (as the transaction's first write, so it waits instead of failing). Call it
    before reading what you are about to decide on. False when the user does not exist."""
    result = await session.execute(
        update(User)
        .where(User.tenant_id == tenant_id, User.id == user_id)
        .values(lock_version=User.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    pages: int


async def search_users(
    session: AsyncSession, tenant_id: str, *, query: str = "", page: int = 1
) -> UserPage:
    """``PAGE_SIZE`` users of the tenant by e-mail, optionally matching ``query`` in the name,
    e-mail or login name (case-insensitive: the name and login name by their name keys)."""
    condition = User.tenant_id == tenant_id
    query = query.strip()
    if query:
        email_pattern = _like_pattern(query.lower())  # as e-mails are stored
        key_pattern = _like_pattern(name_key(query))
        condition = condition & or_(
            User.email.like(email_pattern, escape="\\"),
            User.login_key.like(key_pattern, escape="\\"),
            User.name_key.like(key_pattern, escape="\\"),
        )
    total = int(await session.scalar(select(func.count()).where(condition)) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = await session.scalars(
        select(User)
        .where(condition)
        .order_by(User.email)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return UserPage(users=list(rows.all()), total=total, page=page, pages=pages)


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_by_email(session: AsyncSession, tenant_id: str, email: str) -> User | None:
    return await session.scalar(
        select(User).where(User.tenant_id == tenant_id, User.email == email.strip().lower())
    )


def status_after_activation(user: User) -> str:
    """``active`` for a user with a password, else ``new`` (still awaiting activation)."""
    return "active" if user.password_hash else "new"
