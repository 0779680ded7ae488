"""Self-registration on the logon page (when the tenant allows it): a new user awaiting
activation and the *Self-Registration* e-mail with the activation link.

The page answers the same whether or not the address already has an account, so registration
cannot be used to discover accounts; an existing account gets no e-mail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.tokens import ACTIVATE_ACCOUNT, issue_token
from gatehouse.accounts.users import create_user, find_by_identifier
from gatehouse.applications.models import Application
from gatehouse.mail.addresses import normalize_email
from gatehouse.mail.outbox import enqueue
from gatehouse.processes.context import user_context
from gatehouse.tenants.link_validity import link_validity
from gatehouse.tenants.models import Tenant

PROCESS = "self-registration"
REGISTRATION_ANSWER = (
    "Thank you. If this address can be registered, an e-mail with a link to activate your "
    "account is on its way to it."
)
REGISTRATION_CLOSED = "Self-registration is not open for this tenant."


async def register(
    session: AsyncSession,
    *,
    tenant: Tenant,
    application: Application | None,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    origin: str,
) -> bool:
    """Create the user and queue the e-mail; False (nothing queued) when the address already
    belongs to a user. ValidationError for a malformed address or name."""
    email = normalize_email(email, field="email")
    if await find_by_identifier(session, tenant.id, email) is not None:
        return False
    user = await create_user(
        session,
        tenant_id=tenant.id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        language=language,
    )
    token = await issue_token(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        purpose=ACTIVATE_ACCOUNT,
        valid_for=await link_validity(session, tenant.id, PROCESS),
        process=PROCESS,
    )
    await enqueue(
        session,
        tenant_id=tenant.id,
        user_id=user.id,
        application_id=application.id if application else None,
        process=PROCESS,
        language=language,
        recipient=user.email,
        context=user_context(
            user,
            tenant,
            origin=origin,
            application=application,
            activate_account_link=f"{origin}/activate?token={token}",
        ),
    )
    return True
