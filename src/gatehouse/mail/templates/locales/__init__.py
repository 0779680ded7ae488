"""The wording of the built-in Default set, one module per language. ``defaults`` turns each
wording into a subject, a text body and an HTML body, so every language has the same shape."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Wording:
    """One e-mail: subject, paragraphs before the action (link, code or alert text), the
    button label when the action is a link, and paragraphs after it."""

    subject: str
    before: tuple[str, ...] = ()
    button: str = ""
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class Locale:
    code: str
    greeting: str
    wordings: dict[str, Wording]
    # The security alert sentences (other.securityAlertText), with {when}, {old} and {new}.
    alerts: dict[str, str] = field(default_factory=dict)
