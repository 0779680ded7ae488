"""What a tenant's template may contain, checked before it is stored and again before it runs.

Templates are Jinja2 run in the immutable sandbox with StrictUndefined. On top of the sandbox,
the syntax tree is checked against a small language: text, placeholders of the template's type
(``{{ user.firstName }}`` or the reference's ``${user.firstName}``), ``if`` and ``for`` tags,
comparisons, ``~`` and a few harmless filters. Calls, brackets, arithmetic, private attributes,
``set``, ``macro``, ``include``, ``autoescape`` and everything else are refused with the line and
column where they stand. Loops are bounded at run time (an iteration budget per rendering)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from gatehouse.errors import ValidationError
from gatehouse.mail.templates.compiled import SourceCache
from gatehouse.mail.templates.syntax import (
    END_OF_TEMPLATE,
    INNERMOST_BLOCK,
    syntax_error_message,
    unclosed_tag_at,
)
from gatehouse.mail.templates.types import TemplateType

MAX_SUBJECT_CHARS = 255
MAX_BODY_CHARS = 100_000
MAX_LOOP_ITERATIONS = 1_000
# Compiled parts kept per process: as many as before, and at most this much source (about
# 100 MB of compiled code at worst; usual templates have a few thousand characters).
MAX_CACHED_PARTS = 1_024
MAX_CACHED_SOURCE_CHARS = 5_000_000
MAX_NUMBER_DIGITS = 18
NUMBER_TOO_LONG = f"Numbers in templates may have at most {MAX_NUMBER_DIGITS} digits."
# Where a long number stands (as Jinja writes integers: decimal, or 0x, 0o, 0b and digits).
LONG_NUMBER = rf"(?i)\b(?:0[xob][_0-9a-f]{{16,}}|[1-9][_0-9]{{{MAX_NUMBER_DIGITS},}})"
TOO_DEEP = "The template is nested too deeply."
PART_LABELS = {"subject": "Subject", "text": "Text body", "html": "HTML body"}
# The parts as a sentence names them ("The HTML body is empty.").
PART_NAMES = {"subject": "subject", "text": "text body", "html": "HTML body"}
ALLOWED_FILTERS = frozenset(
    {"upper", "lower", "title", "capitalize", "trim", "default", "d", "escape", "e", "truncate"}
    | {"urlencode"}
)
ALLOWED_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "eq", "ne", "in"})
LOOP_ATTRIBUTES = frozenset({"index", "index0", "revindex", "revindex0", "first", "last", "length"})
ROOTS = ("user", "other")
TAGS = {
    "Macro": "macro",
    "CallBlock": "call",
    "FilterBlock": "filter",
    "With": "with",
    "Assign": "set",
    "AssignBlock": "set",
    "Block": "block",
    "Extends": "extends",
    "Include": "include",
    "Import": "import",
    "FromImport": "from",
    "ScopedEvalContextModifier": "autoescape",
    "EvalContextModifier": "autoescape",
    "ExprStmt": "do",
    "Continue": "continue",
    "Break": "break",
}
DOLLAR_RE = re.compile(r"\$\{([^{}\n]*)\}")
DOLLAR_OPEN_RE = re.compile(r"\$\{")
OPENER_RE = re.compile(r"\{\{|\{%|\$\{")
CLOSERS = {"{{": "}}", "{%": "%}", "${": "}"}
BOUNDED_FILTER = "_gh_bounded"

_loop_budget: ContextVar[list[int] | None] = ContextVar("gatehouse_loop_budget", default=None)


@dataclass(frozen=True)
class TemplateProblem:
    part: str  # subject | text | html
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{PART_LABELS[self.part]}, line {self.line}, column {self.column}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "field": self.part,
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


class TemplateRejected(ValidationError):
    """A template that cannot be stored or run; ``problems`` says where and why."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        first = problems[0]
        super().__init__(first.part, f"Line {first.line}, column {first.column}: {first.message}")
        self.problems = problems


def to_jinja(source: str) -> str:
    """``${expr}`` (the reference's spelling) as ``{{expr}}``; line numbers stay the same."""
    return DOLLAR_RE.sub(lambda m: "{{" + m.group(1) + "}}", source)


def _bounded(value: Iterable[Any]) -> Iterator[Any]:
    """Wraps every loop: one shared iteration budget per rendering, so nesting cannot explode."""
    budget = _loop_budget.get()
    if budget is None:
        budget = [MAX_LOOP_ITERATIONS]
    for item in value:
        if budget[0] <= 0:
            raise SecurityError(f"The loops ran more than {MAX_LOOP_ITERATIONS} times.")
        budget[0] -= 1
        yield item


class _Environment(ImmutableSandboxedEnvironment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        """``user.name`` from a placeholder dictionary at once. Jinja tries the attribute first,
        which fails (raising an exception) for every placeholder; anything else, and a name
        the dictionary lacks, goes through the sandbox's checks as before."""
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _environment(*, autoescape: bool) -> ImmutableSandboxedEnvironment:
    env = _Environment(undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=True)
    env.globals.clear()  # no range, lipsum, cycler, joiner, namespace, dict
    env.filters = {name: env.filters[name] for name in ALLOWED_FILTERS}
    env.filters[BOUNDED_FILTER] = _bounded
    env.tests = {name: env.tests[name] for name in ALLOWED_TESTS}
    return env


TEXT_ENV = _environment(autoescape=False)
HTML_ENV = _environment(autoescape=True)
_COMPILED: SourceCache[Template] = SourceCache(
    max_entries=MAX_CACHED_PARTS, max_chars=MAX_CACHED_SOURCE_CHARS
)


def new_loop_budget() -> Any:
    """Start a rendering's loop budget; pass the result to ``end_loop_budget``."""
    return _loop_budget.set([MAX_LOOP_ITERATIONS])


def end_loop_budget(token: Any) -> None:
    _loop_budget.reset(token)


def _word(name: str) -> str:
    return r"(?<![\w.])" + re.escape(name) + r"\b"


class _Checker:
    """Walks one part's syntax tree; records problems (line, a regex to find the column,
    message) and the placeholders used."""

    def __init__(self, kind: TemplateType | None) -> None:
        self.kind = kind
        self.used: set[str] = set()
        self.found: list[tuple[int, str, str]] = []

    def _problem(self, node: nodes.Node, needle: str, message: str) -> None:
        self.found.append((node.lineno, needle, message))

    def _not_placeholder(self, node: nodes.Node, name: str, needle: str) -> None:
        where = f" of the {self.kind.label} template" if self.kind else ""
        self._problem(node, needle, f"{name} is not a placeholder{where}.")

    def check(self, node: nodes.Node, scope: frozenset[str]) -> None:
        if isinstance(node, nodes.Template | nodes.Output | nodes.Scope):
            self.children(node, scope)
        elif isinstance(node, nodes.Const):
            self.number(node)
        elif isinstance(node, nodes.TemplateData):
            return
        elif isinstance(node, nodes.If):
            self.children(node, scope)
        elif isinstance(node, nodes.For):
            self.loop(node, scope)
        elif isinstance(node, nodes.Getattr):
            self.getattr(node, scope)
        elif isinstance(node, nodes.Name):
            self.name(node, scope)
        elif isinstance(node, nodes.Filter | nodes.Test):
            self.filter_or_test(node, scope)
        elif isinstance(
            node,
            nodes.Compare
            | nodes.Operand
            | nodes.And
            | nodes.Or
            | nodes.Not
            | nodes.Neg
            | nodes.Pos
            | nodes.Concat
            | nodes.CondExpr
            | nodes.List
            | nodes.Tuple,
        ):
            self.children(node, scope)
        else:
            self.forbidden(node)

    def children(self, node: nodes.Node, scope: frozenset[str]) -> None:
        for child in node.iter_child_nodes():
            self.check(child, scope)

    def forbidden(self, node: nodes.Node) -> None:
        kind = type(node).__name__
        if kind in TAGS:
            tag = TAGS[kind]
            message = f"The tag {{% {tag} %}} is not allowed in templates; only if and for are."
            self._problem(node, r"\{%-?\s*" + tag + r"\b", message)
        elif isinstance(node, nodes.Call):
            callee = node.node
            name = callee.attr if isinstance(callee, nodes.Getattr) else getattr(callee, "name", "")
            needle = (re.escape(name) + r"\s*\(") if name else r"\("
            self._problem(node, needle, "Calling functions is not allowed in templates.")
        elif isinstance(node, nodes.Getitem | nodes.Slice):
            message = "Brackets ([...]) are not allowed in templates; write user.firstName."
            self._problem(node, r"\[", message)
        elif isinstance(node, nodes.BinExpr):
            message = f"Arithmetic ({node.operator}) is not allowed in templates."
            self._problem(node, re.escape(node.operator), message)
        else:
            self._problem(node, "", f"This construct ({kind}) is not allowed in templates.")

    def loop(self, node: nodes.For, scope: frozenset[str]) -> None:
        if node.recursive:
            self._problem(node, r"\brecursive\b", "Recursive loops are not allowed in templates.")
            return
        targets = [node.target] if isinstance(node.target, nodes.Name) else []
        if isinstance(node.target, nodes.Tuple):
            targets = [t for t in node.target.items if isinstance(t, nodes.Name)]
        names = {t.name for t in targets}
        clash = names & {*ROOTS, "loop"}
        if not targets or clash:
            message = "Loop variables must be plain names other than user, other and loop."
            self._problem(node, r"\bfor\b", message)
            return
        self.check(node.iter, scope)
        inner = scope | names | {"loop"}
        if node.test is not None:
            self.check(node.test, inner)
        for child in node.body:
            self.check(child, inner)
        for child in node.else_:
            self.check(child, scope)

    def getattr(self, node: nodes.Getattr, scope: frozenset[str]) -> None:
        parts: list[str] = []
        root: nodes.Node = node
        while isinstance(root, nodes.Getattr):
            parts.insert(0, root.attr)
            first_attr, root = root.attr, root.node
        if not isinstance(root, nodes.Name):
            message = (
                f"The attribute {first_attr} cannot be used: templates can use only the "
                "placeholders of their type."
            )
            self._problem(node, r"\.\s*" + re.escape(first_attr) + r"\b", message)
            return
        dotted = ".".join([root.name, *parts])
        needle = r"(?<![\w.])" + r"\s*\.\s*".join(re.escape(p) for p in [root.name, *parts])
        if root.name in ROOTS and root.name not in scope:
            allowed = self.kind.placeholders if self.kind else None
            ok = len(parts) == 1 and (
                dotted in allowed if allowed is not None else not parts[0].startswith("_")
            )
            if ok:
                self.used.add(dotted)
            else:
                self._not_placeholder(node, dotted, needle)
        elif root.name == "loop" and "loop" in scope:
            if len(parts) != 1 or parts[0] not in LOOP_ATTRIBUTES:
                allowed_attrs = ", ".join(f"loop.{a}" for a in sorted(LOOP_ATTRIBUTES))
                self._problem(node, needle, f"{dotted} is not one of {allowed_attrs}.")
        elif root.name in scope:
            message = (
                f"The attribute {parts[0]} cannot be used: templates can use only the "
                "placeholders of their type."
            )
            self._problem(node, needle, message)
        else:
            self._not_placeholder(node, dotted, needle)

    def number(self, node: nodes.Const) -> None:
        """Python prints no integer of more than 4,300 digits (a hexadecimal literal can hold
        one): the render would fail on what the check let through."""
        if isinstance(node.value, int) and abs(node.value) >= 10**MAX_NUMBER_DIGITS:
            self._problem(node, LONG_NUMBER, NUMBER_TOO_LONG)

    def name(self, node: nodes.Name, scope: frozenset[str]) -> None:
        if node.name in scope and node.name != "loop":
            return
        if node.name in (*ROOTS, "loop"):
            message = f"Write a placeholder such as user.firstName, not {node.name} on its own."
            self._problem(node, _word(node.name), message)
        else:
            self._not_placeholder(node, node.name, _word(node.name))

    def filter_or_test(self, node: nodes.Filter | nodes.Test, scope: frozenset[str]) -> None:
        is_filter = isinstance(node, nodes.Filter)
        allowed = ALLOWED_FILTERS if is_filter else ALLOWED_TESTS
        what = "filter" if is_filter else "test"
        needle = (r"\|\s*" if is_filter else r"\bis\s+(?:not\s+)?") + re.escape(node.name)
        if node.name not in allowed:
            message = (
                f"The {what} {node.name} is not allowed; use one of: {', '.join(sorted(allowed))}."
            )
            self._problem(node, needle, message)
            return
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self._problem(node, needle, f"The {what} {node.name} cannot take * or ** arguments.")
            return
        if node.node is not None:
            self.check(node.node, scope)
        for arg in node.args:
            self.check(arg, scope)
        for keyword in node.kwargs:
            self.check(keyword.value, scope)


def _position(source: str, offset: int) -> tuple[int, int]:
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _locate(lines: list[str], lineno: int, needle: str) -> tuple[int, int]:
    """The first match of ``needle`` at or after ``lineno`` (1-based column), else column 1."""
    start = max(1, min(lineno, len(lines) or 1))
    if needle:
        pattern = re.compile(needle)
        for index in range(start - 1, len(lines)):
            match = pattern.search(lines[index])
            if match:
                return index + 1, match.start() + 1
    return start, 1


def _syntax_column(env: ImmutableSandboxedEnvironment, line: str) -> int:
    """Where on the line the broken tag or expression starts: the first one that is not closed
    or does not parse on its own, else the last one on the line, else column 1."""
    openers = list(OPENER_RE.finditer(line))
    for match in openers:
        closer = CLOSERS[match.group()]
        end = line.find(closer, match.end())
        if end < 0:
            return match.start() + 1
        if match.group() != "{%":
            try:
                env.parse("{{" + line[match.end() : end] + "}}")
            except (TemplateSyntaxError, ValueError):
                return match.start() + 1
    return openers[-1].start() + 1 if openers else 1


def _syntax_position(
    env: ImmutableSandboxedEnvironment, source: str, lines: list[str], error: TemplateSyntaxError
) -> tuple[int, int]:
    """Where a syntax error is: for a tag never closed, where it opens (the parser notices it
    at the end, where nothing is wrong); else the broken tag or expression on the error's line."""
    said = error.message or ""
    if said.startswith(END_OF_TEMPLATE) and INNERMOST_BLOCK in said:
        return unclosed_tag_at(env.lex(to_jinja(source)), lines)
    line = max(1, min(error.lineno, len(lines)))
    return line, _syntax_column(env, lines[line - 1])


def _unclosed_dollars(source: str) -> list[int]:
    closed = {m.start() for m in DOLLAR_RE.finditer(source)}
    return [m.start() for m in DOLLAR_OPEN_RE.finditer(source) if m.start() not in closed]


def check_part(
    source: str, *, part: str, kind: TemplateType | None
) -> tuple[list[TemplateProblem], frozenset[str], nodes.Template | None]:
    """Problems of one part, the placeholders it uses, and its checked syntax tree."""
    env = HTML_ENV if part == "html" else TEXT_ENV
    lines = source.split("\n")
    problems = [
        TemplateProblem(part, *_position(source, offset), "${ is not closed on the same line.")
        for offset in _unclosed_dollars(source)
    ]
    if problems:
        return problems, frozenset(), None
    try:
        tree = env.parse(to_jinja(source))
    except TemplateSyntaxError as exc:
        line, column = _syntax_position(env, source, lines, exc)
        message = syntax_error_message(exc.message or "invalid template")
        return [TemplateProblem(part, line, column, message)], frozenset(), None
    except ValueError:  # an integer of more digits than Python converts (the lexer's int())
        line, column = _locate(lines, 1, LONG_NUMBER)
        return [TemplateProblem(part, line, column, NUMBER_TOO_LONG)], frozenset(), None
    except RecursionError:
        return [TemplateProblem(part, 1, 1, TOO_DEEP)], frozenset(), None
    checker = _Checker(kind)
    try:
        checker.check(tree, frozenset())
    except RecursionError:
        return [TemplateProblem(part, 1, 1, TOO_DEEP)], frozenset(), None
    for lineno, needle, message in checker.found:
        problems.append(TemplateProblem(part, *_locate(lines, lineno, needle), message))
    problems.sort(key=lambda p: (p.line, p.column))
    return problems, frozenset(checker.used), (None if problems else tree)


def check_template(kind: TemplateType, *, subject: str, text: str, html: str) -> None:
    """Refuse (TemplateRejected) a template that breaks any rule; nothing to store otherwise."""
    problems: list[TemplateProblem] = []
    for part, source, limit in (
        ("subject", subject, MAX_SUBJECT_CHARS),
        ("text", text, MAX_BODY_CHARS),
        ("html", html, MAX_BODY_CHARS),
    ):
        label = PART_NAMES[part]
        if not source.strip():
            problems.append(TemplateProblem(part, 1, 1, f"The {label} is empty."))
            continue
        if len(source) > limit:
            message = f"The {label} has more than {limit} characters."
            problems.append(TemplateProblem(part, 1, 1, message))
            continue
        if part == "subject" and ("\n" in source or "\r" in source):
            offset = min(i for i in (source.find("\n"), source.find("\r")) if i >= 0)
            message = "The subject must be one line."
            problems.append(TemplateProblem(part, *_position(source, offset), message))
            continue
        found, used, _ = check_part(source, part=part, kind=kind)
        if not found:  # what passes the checks must also compile (Python's nesting limits)
            found = _compile_problems(source, part)
        problems.extend(found)
        if not found and part != "subject":
            for placeholder in kind.mandatory:
                if placeholder not in used:
                    message = (
                        f"The {label} must contain the placeholder "
                        f"{{{{ {placeholder} }}}} (or ${{{placeholder}}})."
                    )
                    problems.append(TemplateProblem(part, 1, 1, message))
    if problems:
        raise TemplateRejected(problems)


def _bound_loops(tree: nodes.Template) -> nodes.Template:
    for loop in tree.find_all(nodes.For):
        loop.iter = nodes.Filter(
            loop.iter, BOUNDED_FILTER, [], [], None, None, lineno=loop.iter.lineno
        )
    return tree


def compile_part(source: str, *, html: bool) -> Template:
    """The checked, loop-bounded, compiled template of one part (any type's placeholders);
    TemplateRejected when it breaks a rule. Kept: the worker renders the same sources often."""
    return _COMPILED.get(source, html, lambda: _compile(source, html=html))


def is_compiled(source: str, *, html: bool) -> bool:
    """Whether ``compile_part`` has the part at hand (else it checks and compiles it)."""
    return _COMPILED.has(source, html)


def _compile(source: str, *, html: bool) -> Template:
    part = "html" if html else "text"
    problems, _, tree = check_part(source, part=part, kind=None)
    if tree is None:
        raise TemplateRejected(problems)
    env = HTML_ENV if html else TEXT_ENV
    try:
        return env.from_string(_bound_loops(tree))
    except (SyntaxError, RecursionError):  # nested deeper than Python compiles
        raise TemplateRejected([TemplateProblem(part, 1, 1, TOO_DEEP)]) from None


def _compile_problems(source: str, part: str) -> list[TemplateProblem]:
    try:
        compile_part(source, html=part == "html")
    except TemplateRejected as exc:
        return [replace(p, part=part) for p in exc.problems]
    return []
