"""English wording of the Default set."""

from __future__ import annotations

from gatehouse.mail.templates.locales import Locale, Wording

ONCE = "The link works only once and only for a limited time."

LOCALE = Locale(
    code="en",
    greeting="Hello {{ user.firstName }},",
    wordings={
        "self-registration": Wording(
            subject="Complete your registration for {{ user.sp_name }}",
            before=(
                "Thank you for registering with {{ user.sp_name }}. Open this link to confirm "
                "your e-mail address, set your password and activate your account:",
            ),
            button="Activate account",
            after=(
                f"{ONCE} If you did not register, ignore this e-mail: no account will be "
                "activated.",
            ),
        ),
        "on-behalf-registration": Wording(
            subject="Activate your account for {{ user.sp_name }}",
            before=(
                "An account was created for you. Open this link to set your password and "
                "activate it:",
            ),
            button="Activate account",
            after=(ONCE,),
        ),
        "invitation": Wording(
            subject="{{ user.inviter_name }} invited you to {{ user.sp_name }}",
            before=(
                "{{ user.inviter_name }} invited you to {{ user.sp_name }}. Open this link to "
                "accept the invitation, set your password and activate your account:",
            ),
            button="Accept invitation",
            after=(f"{ONCE} If you do not want an account, ignore this e-mail.",),
        ),
        "forgot-password": Wording(
            subject="Reset your password for {{ user.sp_name }}",
            before=(
                "We received a request to reset your password. Open this link to choose a new one:",
            ),
            button="Reset password",
            after=(
                f"{ONCE} If you did not ask for this, ignore this e-mail: your password stays "
                "as it is.",
            ),
        ),
        "locked-password": Wording(
            subject="Your password for {{ user.sp_name }} is locked",
            before=(
                "Your password was locked after too many failed logon attempts. Open this link "
                "to set a new password and unlock your account:",
            ),
            button="Set new password",
            after=(
                f"{ONCE} If these attempts were not yours, someone may be trying to guess your "
                "password; a new one keeps them out.",
            ),
        ),
        "reset-password": Wording(
            subject="Set a new password for {{ user.sp_name }}",
            before=(
                "Your administrator asks you to set a new password. Open this link to choose one:",
            ),
            button="Set new password",
            after=(ONCE,),
        ),
        "security-alert": Wording(
            subject="Security alert for your {{ user.sp_name }} account",
            after=(
                "If this was you, there is nothing to do. If it was not, reset your password "
                "at once and tell your administrator.",
            ),
        ),
        "deactivate-totp": Wording(
            subject="Deactivate your authenticator for {{ user.sp_name }}",
            before=(
                "You asked to deactivate the authenticator app (TOTP) of your account. Enter "
                "this passcode to confirm:",
            ),
            after=("If you did not ask for this, ignore this e-mail and tell your administrator.",),
        ),
        "email-otp": Wording(
            subject="Your sign-in code for {{ user.sp_name }}",
            before=("Use this code to complete your sign-in:",),
            after=(
                "The code is valid for 10 minutes. If you did not try to sign in, someone may "
                "know your password: change it at once.",
            ),
        ),
        "test-email": Wording(
            subject="Test e-mail from {{ user.sp_name }}",
            before=(
                "This is a test e-mail sent by an administrator of {{ user.sp_name }} to check "
                "the tenant's mail server configuration.",
                "It left through the same path as every other e-mail of the tenant.",
            ),
        ),
    },
    alerts={
        "password-changed": "The password of your account was changed on {when}.",
        "email-changed": "The e-mail address of your account was changed from {old} to {new} "
        "on {when}.",
    },
)
