"""What a tenant's template may contain: the placeholders of its type in both spellings, if and
for; everything else refused with part, line and column. Template-injection payloads are
refused or rendered inert; loops and output are bounded at run time."""

from __future__ import annotations

import pytest
from jinja2.exceptions import SecurityError

from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.render import render
from gatehouse.mail.templates.sandbox import (
    MAX_LOOP_ITERATIONS,
    TEXT_ENV,
    TemplateProblem,
    TemplateRejected,
    check_template,
)
from gatehouse.mail.templates.types import TEMPLATE_TYPES

FORGOT = TEMPLATE_TYPES["forgot-password"]
LINK = "${user.reset_password_link}"
CONTEXT = {
    "user": {
        "firstName": "Jürgen <b>",
        "lastName": "Doe",
        "sp_name": "Demo",
        "reset_password_link": "https://demo.example/reset-password?token=abc",
    },
    "other": {},
}


def problems(text: str, *, html: str = LINK, subject: str = "Reset") -> list[TemplateProblem]:
    with pytest.raises(TemplateRejected) as refused:
        check_template(FORGOT, subject=subject, text=text, html=html)
    return refused.value.problems


def first(text: str) -> str:
    return str(problems(text)[0])


def test_both_spellings_are_accepted_and_render_alike() -> None:
    """${user.firstName} and {{ user.firstName }} name the same placeholder."""
    template = TemplateText(
        "Hi ${user.firstName}",
        "Hallo ${user.firstName} / {{ user.firstName }}\n" + LINK,
        "<p>${ user.firstName }</p>" + LINK,
    )
    check_template(FORGOT, subject=template.subject, text=template.text, html=template.html)
    rendered = render(template, CONTEXT)
    assert rendered.subject == "Hi Jürgen <b>"
    assert rendered.text.startswith("Hallo Jürgen <b> / Jürgen <b>\nhttps://demo.example/")
    assert rendered.html.startswith("<p>Jürgen &lt;b&gt;</p>https://")


def test_unknown_placeholder_names_line_and_column() -> None:
    """${user.password} on line 2 is refused where it stands."""
    assert first("Hello\n  Your password: ${user.password}\n" + LINK) == (
        "Text body, line 2, column 20: user.password is not a placeholder of the Forgot "
        "Password template."
    )


def test_placeholder_of_another_type_is_refused() -> None:
    """The OTP code is not a placeholder of Forgot Password."""
    assert first("{{ other.emailOtpCode }} " + LINK) == (
        "Text body, line 1, column 4: other.emailOtpCode is not a placeholder of the Forgot "
        "Password template."
    )


def test_missing_mandatory_placeholder_is_refused_in_each_body() -> None:
    """The reset link must be in the text and in the HTML body."""
    found = problems("No link here", html="<p>none</p>")
    assert [str(p) for p in found] == [
        "Text body, line 1, column 1: The text body must contain the placeholder "
        "{{ user.reset_password_link }} (or ${user.reset_password_link}).",
        "HTML body, line 1, column 1: The HTML body must contain the placeholder "
        "{{ user.reset_password_link }} (or ${user.reset_password_link}).",
    ]


def test_syntax_error_names_line_and_column() -> None:
    """An unclosed expression on line 3 is reported at its opening braces."""
    assert first("a\nb\nc {{ user.firstName }} d {{ user.lastName " + LINK) == (
        "Text body, line 3, column 26: Syntax error: expected }}, found '{'."
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ }}", "expected a placeholder or a value, found }}."),
        ("{% if %}x{% endif %}", "expected a placeholder or a value, found %}."),
        ("{{ user. }}", "expected a name after the period."),
        ("{{ user.firstName | }}", "expected a name, found }}."),
        ("{{ 'abc }}", "a text in quotes is not closed: add its closing '."),
    ],
)
def test_the_parsers_tokens_are_named_as_the_template_writes_them(text: str, expected: str) -> None:
    """The parser's names of tokens ("end of print statement") become the characters the
    administrator typed ("}}"), or what is missing."""
    assert first(text + " " + LINK).endswith(f"Syntax error: {expected}")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hi\n{% if user.firstName %}Hello",
            "line 3, column 1: Syntax error: {% if %} is not closed; add {% endif %} where it "
            "ends.",
        ),
        (
            "{% for x in user.lastName %}{% endfor %} {% if user.firstName %}\n"
            "{%- for y in user.lastName %}{{ y }}{% endfor %}\nmore\n",
            "line 2, column 42: Syntax error: {% if %} is not closed; add {% endif %} where it "
            "ends.",
        ),
        (
            "{% if user.firstName %}{% for y in user.lastName %}\n\n\nend",
            "line 2, column 24: Syntax error: {% for %} is not closed; add {% endfor %} where "
            "it ends.",
        ),
        (
            "{% for x in user.firstName %}{% endif %}",
            "line 2, column 30: Syntax error: {% endif %} does not belong here; the open "
            "{% for %} expects {% endfor %} or {% else %}.",
        ),
        (
            "{% if user.firstName %}\n{% for x in user.lastName %}\n{% endif %}",
            "line 4, column 1: Syntax error: {% endif %} stands inside an open {% for %}; close "
            "the {% for %} with {% endfor %} first.",
        ),
        (
            "{% if user.firstName %}\n{% iff user.lastName %}\n{% endif %}",
            "line 3, column 1: Syntax error: {% iff %} does not belong here; the open {% if %} "
            "expects {% elif %}, {% else %} or {% endif %}.",
        ),
        (
            "Hi {% endfor %}",
            "line 2, column 4: Syntax error: {% endfor %} closes no open {% for %}.",
        ),
        (
            "{% else %}",
            "line 2, column 1: Syntax error: {% else %} belongs inside {% if %} or {% for %}.",
        ),
        ("{% elif x %}", "line 2, column 1: Syntax error: {% elif %} belongs inside {% if %}."),
        (
            "{% iff user.firstName %}",
            "line 2, column 1: Syntax error: There is no tag {% iff %}; templates can use only if "
            "and for.",
        ),
        (
            "{% block a-b %}{% endblock %}",
            "line 2, column 16: Syntax error: The tag {% block %} is not allowed in templates; "
            "only if and for are.",
        ),
    ],
)
def test_a_misplaced_or_unclosed_tag_is_named_in_the_templates_words(
    text: str, expected: str
) -> None:
    """Jinja's own words ("Jinja was looking for the following tags ...") are said again with
    the tags as written, at the same line and column; a tag never closed is located where it
    opens (it was located at the template's last line)."""
    found = str(problems(LINK + "\n" + text)[0])  # the link on line 1
    assert found == f"Text body, {expected}"
    assert "jinja" not in found.lower()


def test_unclosed_dollar_brace_is_refused() -> None:
    """${ without its closing brace on the same line is an error, not silent text."""
    assert first("Hi ${user.firstName\n" + LINK) == (
        "Text body, line 1, column 4: ${ is not closed on the same line."
    )


def test_subject_must_be_one_line() -> None:
    """A line break in the subject could start a new header: refused."""
    assert str(problems(LINK, subject="Hello\nBcc: x@evil.test")[0]) == (
        "Subject, line 1, column 6: The subject must be one line."
    )


def test_if_and_for_work_with_placeholders() -> None:
    """Conditions, loops over literals and the allowed filters render."""
    text = (
        "{% if user.firstName %}Hi {{ user.firstName | upper }}{% else %}Hi{% endif %}"
        "{% for n in [1, 2, 3] %}{{ loop.index }}{% endfor %} " + LINK
    )
    check_template(FORGOT, subject="s", text=text, html=LINK)
    assert render(TemplateText("s", text, LINK), CONTEXT).text.startswith("Hi JÜRGEN <B>123 ")


INJECTION_PAYLOADS = [
    ("{{ ''.__class__ }}", "The attribute __class__ cannot be used"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "Calling functions is not allowed"),
    ("{{ user.__class__.__init__.__globals__ }}", "user.__class__.__init__.__globals__ is not"),
    ("{{ user.firstName.__class__ }}", "user.firstName.__class__ is not a placeholder"),
    ("{{ cycler.__init__.__globals__.os.popen('id').read() }}", "Calling functions"),
    ("{{ lipsum.__globals__['os'] }}", "Brackets ([...]) are not allowed"),
    ("{{ self._TemplateReference__context }}", "self._TemplateReference__context is not"),
    ("{{ config.items() }}", "Calling functions is not allowed"),
    ("{{ request.application }}", "request.application is not a placeholder"),
    ("{{ namespace() }}", "Calling functions is not allowed"),
    ("{{ range(100000000) | list }}", "The filter list is not allowed"),
    ("{{ user['firstName'] }}", "Brackets ([...]) are not allowed"),
    ("{{ user.firstName | attr('__class__') }}", "The filter attr is not allowed"),
    ("{{ user.firstName | safe }}", "The filter safe is not allowed"),
    ("{{ 'a' * 100000000 }}", "Arithmetic (*) is not allowed"),
    ("{{ 9 ** 9 ** 9 }}", "Arithmetic (**) is not allowed"),
    ("{% set x = user %}{{ x }}", "The tag {% set %} is not allowed"),
    ("{% autoescape false %}{{ user.firstName }}{% endautoescape %}", "{% autoescape %}"),
    ("{% include '/etc/passwd' %}", "The tag {% include %} is not allowed"),
    ("{% extends 'base.html' %}", "The tag {% extends %} is not allowed"),
    ("{% macro m() %}x{% endmacro %}", "The tag {% macro %} is not allowed"),
    ("{% for x in user %}{{ x }}{% endfor %}", "Write a placeholder such as user.firstName"),
    ("{% for user in [1] %}{{ user }}{% endfor %}", "Loop variables must be plain names"),
    ("{% for x in [1] %}{{ loop.cycle('a') }}{% endfor %}", "Calling functions is not allowed"),
    ("{% for x in [1] recursive %}{{ loop(x) }}{% endfor %}", "Recursive loops"),
    ("${T(java.lang.Runtime).getRuntime().exec('id')}", "Calling functions is not allowed"),
    ("{{ user.firstName | format('%s') }}", "The filter format is not allowed"),
]


@pytest.mark.parametrize(("payload", "reason"), INJECTION_PAYLOADS)
def test_injection_payload_is_refused(payload: str, reason: str) -> None:
    """Sandbox escapes, code and unknown names never get stored."""
    found = problems(payload + " " + LINK)
    assert reason in found[0].message
    assert (found[0].part, found[0].line) == ("text", 1)


INERT_PAYLOADS = [
    "#set($x = $class.forName('java.lang.Runtime'))",  # Velocity directive
    "<%= 7 * 7 %>",  # ERB
    "#{7*7}",  # Ruby / Spring
    "$user.password",  # Velocity without braces
    "<script>alert(1)</script>",  # the tenant's own HTML, not executed by us
]


@pytest.mark.parametrize("payload", INERT_PAYLOADS)
def test_foreign_template_syntax_renders_as_plain_text(payload: str) -> None:
    """Other engines' syntax is stored as text and comes out unchanged."""
    text = payload + "\n" + LINK
    check_template(FORGOT, subject="s", text=text, html=LINK)
    assert render(TemplateText("s", text, LINK), CONTEXT).text.startswith(payload + "\n")


def test_render_refuses_code_that_bypassed_the_save_check() -> None:
    """A stored template is checked again before it runs: code fails the message."""
    with pytest.raises(PermanentDeliveryError) as error:
        render(TemplateText("s", "{{ ''.__class__ }}", "x"), CONTEXT)
    assert error.value.message == (
        "The template is not allowed: Text body, line 1, column 6: The attribute __class__ "
        "cannot be used: templates can use only the placeholders of their type."
    )


def test_nested_loops_stop_at_the_iteration_budget() -> None:
    """Loops share one budget per rendering, so nesting cannot run for long."""
    loops = "{% for a in user.reset_password_link %}{% for b in user.reset_password_link %}"
    text = loops + "x{% endfor %}{% endfor %}" + LINK
    check_template(FORGOT, subject="s", text=text, html=LINK)
    with pytest.raises(PermanentDeliveryError) as error:
        render(TemplateText("s", text, LINK), CONTEXT)
    assert error.value.message == (
        f"The template could not be rendered: The loops ran more than {MAX_LOOP_ITERATIONS} times."
    )


@pytest.mark.parametrize(
    ("number", "column"),
    [("1" + "0" * 5000, 10), ("0x" + "f" * 100, 10), ("-1" + "0" * 18, 11)],
)
def test_numbers_of_more_than_18_digits_are_refused(number: str, column: int) -> None:
    """A number Python could not read (over 4,300 digits) or print (a long hexadecimal one) is
    refused where it stands, not a 500 when saved or a failure when sent."""
    assert first(f"Hello {{{{ {number} }}}}" + LINK) == (
        f"Text body, line 1, column {column}: Numbers in templates may have at most 18 digits."
    )


WRONG_TYPES = [
    ("{{ user.firstName < 1 }}", "'<' not supported between instances of 'str' and 'int'"),
    ("{% for x in 1 %}{% endfor %}", "'int' object is not iterable"),
    ("{{ user.firstName | truncate('x') }}", "'>=' not supported between instances of"),
    ("{{ user.firstName | truncate(-5) }}", "expected length >= 3, got -5"),
    ("{{ user.firstName | upper(1) }}", "do_upper() takes 1 positional argument"),
]


@pytest.mark.parametrize(("payload", "reason"), WRONG_TYPES)
def test_expressions_on_wrong_types_fail_the_message_for_good(payload: str, reason: str) -> None:
    """Stored templates that pass the checks but fail on their values' types fail the render
    (permanent, with Python's reason), not the worker's send as an internal error."""
    check_template(FORGOT, subject="s", text=payload + LINK, html=LINK)
    with pytest.raises(PermanentDeliveryError) as error:
        render(TemplateText("s", payload + LINK, LINK), CONTEXT)
    assert error.value.step == "render"
    assert error.value.message.startswith("The template could not be rendered: ")
    assert reason in error.value.message


def test_output_size_is_limited() -> None:
    """A template whose output passes 200,000 characters fails instead of growing."""
    body = "{% for a in user.reset_password_link %}" + "x" * 5000 + "{% endfor %}" + LINK
    with pytest.raises(PermanentDeliveryError) as error:
        render(TemplateText("s", body, LINK), CONTEXT)
    assert error.value.message == "The rendered e-mail is too large."


def test_a_subject_is_limited_to_a_thousand_characters() -> None:
    """A loop in the subject stops at 1,000 characters (it could reach 200,000, one header
    line), while one of 1,000 is sent."""
    subject = "{% for a in user.reset_password_link %}" + "x" * 100 + "{% endfor %}"
    check_template(FORGOT, subject=subject, text=LINK, html=LINK)
    with pytest.raises(PermanentDeliveryError) as error:
        render(TemplateText(subject, LINK, LINK), CONTEXT)
    assert error.value.message == "The rendered subject is longer than 1,000 characters."
    assert render(TemplateText("y" * 1000, LINK, LINK), CONTEXT).subject == "y" * 1000


def test_html_values_are_escaped_and_text_values_are_not() -> None:
    """A first name with markup is inert in the HTML part and verbatim in the text part."""
    rendered = render(TemplateText("s", "{{ user.firstName }}", "{{ user.firstName }}"), CONTEXT)
    assert (rendered.text, rendered.html) == ("Jürgen <b>", "Jürgen &lt;b&gt;")


def test_optional_placeholders_render_empty_when_absent() -> None:
    """The logo, header and footer never fail an e-mail: missing, they render empty."""
    template = TemplateText("s", "[{{ user.company_logo }}{{ user.footer }}]", "x")
    assert render(template, {"user": {}}).text == "[]"


def test_placeholder_values_come_from_their_dictionary_and_nothing_else_does() -> None:
    """The environment's shortcut reads a placeholder dictionary's own keys; a name it lacks
    (say ``__class__``) still meets the sandbox, which refuses it."""
    assert TEXT_ENV.getattr({"first_name": "Ada"}, "first_name") == "Ada"
    unsafe = TEXT_ENV.getattr({"first_name": "Ada"}, "__class__")
    with pytest.raises(SecurityError):
        str(unsafe)
