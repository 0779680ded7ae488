"""Helpers for driving the HTML pages with httpx: read the CSRF token, follow links in mail."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx
from starlette.requests import cookie_parser

from gatehouse.crypto import SecretBox
from gatehouse.web.csrf import MAC_PURPOSE, signed_value
from tests.support.live import TEST_SECRET_KEY

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+?(?:reset-password|activate)\?token=[\w-]+")


def signed_csrf(cookie: str, sessions: Mapping[str, str] | None = None) -> str:
    """The form field that goes with CSRF cookie ``cookie`` (and the session cookies
    ``sessions``, none by default) on the tests' servers (their pages carry it; a test posting
    without a page signs the cookie it holds or plants)."""
    value = signed_value(cookie, sessions or {})
    return SecretBox([TEST_SECRET_KEY.encode()]).mac(MAC_PURPOSE, value)


def csrf_for(client: httpx.Client, path: str) -> str:
    """The form field ``client``'s page would carry for a form it posts to ``path``: the CSRF
    cookie it sends there, signed (with the session cookies it sends there)."""
    sent = cookie_parser(client.build_request("POST", path).headers.get("cookie", ""))
    return signed_csrf(sent.get("gh_csrf", ""), sent)


def csrf_token(page: httpx.Response) -> str:
    match = CSRF_RE.search(page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GET the page for its CSRF token, then POST the form to ``path``."""
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def press(client: httpx.Client, page: str, action: str) -> httpx.Response:
    """A button of ``page`` (a form without fields) that posts to ``action``."""
    return client.post(action, data={"csrf_token": csrf_token(client.get(page))})


def link_in(text: str) -> str:
    match = LINK_RE.search(text)
    assert match, "no link in the e-mail"
    return match.group(0)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"
