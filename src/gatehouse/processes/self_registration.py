"""Self-registration on the logon page (when the tenant allows it): a new user awaiting
activation and the *Self-Registration* e-mail with the activation link.

The page answers the same whether or not the address already has an account, so registration
cannot be used to discover accounts; an existing account gets no e-mail."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.users import create_user, find_by_identifier
from gatehouse.applications.models import Application
from gatehouse.mail.addresses import normalize_email
from gatehouse.processes.activation import send_activation
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
    await send_activation(
        session, tenant=tenant, user=user, origin=origin, process=PROCESS, application=application
    )
    return True
