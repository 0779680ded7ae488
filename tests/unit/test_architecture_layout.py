"""docs/architecture.md's layout is true to the tree: every module it names exists, and every
module of the packages it lists file by file is named in it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "gatehouse"
# Listed file by file; the other packages (accounts/, processes/, web/console/ ...) are
# described as a whole by their own entry.
LISTED = ("", "db", "mail", "mail/templates", "mail/transports", "web")


def layout() -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    return text.split("## Layout", 1)[1].split("\n## ", 1)[0]


def test_every_module_the_layout_names_exists() -> None:
    """A module renamed or removed is not left in the layout."""
    names = set(re.findall(r"\b(\w+)\.py\b", layout()))
    modules = {path.stem for path in PACKAGE.rglob("*.py")}
    assert sorted(names - modules) == []


def test_every_module_of_a_listed_package_is_in_the_layout() -> None:
    """A module added to the packages listed file by file is named there too."""
    named = set(re.findall(r"\b(\w+)\.py\b", layout()))
    missing = [
        f"{package}/{path.name}".lstrip("/")
        for package in LISTED
        for path in sorted((PACKAGE / package).glob("*.py"))
        if path.stem != "__init__" and path.stem not in named
    ]
    assert missing == []


def test_every_package_is_in_the_layout() -> None:
    """Each subpackage has its entry (``accounts/``, ``web/console/`` ...)."""
    text = layout()
    packages = [
        path.parent.relative_to(PACKAGE)
        for path in PACKAGE.rglob("__init__.py")
        if path.parent != PACKAGE and "migrations" not in path.parts and "locales" not in path.parts
    ]
    assert [str(p) for p in packages if f"{p.name}/" not in text] == []
