"""Name keys: one key for a name in any letter case, beyond ASCII too, and kept by the
application on every write of a row (a real SQLite database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from gatehouse.accounts.models import User
from gatehouse.accounts.users import create_user
from gatehouse.db.engine import SessionFactory
from gatehouse.db.name_keys import name_key
from gatehouse.mail.templates.models import TemplateSet
from tests.support.model_database import model_database


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Provisioning", "PROVISIONING"),  # ASCII as before
        ("Café ünïcode", "CAFÉ ÜNÏCODE"),
        ("Östlund", "östlund"),
        ("Straße", "STRASSE"),  # case folding, not lower()
        ("ﬁnance", "Finance"),  # NFKC: the ligature is two letters
        ("Cafe\u0301", "Café"),  # a combining accent and the composed letter
        ("Billing\u00a0 Sync", "billing sync"),  # white space runs as one space
    ],
)
def test_names_in_other_letter_case_share_a_key(one: str, other: str) -> None:
    assert name_key(one) == name_key(other)


@pytest.mark.parametrize(("one", "other"), [("Travel", "Travel 2"), ("Åsa", "Asa"), ("ö", "o")])
def test_other_names_keep_other_keys(one: str, other: str) -> None:
    assert name_key(one) != name_key(other)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SessionFactory]:
    async with model_database(tmp_path, "one") as sessions:
        yield sessions


async def test_a_renamed_row_gets_its_new_key(db: SessionFactory) -> None:
    """Set on INSERT and again on the UPDATE that renames, in a later session."""
    async with db.begin() as session:
        row = TemplateSet(tenant_id="one", name="Café")
        session.add(row)
    async with db.begin() as session:
        stored = await session.get(TemplateSet, row.id)
        assert stored is not None and stored.name_key == "café"
        stored.name = "STRASSE"
    async with db() as session:
        assert await session.scalar(select(TemplateSet.name_key)) == "strasse"


async def test_a_user_has_login_and_full_name_keys(db: SessionFactory) -> None:
    """The login name's key (None without one) and the full name's, for the search."""
    async with db.begin() as session:
        await create_user(
            session,
            tenant_id="one",
            email="asa@one.test",
            first_name="Åsa",
            last_name="ÖSTLUND",
            login_name="ÄRGER",
        )
        await create_user(session, tenant_id="one", email="anon@one.test")
    async with db() as session:
        rows = await session.execute(
            select(User.email, User.login_key, User.name_key).order_by(User.email)
        )
        assert [tuple(row) for row in rows] == [
            ("anon@one.test", None, ""),
            ("asa@one.test", "ärger", "åsa östlund"),
        ]
