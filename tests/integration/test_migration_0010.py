"""Migration 0010 on a database of its own: links a server's reply quoted into the delivery log
before replies were scrubbed lose their token; every other text is left as it was."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from gatehouse.db.migrate import upgrade
from gatehouse.settings import Settings
from tests.support.migrations import add_tenants

TOKEN = "rASkbuQ0fJ3x-Yq7_Zt9LmN2vW5pHc8dKe1gUiOsTnA"
QUOTED = (
    f"data: The server refused the message: 554 held http://a.test/reset-password?token={TOKEN}"
)
QP = f'421 4.7.0 near href=3D"http://a.test/activate?token=3D{TOKEN}"'
PLAIN = "rcpt: The server refused the recipient u@a.test: 550 5.1.1 No such user."


def test_quoted_tokens_are_taken_out_of_stored_errors(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, database_url="")
    upgrade(settings, "0009")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'gatehouse.sqlite3'}")
    with engine.begin() as connection:
        add_tenants(connection, "acme")
        for n, text in enumerate((QUOTED, QP, PLAIN)):
            connection.execute(
                sa.text(
                    "INSERT INTO outbox_messages (id, tenant_id, process, language, recipient,"
                    " status, attempts, next_attempt_at, created_at, last_error) VALUES"
                    " (:id, 'acme', 'forgot-password', 'en', 'u@a.test', 'failed', 1,"
                    " '2026-01-01 00:00:00', '2026-01-01 00:00:00', :text)"
                ),
                {"id": f"m{n}", "text": text},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO delivery_attempts (id, message_id, tenant_id, started_at,"
                    " transport, server, outcome, error) VALUES (:id, :message, 'acme',"
                    " '2026-01-01 00:00:00', 'smtp', 'x:25', 'failed', :text)"
                ),
                {"id": f"a{n}", "message": f"m{n}", "text": text},
            )
    upgrade(settings, "0010")
    with engine.connect() as connection:
        errors = connection.execute(sa.text("SELECT error FROM delivery_attempts ORDER BY id"))
        last = connection.execute(sa.text("SELECT last_error FROM outbox_messages ORDER BY id"))
        stored = [list(errors.scalars()), list(last.scalars())]
    expected = [
        QUOTED.replace(TOKEN, "[redacted]"),
        QP.replace(TOKEN, "[redacted]"),
        PLAIN,
    ]
    assert stored == [expected, expected]
