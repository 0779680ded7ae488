"""deploy/nginx.conf logs no link: reset and activation links carry their token in the query,
so every access log it declares uses a format that names the path alone."""

from __future__ import annotations

import re
from pathlib import Path

CONF = Path(__file__).parents[2] / "deploy" / "nginx.conf"
QUERY_VARIABLES = ("$request ", '$request"', "$request_uri", "$args", "$query_string", "$arg_")


def test_every_access_log_names_the_path_without_the_query() -> None:
    text = CONF.read_text()
    formats = dict(re.findall(r"log_format\s+(\w+)\s+((?:'[^']*'\s*)+);", text))
    logs = re.findall(r"access_log\s+\S+\s+(\w+);", text)
    servers = text.count("server {")
    assert logs and len(logs) == servers  # each server block's log, none left to the default
    for name in logs:
        assert "$uri" in formats[name]
        assert not [v for v in QUERY_VARIABLES if v in formats[name] + " "], formats[name]
