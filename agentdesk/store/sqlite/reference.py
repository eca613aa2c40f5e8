"""Departments, agents, customers and scripts: reads and bulk upserts (synchronous)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from agentdesk.domain.model import Agent, Customer, Department, Script
from agentdesk.store.errors import Conflict, NotFound
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import Transaction
from agentdesk.store.sqlite.tickets import CHUNK, customer_names

Values = dict[str, Any]


def upsert(connection: Connection, table: Table, rows: Sequence[Values], key: str = "id") -> None:
    """Insert or replace each row by `key`, in one executemany."""
    if not rows:
        return
    statement = sqlite_insert(table)
    columns = [name for name in rows[0] if name != key]
    statement = statement.on_conflict_do_update(
        index_elements=[key], set_={name: statement.excluded[name] for name in columns}
    )
    connection.execute(statement, list(rows))


def _log_upserts(
    tx: Transaction, kind: str, rows: Sequence[Values], payload: Callable[[Values], Values]
) -> None:
    # Reference data carries no domain time; the log still needs one.
    at = datetime.now(UTC)
    tx.log([(kind, payload(row), at) for row in rows])


# -- departments -----------------------------------------------------------------------------
def departments(connection: Connection) -> list[Department]:
    d = tables.departments
    rows = connection.execute(select(d).order_by(d.c.id))
    return [convert.department_from_row(row._mapping) for row in rows]


def add_departments(tx: Transaction, items: Sequence[Department]) -> None:
    rows = [convert.department_values(item) for item in items]
    upsert(tx.connection, tables.departments, rows)
    _log_upserts(tx, "department.upsert", rows, lambda r: {"id": r["id"], "name": r["name"]})


# -- agents ----------------------------------------------------------------------------------
def agents(connection: Connection) -> list[Agent]:
    a = tables.agents
    return [
        convert.agent_from_row(row._mapping)
        for row in connection.execute(select(a).order_by(a.c.handle))
    ]


def add_agents(tx: Transaction, items: Sequence[Agent]) -> None:
    a = tables.agents
    owners: dict[str, str] = {}
    handles = list({item.handle for item in items})
    for start in range(0, len(handles), CHUNK):
        statement = select(a.c.handle, a.c.id).where(a.c.handle.in_(handles[start : start + CHUNK]))
        owners.update({row.handle: row.id for row in tx.connection.execute(statement)})
    for item in items:
        if owners.setdefault(item.handle, item.id) != item.id:
            raise Conflict(f"an agent with handle {item.handle!r} exists")
    rows = [convert.agent_values(item) for item in items]
    upsert(tx.connection, a, rows)
    _log_upserts(tx, "agent.upsert", rows, lambda r: {"id": r["id"], "handle": r["handle"]})


# -- customers -------------------------------------------------------------------------------
def customer(connection: Connection, customer_id: str) -> Customer:
    c = tables.customers
    row = connection.execute(select(c).where(c.c.id == customer_id)).first()
    if row is None:
        raise NotFound(f"no customer {customer_id!r}")
    return convert.customer_from_row(row._mapping)


def add_customers(tx: Transaction, items: Sequence[Customer]) -> None:
    rows = upsert_customers(tx.connection, items)
    _log_upserts(tx, "customer.upsert", rows, lambda r: {"id": r["id"], "name": r["name"]})


def upsert_customers(connection: Connection, items: Sequence[Customer]) -> list[Values]:
    """Insert or replace customers without logging (a pulled page uses this too)."""
    before = customer_names(connection, (item.id for item in items))
    rows = [convert.customer_values(item) for item in items]
    upsert(connection, tables.customers, rows)
    # A renamed customer's tickets must match the new name in the queue's text filter.
    renamed = {item.id: item.name for item in items if before.get(item.id, item.name) != item.name}
    if renamed:
        t = tables.tickets
        statement = (
            update(t)
            .where(t.c.customer_id == bindparam("customer"))
            .values(
                search_text=func.agentdesk_lower(
                    t.c.subject + " " + t.c.intent + " " + bindparam("name")
                )
            )
        )
        connection.execute(
            statement, [{"customer": key, "name": name} for key, name in renamed.items()]
        )
    return rows


# -- scripts ---------------------------------------------------------------------------------
def scripts(connection: Connection) -> list[Script]:
    s = tables.scripts
    rows = connection.execute(select(s).order_by(s.c.name, s.c.id))
    return [convert.script_from_row(row._mapping) for row in rows]


def script(connection: Connection, script_id: str) -> Script:
    s = tables.scripts
    row = connection.execute(select(s).where(s.c.id == script_id)).first()
    if row is None:
        raise NotFound(f"no script {script_id!r}")
    return convert.script_from_row(row._mapping)


def add_scripts(tx: Transaction, items: Sequence[Script]) -> None:
    rows = [convert.script_values(item) for item in items]
    upsert(tx.connection, tables.scripts, rows)
    _log_upserts(tx, "script.upsert", rows, lambda r: {"id": r["id"], "name": r["name"]})
