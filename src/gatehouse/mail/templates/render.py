"""Sandboxed rendering of e-mail templates: tenants never run code on the platform."""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import DEFAULT_SET, TemplateText

MAX_OUTPUT_CHARS = 200_000

_text_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_html_env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True)


def find_template(process: str, language: str) -> TemplateText:
    """The Default set's template in ``language``, else in English."""
    template = DEFAULT_SET.get((process, language)) or DEFAULT_SET.get((process, "en"))
    if template is None:
        raise PermanentDeliveryError("render", f"There is no template for the process {process}.")
    return template


def render(template: TemplateText, context: dict[str, Any]) -> TemplateText:
    """Subject, text and HTML rendered with ``context``; a failure is permanent for the message."""
    try:
        subject = _text_env.from_string(template.subject).render(context)
        text = _text_env.from_string(template.text).render(context)
        html = _html_env.from_string(template.html).render(context)
    except TemplateError as exc:
        raise PermanentDeliveryError(
            "render", f"The template could not be rendered: {exc}"
        ) from exc
    if max(len(subject), len(text), len(html)) > MAX_OUTPUT_CHARS:
        raise PermanentDeliveryError("render", "The rendered e-mail is too large.")
    # A subject is one header line: fold any line breaks a value brought in.
    return TemplateText(" ".join(subject.split()), text, html)
