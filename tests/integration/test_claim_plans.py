"""On PostgreSQL the worker's statements are planned for the values at hand, so a list of IDs
is hashed where rows are tested against it.

A prepared statement may run on a generic plan from its sixth run on, planned without the
values. With statistics taken while the queue was quiet, the claim's generic plan read the due
messages through ``ix_outbox_due`` and compared each with the whole list of IDs: a claim took
7 ms of the server's time, then 35 ms (docs/benchmarks.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Update, text

from gatehouse.db.base import utcnow
from gatehouse.mail.dispatcher import _SENT_UPDATE
from gatehouse.mail.worker import _TAKE
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from tests.support.delivery import DeliverySetup, queue
from tests.support.smtp_servers import Pki

QUEUED_MESSAGES = 600
CLAIMED = 500
RUNS = 6  # a generic plan may be used from the sixth run of a prepared statement on


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [node for child in plan.get("Plans", []) for node in _nodes(child)]


def _literal(value: Any) -> str:
    """``value`` as SQL (EXECUTE takes its arguments as expressions; ours are IDs, names,
    numbers and times)."""
    if value is None:
        return "NULL"
    if isinstance(value, list):
        return "ARRAY[" + ", ".join(map(_literal, value)) + "]::varchar[]"
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


async def _plans(runtime: Runtime, statement: Update, values: dict[str, Any]) -> list[Any]:
    """EXPLAIN ANALYZE of ``statement`` prepared and run RUNS times on one of the runtime's
    connections, as its sessions plan it; rolled back."""
    compiled = statement.compile(dialect=runtime.engine.dialect)
    params = compiled.construct_params(values)
    args = ", ".join(_literal(params[name]) for name in compiled.positiontup or ())
    plans = []
    async with runtime.engine.connect() as connection:
        await connection.exec_driver_sql(f"PREPARE planned AS {compiled.string}")
        for _ in range(RUNS):
            explained = await connection.exec_driver_sql(
                f"EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE planned({args})"
            )
            plan = explained.scalar_one()
            plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
        await connection.rollback()
        await connection.exec_driver_sql("DEALLOCATE planned")
    return plans


def _parameter_lists_tested_per_row(plan: dict[str, Any]) -> list[str]:
    """Filters testing rows against a list given as a parameter (``= ANY ($5)``): not hashed,
    one comparison per item for every row. A list of constants (a plan made for the values)
    is hashed."""
    filters = [node.get(key, "") for node in _nodes(plan) for key in ("Filter", "Join Filter")]
    return [condition for condition in filters if "ANY" in condition and "$" in condition]


@pytest.mark.postgres
async def test_claim_and_sent_update_are_planned_for_their_ids(
    own_postgres: tuple[Settings, str], pki: Pki
) -> None:
    settings, _ = own_postgres
    setup = DeliverySetup(settings, pki)
    try:
        runtime = await setup.runtime("smtp://127.0.0.1:1")
        async with runtime.engine.connect() as connection:  # statistics of a quiet queue
            await connection.execute(text("ANALYZE outbox_messages"))
        ids = await queue(runtime, *(f"u{n}@acme.test" for n in range(QUEUED_MESSAGES)))
        now = utcnow()
        claims = await _plans(
            runtime,
            _TAKE[True],
            {
                "b_ids": ids[:CLAIMED],
                "b_now": now + timedelta(seconds=1),
                "b_owner": "plan-test",
                "b_until": now + timedelta(minutes=5),
            },
        )
        sent = await _plans(
            runtime, _SENT_UPDATE[True], {"b_ids": ids[:CLAIMED], "b_owner": "x", "b_now": now}
        )
    finally:
        await setup.close()
    assert claims[0]["Actual Rows"] == CLAIMED  # the first run took every listed message
    assert [_parameter_lists_tested_per_row(plan) for plan in claims + sent] == [[]] * 2 * RUNS


@pytest.mark.postgres
async def test_every_postgres_session_plans_for_its_values(
    own_postgres: tuple[Settings, str],
) -> None:
    """Even a connection whose first transaction was rolled back (a SET is undone with it)."""
    settings, _ = own_postgres
    runtime = build_runtime(settings)
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await connection.rollback()
        async with runtime.engine.connect() as connection:
            mode = (await connection.execute(text("SHOW plan_cache_mode"))).scalar_one()
    finally:
        await runtime.close()
    assert mode == "force_custom_plan"
