"""Sandboxed rendering of e-mail templates: tenants never run code on the platform.

Every part is checked and compiled by ``sandbox.compile_part`` (immutable sandbox,
StrictUndefined, HTML autoescaped, loops bounded), and its output is cut off past
``MAX_OUTPUT_CHARS``. Any failure is permanent for the message: retrying renders the same."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from jinja2 import Template, TemplateError

from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import DEFAULT_SET, TemplateText
from gatehouse.mail.templates.sandbox import (
    TemplateRejected,
    compile_part,
    end_loop_budget,
    is_compiled,
    new_loop_budget,
)
from gatehouse.mail.templates.types import OPTIONAL_PLACEHOLDERS

MAX_OUTPUT_CHARS = 200_000
OUTPUT_TOO_LARGE = "The rendered e-mail is too large."
# A subject is one header: a loop in it could otherwise make one of 200,000 characters.
MAX_RENDERED_SUBJECT_CHARS = 1_000
SUBJECT_TOO_LONG = f"The rendered subject is longer than {MAX_RENDERED_SUBJECT_CHARS:,} characters."
_OPTIONAL = [tuple(placeholder.split(".", 1)) for placeholder in OPTIONAL_PLACEHOLDERS]


class OutputTooLarge(Exception):
    """A part rendered beyond its limit; the message says which."""


def find_template(process: str, language: str) -> TemplateText:
    """The Default set's template in ``language``, else in English."""
    template = DEFAULT_SET.get((process, language)) or DEFAULT_SET.get((process, "en"))
    if template is None:
        raise PermanentDeliveryError("render", f"There is no template for the process {process}.")
    return template


def with_optional_placeholders(context: dict[str, Any]) -> dict[str, Any]:
    """``context`` with every optional placeholder it lacks set to "" (decoration such as the
    logo must never fail an e-mail); mandatory ones, the links and codes, must be given."""
    groups: dict[str, dict[str, Any]] = {
        "user": dict(context.get("user") or {}),
        "other": dict(context.get("other") or {}),
    }
    for root, name in _OPTIONAL:
        groups[root].setdefault(name, "")
    return {**context, **groups}


def _run(
    template: Template,
    context: dict[str, Any],
    limit: int = MAX_OUTPUT_CHARS,
    too_large: str = OUTPUT_TOO_LARGE,
) -> str:
    """The part rendered, streamed so a runaway output stops early. ``context`` is shared, not
    copied: the environments have no globals to merge into it (``sandbox._environment``)."""
    size, chunks = 0, []
    for chunk in template.root_render_func(template.new_context(context, shared=True)):
        size += len(chunk)
        if size > limit:
            raise OutputTooLarge(too_large)
        chunks.append(chunk)
    return "".join(chunks)


def _parts(template: TemplateText) -> tuple[tuple[str, bool], ...]:
    """Each part's source, and whether it is HTML."""
    return (template.subject, False), (template.text, False), (template.html, True)


def compiled(template: TemplateText) -> bool:
    """Whether every part of ``template`` is compiled and kept already."""
    return all(is_compiled(part, html=html) for part, html in _parts(template))


def compile_parts(templates: Iterable[TemplateText]) -> None:
    """Check and compile the parts of ``templates`` now, to keep (a dense template of 100,000
    characters takes most of a second: the worker does it in a thread, not on its loop). A part
    the rules refuse is left to ``render``, which says why."""
    for template in templates:
        for part, html in _parts(template):
            with contextlib.suppress(TemplateRejected):
                compile_part(part, html=html)


def render(template: TemplateText, context: dict[str, Any]) -> TemplateText:
    """Subject, text and HTML rendered with ``context``; a failure is permanent for the message."""
    values = with_optional_placeholders(context)
    token = new_loop_budget()
    try:
        subject = _run(
            compile_part(template.subject, html=False),
            values,
            MAX_RENDERED_SUBJECT_CHARS,
            SUBJECT_TOO_LONG,
        )
        text = _run(compile_part(template.text, html=False), values)
        html = _run(compile_part(template.html, html=True), values)
    except TemplateRejected as exc:
        raise PermanentDeliveryError(
            "render", f"The template is not allowed: {exc.problems[0]}"
        ) from exc
    except (TemplateError, TypeError, ValueError, AssertionError) as exc:
        # Jinja runs a tenant's expressions as Python: one on values of the wrong type
        # ("a" < 1, a filter given text for a number) fails with Python's own error, which
        # a retry would only repeat.
        raise PermanentDeliveryError(
            "render", f"The template could not be rendered: {exc}"
        ) from exc
    except OutputTooLarge as exc:
        raise PermanentDeliveryError("render", str(exc)) from None
    finally:
        end_loop_budget(token)
    # A subject is one header line: fold any line breaks a value brought in.
    return TemplateText(" ".join(subject.split()), text, html)
