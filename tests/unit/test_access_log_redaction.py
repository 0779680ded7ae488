"""uvicorn's access log line of a link opened in a browser leaves out the link's token."""

from __future__ import annotations

import logging

import pytest

from gatehouse.web.app import _REDACT_LINK_TOKENS

TOKEN = "r9m9Xfa1VK8thNZnvSmXQNYewNgL3JmWD_EnBPEVxgo"


def access_line(path: str) -> str:
    """The message uvicorn's access logger formats for a GET of ``path``."""
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", path, "1.1", 200),
        None,
    )
    assert _REDACT_LINK_TOKENS.filter(record)
    return record.getMessage()


@pytest.mark.parametrize(
    "path",
    [
        f"/reset-password?token={TOKEN}",
        f"/activate?lang=de&token={TOKEN}",
        # The application decodes the parameter's name: these open the link all the same.
        f"/reset-password?tok%65n={TOKEN}",
        f"/activate?%74%6F%6B%65%6E={TOKEN}",
    ],
)
def test_a_link_token_is_redacted(path: str) -> None:
    line = access_line(path)
    assert TOKEN not in line
    assert "[redacted]" in line


def test_other_parameters_stay() -> None:
    assert access_line("/admin/users?search=token&page=2").endswith(
        '"GET /admin/users?search=token&page=2 HTTP/1.1" 200'
    )
