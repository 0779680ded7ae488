"""A user changes their own e-mail address (with their password, on the profile page); the
*Send Security Alert* e-mail goes to the old address when the tenant switched it on."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from gatehouse.accounts.models import User
from gatehouse.accounts.tokens import revoke_unused
from gatehouse.accounts.users import find_by_email, lock_identifiers, login_name_taken
from gatehouse.applications.service import asking_for_email_codes, sp_name
from gatehouse.errors import ValidationError
from gatehouse.mail.addresses import normalize_email
from gatehouse.processes import security_alerts
from gatehouse.processes.user_log import record_own_change
from gatehouse.tenants.models import Tenant

SAME_ADDRESS = "This is already your e-mail address."
ADDRESS_TAKEN = "Another account uses this e-mail address."
EMAIL_CHANGE_NEEDS_CODE = (
    "{application} asks for a code sent to your e-mail address: to change the address, first "
    "sign in to {application} with its code."
)


async def change_email(
    session: AsyncSession,
    *,
    tenant: Tenant,
    user: User,
    new_email: str,
    origin: str,
    code_passed: bool,
) -> bool:
    """Change the address; True when a security alert was queued. While an application asks
    for e-mail codes, only a session signed in with one (``code_passed``) may: the password
    alone would move the next code to an address of its holder's choosing."""
    asking = None if code_passed else await asking_for_email_codes(session, tenant.id)
    if asking is not None:  # named: the user knows where to sign in
        name = sp_name(asking, tenant)  # User Profile's is the tenant's display name
        raise ValidationError("email", EMAIL_CHANGE_NEEDS_CODE.format(application=name))
    email = normalize_email(new_email, field="email")
    if email == user.email:
        raise ValidationError("email", SAME_ADDRESS)
    await lock_identifiers(session, tenant.id)
    if await find_by_email(session, tenant.id, email) is not None or await login_name_taken(
        session, tenant.id, email, except_user=user.id
    ):  # another person signs in with it
        raise ValidationError("email", ADDRESS_TAKEN)
    old_email, user.email = user.email, email
    await revoke_unused(session, tenant_id=tenant.id, user_id=user.id)
    await session.flush()
    await record_own_change(session, user, email=email, previous_email=old_email)
    return await security_alerts.email_changed(
        session, tenant=tenant, user=user, old_email=old_email, origin=origin
    )
