"""A template's syntax error in the administrator's words.

Jinja's parser explains a misplaced or unclosed tag in its own terms ("Encountered unknown tag
'endif'. Jinja was looking for the following tags: 'endfor' or 'else'. The innermost block that
needs to be closed is 'for'."): administrators write templates, they do not know Jinja. Those
messages are read here and said again with the tags as the administrator writes them ("{% endif %}
stands inside an open {% for %}; close the {% for %} with {% endfor %} first."), and its
complaints about tokens with the tokens as they are typed ("expected }}, found '{'" for
"expected token 'end of print statement', got '{'"). Every other message of the parser passes
as it is, unless it names Jinja. A tag never closed is located where it opens
(``unclosed_tag_at``): the parser notices it only at the template's end."""

from __future__ import annotations

import re
from collections.abc import Iterable

UNKNOWN_TAG_RE = re.compile(r"Encountered unknown tag '(\w+)'\.")
LOOKING_RE = re.compile(r"(?:looking for the following tags:|currently looking for) ([^.]+)\.")
INNERMOST_BLOCK = "The innermost block that needs to be closed is"
INNERMOST_RE = re.compile(INNERMOST_BLOCK + r" '(\w+)'\.")
TAG_NAME_RE = re.compile(r"'(\w+)'")
NESTING = "nesting mistake"
END_OF_TEMPLATE = "Unexpected end of template."
BLOCK_NAMES = "Block names in Jinja"
BLOCK_REFUSED = "The tag {% block %} is not allowed in templates; only if and for are."
UNREADABLE = "This tag or expression cannot be read."
# The parser's names of tokens, as the template writes them.
TOKEN_WORDS = {
    "end of print statement": "}}",
    "begin of print statement": "{{",
    "end of statement block": "%}",
    "begin of statement block": "{%",
    "name": "a name",
    "end of template": "the end of the template",
}
EXPECTED_TOKEN_RE = re.compile(r"expected token '([^']+)', got '([^']*)'")
EXPECTED_VALUE_RE = re.compile(r"Expected an expression, got '([^']+)'")
END_EXPECTING_RE = re.compile(r"unexpected end of template, expected '([^']+)'")
UNCLOSED_QUOTE_RE = re.compile(r"""unexpected char ['"](['"])['"] at \d+""")
CLOSING = {"if": "endif", "for": "endfor"}
TAG_OPENER_RE = re.compile(r"\{%")


def tag(name: str) -> str:
    return f"{{% {name} %}}"


def _one_of(names: list[str]) -> str:
    """``{% elif %}, {% else %} or {% endif %}``."""
    tags = [tag(n) for n in names]
    return tags[0] if len(tags) == 1 else f"{', '.join(tags[:-1])} or {tags[-1]}"


def syntax_error_message(message: str) -> str:
    """``Syntax error: ...`` for the parser's ``message``, without Jinja's words."""
    return f"Syntax error: {_in_template_words(message).rstrip('.')}."


def _in_template_words(message: str) -> str:
    unknown = UNKNOWN_TAG_RE.search(message)
    looking = LOOKING_RE.search(message)
    innermost = INNERMOST_RE.search(message)
    expected = TAG_NAME_RE.findall(looking.group(1)) if looking else []
    if innermost is not None and expected:
        opened = innermost.group(1)
        closer = next((n for n in expected if n.startswith("end")), f"end{opened}")
        if unknown is None and message.startswith(END_OF_TEMPLATE):
            return f"{tag(opened)} is not closed; add {tag(closer)} where it ends."
        if unknown is not None and NESTING in message:
            return (
                f"{tag(unknown.group(1))} stands inside an open {tag(opened)}; close the "
                f"{tag(opened)} with {tag(closer)} first."
            )
        if unknown is not None:
            return (
                f"{tag(unknown.group(1))} does not belong here; the open {tag(opened)} expects "
                f"{_one_of(expected)}."
            )
    if unknown is not None:
        return _unknown_tag(unknown.group(1))
    if message.startswith(BLOCK_NAMES):
        return BLOCK_REFUSED
    if (plain := _tokens_in_words(message)) is not None:
        return plain
    return UNREADABLE if "jinja" in message.lower() else message


def _word(token: str) -> str:
    return TOKEN_WORDS.get(token, f"'{token}'")


def _tokens_in_words(message: str) -> str | None:
    """The parser's complaints about tokens with the tokens as written ("expected }}, found
    '{'"), where it names them ("expected token 'end of print statement', got '{'")."""
    if match := EXPECTED_TOKEN_RE.search(message):
        return f"expected {_word(match.group(1))}, found {_word(match.group(2))}"
    if match := EXPECTED_VALUE_RE.search(message):
        return f"expected a placeholder or a value, found {_word(match.group(1))}"
    if match := END_EXPECTING_RE.search(message):
        return f"the template ends where {_word(match.group(1))} is expected"
    if message.startswith("expected name or number"):
        return "expected a name after the period"
    if match := UNCLOSED_QUOTE_RE.search(message):
        return f"a text in quotes is not closed: add its closing {match.group(1)}"
    return None


def _unknown_tag(name: str) -> str:
    """A tag the parser did not expect, with no tag open."""
    if name in ("else", "elif"):
        where = tag("if") if name == "elif" else f"{tag('if')} or {tag('for')}"
        return f"{tag(name)} belongs inside {where}."
    if name.startswith("end") and len(name) > len("end"):
        return f"{tag(name)} closes no open {tag(name[3:])}."
    return f"There is no tag {tag(name)}; templates can use only if and for."


def unclosed_tag_at(tokens: Iterable[tuple[int, str, str]], lines: list[str]) -> tuple[int, int]:
    """Line and column of the innermost {% if %} or {% for %} never closed, from the lexer's
    ``tokens``; (1, 1) when every one is closed. The column is that of the line's n-th ``{%``,
    the n-th tag the lexer found on that line."""
    opened: list[tuple[int, int]] = []  # (line, n-th tag of the line)
    tags_on_line: dict[int, int] = {}
    tag_starts = False
    for lineno, kind, value in tokens:
        if kind == "whitespace":
            continue
        if kind == "block_begin":
            tags_on_line[lineno] = tags_on_line.get(lineno, 0) + 1
        elif tag_starts and kind == "name" and value in CLOSING:
            opened.append((lineno, tags_on_line[lineno]))
        elif tag_starts and kind == "name" and value in CLOSING.values() and opened:
            opened.pop()
        tag_starts = kind == "block_begin"
    if not opened:
        return 1, 1
    line, nth = opened[-1]
    starts = [m.start() for m in TAG_OPENER_RE.finditer(lines[line - 1])]
    return line, (starts[nth - 1] + 1 if len(starts) >= nth else 1)
