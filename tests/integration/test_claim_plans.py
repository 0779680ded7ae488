"""On PostgreSQL the claim, and every other statement that takes a list of IDs, reaches its
messages by their IDs, whatever plan the server uses.

A prepared statement may run on a generic plan from its sixth run on, planned without the
values. With statistics taken while the queue was quiet, the claim's generic plan (when it
also tested that each message was still due) read the due messages through ``ix_outbox_due``
and compared each with the whole list of IDs: a claim took 7 ms of the server's time, then
35 ms (docs/benchmarks.md)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Update, text
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

from gatehouse.db.base import utcnow
from gatehouse.mail.dispatcher import _SENT_UPDATE, REQUEUE
from gatehouse.mail.models import OutboxMessage
from gatehouse.mail.worker import _TAKE_LOCKED, RENEW, _candidates, _lease_expired, _queued_due
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from tests.support.delivery import DeliverySetup, queue
from tests.support.smtp_servers import Pki

QUEUED_MESSAGES = 600
CLAIMED = 500
BACKLOG = 3000  # due at once: more than a batch
RUNS = 6  # a generic plan may be used from the sixth run of a prepared statement on


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [node for child in plan.get("Plans", []) for node in _nodes(child)]


def _literal(value: Any) -> str:
    """``value`` as SQL (EXECUTE takes its arguments as expressions; ours are IDs, names,
    numbers and times)."""
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return f"'{value.isoformat()}'::timestamptz"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _bound(statement: Update, values: dict[str, Any]) -> Any:
    """``statement`` with ``values`` in its bind parameters, so a list is spread out into one
    parameter per item, as the driver gets it."""

    def bind(element: Any) -> Any:
        if isinstance(element, BindParameter) and element.key in values:
            return element._with_value(values[element.key], maintain_key=True, required=False)
        return None

    return visitors.replacement_traverse(statement, {}, bind)


async def _plans(runtime: Runtime, statement: Update, values: dict[str, Any]) -> list[Any]:
    """EXPLAIN ANALYZE of ``statement`` prepared and run RUNS times on one of the runtime's
    connections; rolled back."""
    compiled = _bound(statement, values).compile(
        dialect=runtime.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = compiled.construct_params()
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
    """Filters testing rows against a list of parameters (``= ANY (ARRAY[$5, $6, ...])``, a
    generic plan's): not hashed, one comparison per item for every row. A list of constants (a
    plan made for the values) is hashed."""
    filters = [node.get(key, "") for node in _nodes(plan) for key in ("Filter", "Join Filter")]
    return [condition for condition in filters if "ANY" in condition and "$" in condition]


@pytest.mark.postgres
async def test_statements_on_lists_of_ids_never_compare_each_row_with_the_whole_list(
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
            _TAKE_LOCKED,
            {
                "b_ids": ids[:CLAIMED],
                "b_now": now + timedelta(seconds=1),
                "b_owner": "plan-test",
                "b_until": now + timedelta(minutes=5),
            },
        )
        by_owner = {"b_ids": ids[:CLAIMED], "b_owner": "x"}
        others = [
            *await _plans(runtime, _SENT_UPDATE, {**by_owner, "b_now": now}),
            *await _plans(runtime, RENEW, {**by_owner, "b_now": now, "b_until": now}),
            *await _plans(runtime, REQUEUE, by_owner),
        ]
    finally:
        await setup.close()
    assert claims[0]["Actual Rows"] == CLAIMED  # the first run took every listed message
    plans = claims + others
    assert [_parameter_lists_tested_per_row(plan) for plan in plans] == [[]] * 4 * RUNS


@pytest.mark.postgres
async def test_a_claim_reads_its_batch_not_every_due_message(
    own_postgres: tuple[Settings, str], pki: Pki
) -> None:
    """With more due than a batch, the claim's candidates come in order from ``ix_outbox_due``
    and the scan stops at the batch (it read and sorted every due message when one statement
    took queued ones and expired leases together)."""
    settings, _ = own_postgres
    setup = DeliverySetup(settings, pki)
    try:
        runtime = await setup.runtime("smtp://127.0.0.1:1")
        for start in range(0, BACKLOG, 1000):
            await queue(runtime, *(f"u{n}@acme.test" for n in range(start, start + 1000)))
        async with runtime.engine.begin() as connection:
            await connection.execute(text("ANALYZE outbox_messages"))
        later = utcnow() + timedelta(seconds=1)
        statements = [
            _candidates([_lease_expired(later)], OutboxMessage.lease_until, CLAIMED, lock=True),
            _candidates([_queued_due(later)], OutboxMessage.next_attempt_at, CLAIMED, lock=True),
        ]
        plans = []
        async with runtime.engine.connect() as connection:
            for statement in statements:
                compiled = statement.compile(
                    dialect=runtime.engine.dialect, compile_kwargs={"literal_binds": True}
                )
                explained = await connection.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}"
                )
                plan = explained.scalar_one()
                plans.append((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
            await connection.rollback()
    finally:
        await setup.close()
    expired, queued = plans
    assert expired["Actual Rows"] == 0 and queued["Actual Rows"] == CLAIMED
    scans = [node for node in _nodes(queued) if "Relation Name" in node]
    assert [node["Actual Rows"] for node in scans] == [CLAIMED]  # not BACKLOG
