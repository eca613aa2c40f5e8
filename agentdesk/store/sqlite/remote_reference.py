"""Shared reference data on a desk: pulled rows applied, and a lead's single edits logged.

Pulled rows (SYNC.md §4.5) replace the local ones and log nothing; articles land in `kb_fts`
through the table's triggers, so the KB search finds them at once. An edit of one script or
article is logged with the whole row, which is what the server needs to apply it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection, select

from agentdesk.domain.model import Agent, KbArticle, Script
from agentdesk.domain.reference_sync import (
    ReferenceUpdates,
    RuleDocument,
    article_to_wire,
    script_to_wire,
)
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import Transaction
from agentdesk.store.sqlite.reference import upsert, upsert_customers


def apply_reference(tx: Transaction, updates: ReferenceUpdates) -> None:
    """Upsert the page's departments, customers, scripts, articles, agents and rule documents
    (before its tickets)."""
    connection = tx.connection
    upsert(
        connection,
        tables.departments,
        [convert.department_values(item) for item in updates.departments],
    )
    upsert_customers(connection, updates.customers)
    upsert(connection, tables.scripts, [convert.script_values(item) for item in updates.scripts])
    upsert(
        connection, tables.kb_articles, [convert.article_values(item) for item in updates.articles]
    )
    _upsert_agents(connection, updates.agents)
    upsert(
        connection,
        tables.pulled_rules,
        [
            {"name": item.name, "document": dict(item.document), "version": item.version}
            for item in updates.rules
        ],
        key="name",
    )


def _upsert_agents(connection: Connection, agents: Sequence[Agent]) -> None:
    """The server's agents into the roster by handle: one the desk has keeps its local id."""
    if not agents:
        return
    a = tables.agents
    handles = [agent.handle for agent in agents]
    local = dict(
        connection.execute(select(a.c.handle, a.c.id).where(a.c.handle.in_(handles))).all()
    )
    rows = [
        convert.agent_values(replace(agent, id=local.get(agent.handle, agent.id)))
        for agent in agents
    ]
    upsert(connection, a, rows)


def pulled_rules(connection: Connection) -> list[RuleDocument]:
    rows = connection.execute(select(tables.pulled_rules).order_by(tables.pulled_rules.c.name))
    return [RuleDocument(row.name, row.document, row.version) for row in rows]


def edit_script(tx: Transaction, script: Script, now: datetime) -> None:
    upsert(tx.connection, tables.scripts, [convert.script_values(script)])
    tx.log([("script.edit", script_to_wire(script), now)])


def edit_article(tx: Transaction, article: KbArticle, now: datetime) -> None:
    upsert(tx.connection, tables.kb_articles, [convert.article_values(article)])
    tx.log([("kb.edit", article_to_wire(article), now)])
