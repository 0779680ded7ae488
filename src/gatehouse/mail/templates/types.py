"""The nine template types, their placeholders (the reference's allow-list) and the mandatory
ones. A template may use exactly the placeholders of its type; a mandatory one must appear in
both the text and the HTML body, so either part alone still does its job."""

from __future__ import annotations

from dataclasses import dataclass

from gatehouse.accounts.users import LANGUAGES

DEFAULT_LANGUAGE = "en"
TEMPLATE_LANGUAGES = LANGUAGES  # the languages users can choose, and so templates can have

COMMON_PLACEHOLDERS = (
    "user.firstName",
    "user.lastName",
    "user.mail",
    "user.loginName",
    "user.uid",
    "user.sp_name",
    "user.ids_home_link",
    "user.company_logo",
    "user.header",
    "user.footer",
)

PLACEHOLDER_DESCRIPTIONS: dict[str, str] = {
    "user.firstName": "first name (the part of the e-mail before @ when there is none)",
    "user.lastName": "last name",
    "user.mail": "e-mail address",
    "user.loginName": "login name (empty when the user has none)",
    "user.uid": "user ID",
    "user.sp_name": "name of the application the process started from",
    "user.ids_home_link": "link to the tenant's logon page",
    "user.company_logo": "address of the company logo (empty until branding sets one)",
    "user.header": "branding header text (empty until branding sets one)",
    "user.footer": "branding footer text (empty until branding sets one)",
    "user.reset_password_link": "single-use link to set a new password",
    "user.activate_account_link": "single-use link to set a password and activate the account",
    "user.set_locked_password_link": "single-use link to set a new password after a lockout",
    "user.target_url": "home URL of the application, where the user goes after activation",
    "user.inviter_name": "name of whoever sent the invitation",
    "other.emailOtpCode": "the 8-digit one-time sign-in code",
    "other.securityAlertText": "what happened to the account, when (in the e-mail's language)",
    "other.totpResetPasscode": "passcode that confirms deactivating the authenticator",
}


@dataclass(frozen=True)
class TemplateType:
    slug: str
    label: str
    description: str
    specific: tuple[str, ...]  # placeholders of this type besides the common ones
    mandatory: tuple[str, ...]

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(COMMON_PLACEHOLDERS + self.specific)

    @property
    def ordered_placeholders(self) -> tuple[str, ...]:
        return COMMON_PLACEHOLDERS + self.specific


_REGISTRATION = ("user.activate_account_link", "user.target_url")

TEMPLATE_TYPES: dict[str, TemplateType] = {
    t.slug: t
    for t in (
        TemplateType(
            "self-registration",
            "Self-Registration",
            "A user registered on the logon page and confirms the e-mail address.",
            _REGISTRATION,
            ("user.activate_account_link",),
        ),
        TemplateType(
            "on-behalf-registration",
            "On-Behalf Registration",
            "An administrator created the user, who sets a first password.",
            _REGISTRATION,
            ("user.activate_account_link",),
        ),
        TemplateType(
            "invitation",
            "Invitation",
            "Someone invited the user through the REST API.",
            (*_REGISTRATION, "user.inviter_name"),
            ("user.activate_account_link",),
        ),
        TemplateType(
            "forgot-password",
            "Forgot Password",
            "The user asked for a link to set a new password.",
            ("user.reset_password_link",),
            ("user.reset_password_link",),
        ),
        TemplateType(
            "locked-password",
            "Locked Password",
            "Too many failed logons locked the password.",
            ("user.set_locked_password_link",),
            ("user.set_locked_password_link",),
        ),
        TemplateType(
            "reset-password",
            "Reset Password",
            "An administrator or the password policy forces a new password.",
            ("user.reset_password_link",),
            ("user.reset_password_link",),
        ),
        TemplateType(
            "security-alert",
            "Send Security Alert",
            "The password or the e-mail address of the account changed.",
            ("other.securityAlertText",),
            ("other.securityAlertText",),
        ),
        TemplateType(
            "deactivate-totp",
            "Deactivate TOTP Device",
            "Confirms deactivating an authenticator app (Gatehouse has no TOTP yet).",
            ("other.totpResetPasscode",),
            ("other.totpResetPasscode",),
        ),
        TemplateType(
            "email-otp",
            "Email OTP Code",
            "The one-time code of the e-mail second factor (8 digits, valid 10 minutes).",
            ("other.emailOtpCode",),
            ("other.emailOtpCode",),
        ),
    )
}

ALL_PLACEHOLDERS = frozenset(p for t in TEMPLATE_TYPES.values() for p in t.placeholders)
MANDATORY_PLACEHOLDERS = frozenset(p for t in TEMPLATE_TYPES.values() for p in t.mandatory)
# Placeholders that are only ever optional decoration: rendered empty when a context lacks them.
OPTIONAL_PLACEHOLDERS = ALL_PLACEHOLDERS - MANDATORY_PLACEHOLDERS


def template_type(slug: str) -> TemplateType | None:
    return TEMPLATE_TYPES.get(slug)
