"""Built-in templates render in the sandbox; template code cannot escape it."""

from __future__ import annotations

import pytest

from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.render import find_template, render

CONTEXT = {
    "user": {
        "firstName": "Jane <b>",
        "sp_name": "Demo",
        "ids_home_link": "http://demo.localhost/",
        "reset_password_link": "http://demo.localhost/reset-password?token=abc",
    },
    "other": {},
}


def test_forgot_password_renders_link_and_escapes_html() -> None:
    """Values are escaped in HTML and kept as typed in text; the link is in both."""
    rendered = render(find_template("forgot-password", "en"), CONTEXT)
    assert rendered.subject == "Reset your password for Demo"
    assert "Hello Jane <b>," in rendered.text
    assert "Hello Jane &lt;b&gt;," in rendered.html
    assert CONTEXT["user"]["reset_password_link"] in rendered.text


def test_missing_language_falls_back_to_english() -> None:
    """A language without its own Default template gets the English one."""
    assert find_template("forgot-password", "xx") == find_template("forgot-password", "en")


@pytest.mark.parametrize(
    "payload",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ user.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ user.undefined_thing }}",
    ],
)
def test_template_injection_is_refused(payload: str) -> None:
    """Sandbox escapes and unknown names fail the render instead of running."""
    with pytest.raises(PermanentDeliveryError) as error:
        render(TemplateText(payload, "x", "x"), CONTEXT)
    assert error.value.step == "render"


def test_subject_line_breaks_are_folded() -> None:
    """A value with a line break cannot start a new header line in the subject."""
    rendered = render(
        TemplateText("Hi {{ user.firstName }}", "", ""),
        {"user": {"firstName": "a\r\nBcc: x@evil.test"}},
    )
    assert rendered.subject == "Hi a Bcc: x@evil.test"
