"""Server-side template injection: a corpus of payloads (sandbox escapes through dunder
attributes, the cycler/joiner/namespace/lipsum globals, attr and format filters, format-string
tricks, tags that load or define code, huge loops and ranges, recursion, deep nesting, the
reference's ${} spelling) against the template API, the console and the renderer. None runs:
each is refused with 422 and nothing stored, or stored and rendered as inert text; stored
templates that slipped past the check are refused again when an e-mail renders; loops, output
size and nesting are bounded."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatehouse.accounts.authorizations import Authorization
from gatehouse.errors import PermanentDeliveryError
from gatehouse.mail.templates.defaults import TemplateText
from gatehouse.mail.templates.models import EmailTemplate
from gatehouse.mail.templates.render import render
from gatehouse.mail.templates.sandbox import TemplateRejected, check_template
from gatehouse.mail.templates.types import TEMPLATE_TYPES
from tests.support.accounts import api_client, sign_in
from tests.support.live import LiveServer
from tests.support.pages import csrf_token

LINK = "${user.reset_password_link}"
FORGOT = TEMPLATE_TYPES["forgot-password"]
MARKER = "/tmp/gatehouse-ssti-{tag}"
CONTEXT = {
    "user": {
        "firstName": "Jane",
        "lastName": "Doe",
        "sp_name": "Demo",
        "reset_password_link": "https://demo.localhost/reset-password?token=t0k3n",
        "ids_home_link": "https://demo.localhost/",
    },
    "other": {},
}


def payloads(marker: str) -> list[str]:
    """Expressions and tags that would run code, read internals or exhaust the server."""
    shell = f"touch {marker}"
    return [
        # dunder walks from literals and placeholders
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ user.__class__ }}",
        "{{ user.firstName.__class__.__base__.__subclasses__() }}",
        "{{ user.firstName.__doc__ }}",
        "{{ user._private }}",
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
        # globals of a default Jinja environment
        f"{{{{ cycler.__init__.__globals__.os.popen('{shell}').read() }}}}",
        f"{{{{ joiner.__init__.__globals__.os.system('{shell}') }}}}",
        "{{ namespace.__init__.__globals__.__builtins__ }}",
        f"{{{{ lipsum.__globals__['os'].popen('{shell}') }}}}",
        "{{ range(10) }}",
        "{{ dict(a=1) }}",
        "{{ self }}",
        "{{ self._TemplateReference__context }}",
        "{{ config }}",
        "{{ request }}",
        "{{ environment }}",
        # filters that reach attributes or format strings
        "{{ user|attr('__class__') }}",
        "{{ user.firstName|attr('__class__')|attr('__base__') }}",
        "{{ '%s'|format(user) }}",
        "{{ user.firstName|format(user) }}",
        "{{ '{0.__class__}'.format(user) }}",
        "{{ user.firstName.format }}",
        "{{ user.firstName|map('upper')|list }}",
        "{{ user.firstName|replace('J', 'X') }}",
        "{{ user.firstName|safe }}",
        "{{ user.firstName|default(cycler) }}",
        "{{ user.firstName|truncate(*[1]) }}",
        "{{ user is callable }}",
        # tags that define, import or include
        "{% set x = 7 %}{{ x }}",
        "{% set x %}7{% endset %}",
        "{% include 'base.html' %}",
        "{% import 'os' as os %}",
        "{% from 'x' import y %}",
        "{% extends 'base.html' %}",
        "{% macro m() %}x{% endmacro %}{{ m() }}",
        "{% call m() %}{% endcall %}",
        "{% filter upper %}x{% endfilter %}",
        "{% with a = 1 %}{{ a }}{% endwith %}",
        "{% autoescape false %}<b>{% endautoescape %}",
        "{% block b %}{% endblock %}",
        "{% do [].append(1) %}",
        # arithmetic, calls, brackets, literals of containers
        "{{ 7*7 }}",
        "{{ 7*'7' }}",
        "{{ 9**999999 }}",
        "{{ '7'*100000000 }}",
        "{{ user['firstName'] }}",
        "{{ user.firstName[0] }}",
        "{{ user.firstName[::-1] }}",
        "{{ user.firstName.upper() }}",
        "{{ {'a': 1} }}",
        "{{ [].append }}",
        # the reference's ${} spelling
        "${7*7}",
        "${''.__class__}",
        "${user.password}",
        f"${{cycler.__init__.__globals__.os.popen('{shell}')}}",
        # loops: unbounded, recursive, over internals
        "{% for x in user %}{{ x }}{% endfor %}",
        "{% for x in range(100000000) %}x{% endfor %}",
        "{% for x in [1] recursive %}{{ loop(x) }}{% endfor %}",
        "{% for user in [1] %}{{ user }}{% endfor %}",
        "{% for x in [1] %}{{ loop.cycle('a', 'b') }}{% endfor %}",
        "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}",
        "{% for x in [1] %}{{ x.__class__ }}{% endfor %}",
    ]


INERT = [
    # not template syntax for Jinja: shown as written
    "#{7*7} <%= 7*7 %> *{7*7} @(7*7) [[${7*7}]]".replace("${7*7}", "x"),
    "{% raw %}{{ ''.__class__ }}{% endraw %}",
    "{# {{ ''.__class__ }} #}",
]

NESTED = {
    "parentheses": "{{ " + "(" * 3000 + "user.firstName" + ")" * 3000 + " }}",
    "if tags": "{% if user.firstName %}" * 500 + "x" + "{% endif %}" * 500,
    "for tags": "".join(f"{{% for a{i} in [1] %}}" for i in range(40)) + "x" + "{% endfor %}" * 40,
    "filters": "{{ user.firstName" + "|upper" * 5000 + " }}",
    "nots": "{{ " + "not " * 5000 + "user.firstName }}",
    "lists": "{{ [" + "[" * 2000 + "]" * 2000 + "] }}",
    "conditionals": "{{ " + "user.firstName if user.firstName else " * 2000 + "'x' }}",
}


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


@pytest.fixture
def api(demo: LiveServer) -> httpx.Client:
    auth = api_client(demo, Authorization.MANAGE_TENANT_CONFIGURATION)
    with demo.client(auth=auth) as client:
        yield client


@pytest.fixture
def set_id(api: httpx.Client) -> str:
    created = api.post("/admin/api/v1/template-sets", json={"name": "Injection"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def put(api: httpx.Client, set_id: str, text: str, *, html: str = LINK) -> httpx.Response:
    return api.put(
        f"/admin/api/v1/template-sets/{set_id}/templates/forgot-password/en",
        json={"subject": "Reset", "text": text, "html": html},
    )


def test_every_payload_is_refused_by_the_api_and_nothing_is_stored(
    api: httpx.Client, set_id: str, marker: Path
) -> None:
    """Each payload in the text body, the HTML body and the subject: 422 with line and column,
    and the stored template stays the copy of Default."""
    path = f"/admin/api/v1/template-sets/{set_id}/templates/forgot-password/en"
    before = api.get(path).json()
    problems = []
    for payload in payloads(str(marker)):
        for answer in (
            put(api, set_id, f"Hi\n{payload}\n{LINK}"),
            put(api, set_id, LINK, html=f"<p>{payload}</p>{LINK}"),
            api.put(path, json={"subject": payload, "text": LINK, "html": LINK}),
        ):
            detail = answer.json().get("detail") if answer.status_code == 422 else None
            if answer.status_code != 422 or not {"field", "line", "column"} <= set(detail):
                problems.append(f"{payload!r}: {answer.status_code} {answer.text[:200]}")
    assert not problems, "\n".join(problems)
    assert api.get(path).json() == before
    assert not marker.exists()


def test_deeply_nested_templates_are_refused_not_a_server_error(
    api: httpx.Client, set_id: str
) -> None:
    """Thousands of nested parentheses, tags, filters or lists: 422 naming the part, quickly;
    never a 500 (Python's recursion or nesting limits) and never stored."""
    path = f"/admin/api/v1/template-sets/{set_id}/templates/forgot-password/en"
    before = api.get(path).json()
    for name, payload in NESTED.items():
        started = time.monotonic()
        answer = put(api, set_id, f"{payload}\n{LINK}")
        assert answer.status_code == 422, f"{name}: {answer.status_code} {answer.text[:300]}"
        assert answer.json()["detail"]["field"] == "text", name
        assert time.monotonic() - started < 5, name
    assert api.get(path).json() == before


def test_inert_lookalikes_are_stored_and_rendered_as_written(
    api: httpx.Client, set_id: str
) -> None:
    """Other engines' syntax, raw blocks and comments are text: stored, and rendered without
    evaluating anything."""
    for text in INERT:
        answer = put(api, set_id, f"{text}\n{LINK}")
        assert answer.status_code == 200, answer.text
    assert render(TemplateText("s", INERT[0], LINK), CONTEXT).text == INERT[0]
    raw = render(TemplateText("s", INERT[1], LINK), CONTEXT).text
    assert raw == "{{ ''.__class__ }}"
    assert render(TemplateText("s", INERT[2], LINK), CONTEXT).text == ""


def test_the_console_refuses_payloads_on_save_and_preview(demo: LiveServer) -> None:
    """The console's save and preview of a template refuse payloads with 422; nothing stored."""
    with demo.client() as console:
        sign_in(console, "admin@demo.test")
        created = console.post(
            "/admin/email-template-sets",
            data={"name": "Console", "csrf_token": csrf_token(console.get("/admin"))},
        )
        page = created.headers["location"].split("?")[0] + "/templates/forgot-password/en"
        original = console.get(page)
        token = csrf_token(original)
        for payload in ["{{ ''.__class__ }}", "{% set x = 1 %}", NESTED["parentheses"]]:
            for action in ("save", "preview"):
                data = {"subject": "S", "text": f"{payload}\n{LINK}", "html": LINK}
                answer = console.post(page, data={**data, "action": action, "csrf_token": token})
                assert answer.status_code == 422, (payload[:40], action, answer.status_code)
                assert "&lt;class" not in answer.text and "<class" not in answer.text
        assert console.get(page).text == original.text  # nothing stored


def test_the_renderer_refuses_payloads_stored_behind_the_checks_back(marker: Path) -> None:
    """A payload that reached storage some other way is checked again before it renders:
    the e-mail fails permanently ("not allowed"), nothing runs, nothing leaks."""
    for payload in [*payloads(str(marker)), *NESTED.values()]:
        if payload.startswith("${user.password"):
            continue  # any type's placeholder is allowed at render time; unknown ones fail below
        with pytest.raises(PermanentDeliveryError) as refused:
            render(TemplateText("Reset", f"{payload}\n{LINK}", LINK), CONTEXT)
        assert refused.value.step == "render"
        assert "__class__" not in refused.value.message.split(":", 1)[0]
    with pytest.raises(PermanentDeliveryError):
        render(TemplateText("Reset", "${user.password}", LINK), CONTEXT)
    assert not marker.exists()


def test_values_are_never_evaluated_as_templates() -> None:
    """Placeholder values holding template syntax come out as text (and escaped in HTML)."""
    evil = "{{ ''.__class__ }} ${7*7} {% set x = 1 %} <script>alert(1)</script>"
    context: dict[str, Any] = {"user": {**CONTEXT["user"], "firstName": evil}, "other": {}}
    template = TemplateText("Hi ${user.firstName}", f"Hi ${{user.firstName}}\n{LINK}", LINK)
    check_template(FORGOT, subject=template.subject, text=template.text, html=template.html)
    rendered = render(template._replace(html=f"<p>${{user.firstName}}</p>{LINK}"), context)
    assert rendered.text.startswith(f"Hi {evil}\n")
    assert "49" not in rendered.text and "<script>" not in rendered.html
    assert "&lt;script&gt;" in rendered.html


def test_loops_output_and_time_are_bounded() -> None:
    """10,000 nested iterations stop at the 1,000 budget; 90 MB of output stops at 200,000
    characters; both fail permanently within a second or two."""
    ten = "[" + ",".join(["1"] * 10) + "]"
    loops = "".join(f"{{% for a{i} in {ten} %}}" for i in range(4)) + "x" + "{% endfor %}" * 4
    huge = "{% for a in '" + "x" * 999 + "' %}" + "y" * 90_000 + "{% endfor %}"
    for text, reason in ((loops, "loops ran more than 1000"), (huge, "too large")):
        check_template(FORGOT, subject="S", text=f"{text}\n{LINK}", html=LINK)
        started = time.monotonic()
        with pytest.raises(PermanentDeliveryError) as refused:
            render(TemplateText("S", f"{text}\n{LINK}", LINK), CONTEXT)
        assert reason in refused.value.message
        assert time.monotonic() - started < 2


def test_a_stored_payload_fails_its_email_and_sends_nothing(demo: LiveServer) -> None:
    """A payload written straight into the database, used by a real forgot-password e-mail:
    the message fails at the render step, the mailbox stays empty."""
    auth = api_client(
        demo, Authorization.MANAGE_TENANT_CONFIGURATION, Authorization.MANAGE_APPLICATIONS
    )
    with demo.client(auth=auth) as api:
        created = api.post("/admin/api/v1/template-sets", json={"name": "Tampered"}).json()
        assigned = api.put(
            "/admin/api/v1/applications/user-profile",
            json={"template_set_id": created["id"]},
        )
        assert assigned.status_code == 200, assigned.text

    async def tamper(runtime: Any) -> None:
        async with runtime.sessions.begin() as session:
            row = await session.get(EmailTemplate, (created["id"], "forgot-password", "en"))
            row.text = "{{ cycler.__init__.__globals__.os.popen('id').read() }}\n" + LINK

    demo.run(tamper)
    with demo.client() as client:
        answer = client.post("/service/users/forgotPassword", json={"identifier": "jane@demo.test"})
        assert answer.status_code == 200
    with demo.client(auth=auth) as api:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            messages = api.get("/admin/api/v1/messages").json()["messages"]
            if messages and messages[0]["status"] == "failed":
                break
            time.sleep(0.1)
    assert messages[0]["status"] == "failed", messages
    assert messages[0]["last_error"].startswith("render: The template is not allowed")
    assert not [m for m in demo.devmail.mailbox.messages() if m.rcpt_to == ["jane@demo.test"]]


def test_check_template_raises_only_template_rejected() -> None:
    """The checker itself never fails with anything but TemplateRejected."""
    for payload in NESTED.values():
        with pytest.raises(TemplateRejected):
            check_template(FORGOT, subject="S", text=f"{payload}\n{LINK}", html=LINK)
