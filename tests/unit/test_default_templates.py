"""The built-in Default set: every type in every language, each accepted by the same check as a
tenant's template, translated (not English copies), and multipart with the same content."""

from __future__ import annotations

import pytest

from gatehouse.mail.templates.defaults import DEFAULT_SET, security_alert_text
from gatehouse.mail.templates.render import render
from gatehouse.mail.templates.samples import sample_context
from gatehouse.mail.templates.sandbox import check_template
from gatehouse.mail.templates.types import TEMPLATE_LANGUAGES, TEMPLATE_TYPES

REQUIRED_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "ja", "zh")
PAIRS = [(slug, lang) for slug in TEMPLATE_TYPES for lang in TEMPLATE_LANGUAGES]
VALUES = {
    "user.reset_password_link": "https://demo.example/reset-password?token=SAMPLE",
    "user.activate_account_link": "https://demo.example/activate?token=SAMPLE",
    "user.set_locked_password_link": "https://demo.example/reset-password?token=SAMPLE",
    "other.emailOtpCode": "40718253",
    "other.totpResetPasscode": "903174",
}


def context(language: str) -> dict[str, dict[str, str]]:
    values = sample_context(
        language=language,
        sp_name="Demo",
        origin="https://demo.example",
        recipient="alex@example.com",
        inviter_name="Ada Admin",
    )
    for name, value in VALUES.items():
        root, key = name.split(".")
        values[root][key] = value
    return values


def test_every_type_exists_in_every_required_language() -> None:
    """9 types x the 8 languages the issue names, and nothing missing."""
    assert set(REQUIRED_LANGUAGES) <= set(TEMPLATE_LANGUAGES)
    assert len(TEMPLATE_TYPES) == 9
    missing = [pair for pair in PAIRS if pair not in DEFAULT_SET]
    assert missing == []


@pytest.mark.parametrize(("slug", "language"), PAIRS)
def test_default_template_passes_the_tenant_check(slug: str, language: str) -> None:
    """Default templates obey the same allow-list and mandatory placeholders as tenants'."""
    template = DEFAULT_SET[(slug, language)]
    check_template(
        TEMPLATE_TYPES[slug], subject=template.subject, text=template.text, html=template.html
    )


@pytest.mark.parametrize(("slug", "language"), PAIRS)
def test_default_template_renders_multipart_with_its_action(slug: str, language: str) -> None:
    """Both parts carry the link or code; the HTML names its language; one-line subject."""
    rendered = render(DEFAULT_SET[(slug, language)], context(language))
    mandatory = TEMPLATE_TYPES[slug].mandatory[0]
    root, key = mandatory.split(".")
    value = context(language)[root][key]
    assert value in rendered.text and value in rendered.html
    assert f'<html lang="{language}">' in rendered.html
    assert rendered.subject and "\n" not in rendered.subject
    assert "Demo" in rendered.subject


@pytest.mark.parametrize("language", [code for code in REQUIRED_LANGUAGES if code != "en"])
def test_translations_are_not_english_copies(language: str) -> None:
    """Each language's subject and body differ from the English ones for every type, and for
    the platform's own test e-mail."""
    for slug in [*TEMPLATE_TYPES, "test-email"]:
        english, translated = DEFAULT_SET[(slug, "en")], DEFAULT_SET[(slug, language)]
        assert translated.subject != english.subject, (slug, language)
        assert translated.text != english.text, (slug, language)


def test_known_wordings() -> None:
    """Spot checks of the wording, greeting and name order per language."""
    values = {"user": {"firstName": "Jane", "lastName": "Doe", "sp_name": "Demo"}}
    values["user"]["reset_password_link"] = "https://x/r"
    de = render(DEFAULT_SET[("forgot-password", "de")], values)
    ja = render(DEFAULT_SET[("forgot-password", "ja")], values)
    zh = render(DEFAULT_SET[("forgot-password", "zh")], values)
    en = render(DEFAULT_SET[("forgot-password", "en")], values)
    assert de.subject == "Setzen Sie Ihr Passwort für Demo zurück"
    assert de.text.startswith("Hallo Jane,\n\nWir haben eine Anfrage erhalten")
    assert ja.text.startswith("Doe Jane 様\n\n")
    assert zh.text.startswith("Jane，您好：\n\n")  # noqa: RUF001 (Chinese punctuation)
    assert en.subject == "Reset your password for Demo"


def test_security_alert_text_speaks_the_language() -> None:
    """The alert sentence is translated; an unknown language gets English."""
    when = "2026-11-27 10:15 UTC"
    assert security_alert_text("password-changed", "de", when=when) == (
        "Das Passwort Ihres Kontos wurde am 2026-11-27 10:15 UTC geändert."
    )
    assert security_alert_text("email-changed", "xx", old="a@x", new="b@x", when=when) == (
        "The e-mail address of your account was changed from a@x to b@x on 2026-11-27 10:15 UTC."
    )
