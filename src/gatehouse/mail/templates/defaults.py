"""The built-in *Default* template set (read-only). Keyed by (template type, language).

Every type exists in every language of ``types.TEMPLATE_LANGUAGES``; the wording of each
language lives in ``locales/``. Text and HTML bodies are built from the same wording, so the
two parts of every multipart e-mail say the same thing."""

from __future__ import annotations

from html import escape
from typing import NamedTuple

from gatehouse.mail.templates.locales import Locale, Wording, de, en, es, fr, it, ja, pt, zh


class TemplateText(NamedTuple):
    subject: str
    text: str
    html: str


LOCALES: dict[str, Locale] = {m.LOCALE.code: m.LOCALE for m in (en, de, fr, es, it, pt, ja, zh)}

# What each type's e-mail is for: the placeholder carrying it and how it is shown.
ACTIONS: dict[str, tuple[str, str]] = {
    "self-registration": ("user.activate_account_link", "link"),
    "on-behalf-registration": ("user.activate_account_link", "link"),
    "invitation": ("user.activate_account_link", "link"),
    "forgot-password": ("user.reset_password_link", "link"),
    "locked-password": ("user.set_locked_password_link", "link"),
    "reset-password": ("user.reset_password_link", "link"),
    "security-alert": ("other.securityAlertText", "text"),
    "deactivate-totp": ("other.totpResetPasscode", "code"),
    "email-otp": ("other.emailOtpCode", "code"),
}

_FOOTER_TEXT = "\n\n--\n{{ user.sp_name }}\n{{ user.ids_home_link }}\n"
_MUTED = "color:#5b6b7b;font-size:13px"
_HTML_SHELL = (
    '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
    '<body style="font-family:system-ui,sans-serif;color:#1d2733;max-width:560px;margin:auto;'
    'padding:24px">{{% if user.company_logo %}}<p><img src="{{{{ user.company_logo }}}}" '
    'alt="{{{{ user.sp_name }}}}" style="max-height:48px"></p>{{% endif %}}{body}'
    f'<p style="{_MUTED};margin-top:32px">'
    '<a href="{{{{ user.ids_home_link }}}}" style="color:#5b6b7b">{{{{ user.sp_name }}}}</a></p>'
    "</body></html>"
)


def _paragraph(text: str) -> str:
    return f"<p>{escape(text, quote=False)}</p>"


def _action_html(placeholder: str, kind: str, button: str) -> str:
    value = f"{{{{ {placeholder} }}}}"
    if kind == "link":
        return (
            f'<p><a href="{value}" style="background:#0a6ed1;color:#fff;padding:10px 18px;'
            f'border-radius:6px;text-decoration:none;display:inline-block">'
            f"{escape(button, quote=False)}</a></p>"
            f'<p style="{_MUTED};word-break:break-all">{value}</p>'
        )
    if kind == "code":
        return (
            '<p style="font-size:28px;font-weight:600;letter-spacing:4px;'
            f'font-family:ui-monospace,Menlo,Consolas,monospace">{value}</p>'
        )
    return f"<p>{value}</p>"


def build(locale: Locale, wording: Wording, action: tuple[str, str] | None) -> TemplateText:
    """Subject, text and HTML of one wording in one language."""
    text_parts = [locale.greeting, *wording.before]
    html_parts = [_paragraph(locale.greeting), *(_paragraph(p) for p in wording.before)]
    if action is not None:
        placeholder, kind = action
        text_parts.append(("    " if kind == "code" else "") + f"{{{{ {placeholder} }}}}")
        html_parts.append(_action_html(placeholder, kind, wording.button))
    text_parts.extend(wording.after)
    html_parts.extend(_paragraph(p) for p in wording.after)
    text = "\n\n".join(text_parts) + _FOOTER_TEXT
    html = _HTML_SHELL.format(lang=locale.code, body="".join(html_parts))
    return TemplateText(subject=wording.subject, text=text, html=html)


def _default_set() -> dict[tuple[str, str], TemplateText]:
    result: dict[tuple[str, str], TemplateText] = {}
    for code, locale in LOCALES.items():
        for slug, wording in locale.wordings.items():
            result[(slug, code)] = build(locale, wording, ACTIONS.get(slug))
    return result


DEFAULT_SET: dict[tuple[str, str], TemplateText] = _default_set()


def security_alert_text(kind: str, language: str, **values: str) -> str:
    """The sentence of ``other.securityAlertText`` (password-changed, email-changed) in
    ``language``, else in English."""
    locale = LOCALES.get(language) or LOCALES["en"]
    sentence = locale.alerts.get(kind) or LOCALES["en"].alerts[kind]
    return sentence.format(**values)
