"""Helpers for driving the HTML pages with httpx: read the CSRF token, follow links in mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"https?://\S+?(?:reset-password|activate)\?token=[\w-]+")


def csrf_token(page: httpx.Response) -> str:
    match = CSRF_RE.search(page.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GET the page for its CSRF token, then POST the form to ``path``."""
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def link_in(text: str) -> str:
    match = LINK_RE.search(text)
    assert match, "no link in the e-mail"
    return match.group(0)


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"
