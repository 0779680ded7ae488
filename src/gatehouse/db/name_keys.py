"""The key names are compared by, upper or lower case alike, computed here and stored beside them.

Names unique per tenant in any letter case (systems, applications, template sets, login names)
and the user search compare these keys, not the database's lower(): SQLite's folds only ASCII
letters and PostgreSQL's follows the database's locale, so "CAFÉ" and "Café" were two names on
one database and one name on another. A key is computed in Python, the same everywhere, and
kept by the application on every write of its row. (The key columns' server default '' only
lets migration 0008 add them NOT NULL to SQLite's existing tables.)"""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import event, inspect


def name_key(text: str) -> str:
    """``text`` in compatibility form (NFKC: "ﬁ" is "fi", full-width letters are the usual
    ones), case-folded ("Ö" is "ö", "ß" is "ss") and with each run of white space one space, as
    the services store names. Normalized again after folding, which can leave a form NFKC would
    change."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def keep_name_key(model: type[Any], key: str, *sources: str) -> None:
    """Keep ``model``'s column ``key`` the name key of its columns ``sources`` (joined by a
    space; None when all of them are): set before every INSERT, and before every UPDATE that
    changes one of them."""

    def fill(row: Any) -> None:
        values = [value for value in (getattr(row, s) for s in sources) if value is not None]
        setattr(row, key, name_key(" ".join(values)) if values else None)

    def on_insert(_mapper: Any, _connection: Any, row: Any) -> None:
        fill(row)

    def on_update(_mapper: Any, _connection: Any, row: Any) -> None:
        state = inspect(row)
        if any(state.attrs[source].history.has_changes() for source in sources):
            fill(row)

    event.listen(model, "before_insert", on_insert)
    event.listen(model, "before_update", on_update)
