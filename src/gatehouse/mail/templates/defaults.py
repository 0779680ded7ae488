"""The built-in *Default* template set (read-only). Keyed by (template type, language)."""

from __future__ import annotations

from typing import NamedTuple


class TemplateText(NamedTuple):
    subject: str
    text: str
    html: str


_FOOTER_TEXT = "\n\n--\n{{ user.sp_name }}\n{{ user.ids_home_link }}\n"
_HTML_SHELL = (
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1d2733;'
    'max-width:560px;margin:auto;padding:24px">{body}'
    '<p style="color:#5b6b7b;font-size:13px;margin-top:32px">{{{{ user.sp_name }}}}</p>'
    "</body></html>"
)


def _html(body: str) -> str:
    return _HTML_SHELL.format(body=body)


def _button(link: str, label: str) -> str:
    return (
        f'<p><a href="{{{{ {link} }}}}" style="background:#0a6ed1;color:#fff;padding:10px 18px;'
        f'border-radius:6px;text-decoration:none;display:inline-block">{label}</a></p>'
        f'<p style="font-size:13px;color:#5b6b7b">{{{{ {link} }}}}</p>'
    )


DEFAULT_SET: dict[tuple[str, str], TemplateText] = {
    ("forgot-password", "en"): TemplateText(
        subject="Reset your password for {{ user.sp_name }}",
        text=(
            "Hello {{ user.firstName }},\n\n"
            "We received a request to reset your password. Open this link to choose a new one:\n\n"
            "{{ user.reset_password_link }}\n\n"
            "The link works only once and only for a limited time. If you did not ask for this, "
            "ignore this e-mail: your password stays as it is." + _FOOTER_TEXT
        ),
        html=_html(
            "<p>Hello {{ user.firstName }},</p><p>We received a request to reset your password."
            "</p>" + _button("user.reset_password_link", "Reset password") + "<p>The link works "
            "only once and only for a limited time. If you did not ask for this, ignore this "
            "e-mail: your password stays as it is.</p>"
        ),
    ),
    ("on-behalf-registration", "en"): TemplateText(
        subject="Activate your account for {{ user.sp_name }}",
        text=(
            "Hello {{ user.firstName }},\n\n"
            "An account was created for you. Open this link to set your password and activate "
            "it:\n\n{{ user.activate_account_link }}\n\n"
            "The link works only once and only for a limited time." + _FOOTER_TEXT
        ),
        html=_html(
            "<p>Hello {{ user.firstName }},</p><p>An account was created for you. Set your "
            "password to activate it.</p>"
            + _button("user.activate_account_link", "Activate account")
            + "<p>The link works only once and only for a limited time.</p>"
        ),
    ),
    ("test-email", "en"): TemplateText(
        subject="Test e-mail from {{ user.sp_name }}",
        text=(
            "This is a test e-mail sent by an administrator of {{ user.sp_name }} to check the "
            "tenant's mail server configuration. It left through the same path as every other "
            "e-mail of the tenant." + _FOOTER_TEXT
        ),
        html=_html(
            "<p>This is a test e-mail sent by an administrator of {{ user.sp_name }} to check the "
            "tenant's mail server configuration.</p><p>It left through the same path as every "
            "other e-mail of the tenant.</p>"
        ),
    ),
}
