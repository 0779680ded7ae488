"""README's Configuration table is the settings: every variable it lists is one, every setting
is listed, and the numbers it gives as defaults are the code's."""

from __future__ import annotations

import re
from pathlib import Path

from gatehouse.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def table() -> list[tuple[list[str], str]]:
    """(variables, default column) of each row of the Configuration table."""
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names, default = [cell.strip() for cell in line.strip("|").split("|")][:2]
            rows.append((re.findall(r"`([A-Z_]+)`", names), default))
    return rows


def test_the_table_lists_every_setting_and_nothing_else() -> None:
    """A setting added without its row, or a row of a setting renamed, is caught."""
    listed = [name.lower() for names, _ in table() for name in names]
    assert sorted(listed) == sorted(Settings.model_fields)


def test_the_tables_numeric_defaults_are_the_codes() -> None:
    """ "2, 4" for two variables is their two defaults, in order."""
    checked = 0
    for names, default in table():
        numbers = default.split(", ")
        if len(numbers) == len(names) and all(re.fullmatch(r"\d+", n) for n in numbers):
            for name, number in zip(names, numbers, strict=True):
                assert Settings.model_fields[name.lower()].default == float(number), name
                checked += 1
    assert checked == 19  # each numeric default in the table
