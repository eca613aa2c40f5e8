"""Pull-next and push mode in SQL: a bounded set of candidates, ranked by the domain.

Scoring every open ticket would cost tens of milliseconds on 100,000 of them, so pull-next
reads candidates from the partial index `ix_tickets_routing` (tickets waiting in a queue, in
queue order within each department, skill and complexity):

- only groups of work the agent may do at all: the departments and kinds of work
  (`routing.Eligibility`, which the server's claim-next filters by too), found by hopping
  through the index;
- per group and priority, the first `PER_BUCKET` tickets by SLA deadline, then age, that the
  customer rules (VIP, language) let the agent take;
- groups best first by `routing.score_ceiling`, the most any of their tickets could score;
  once that is below the best score found, the groups left cannot hold the winner.

Within a group and priority the score falls as the deadline and the arrival move later, so
its best ticket is its first whenever a later deadline also means a later arrival (true for
tickets created under one SLA policy); the few more read per group cover tickets whose clock
moved (answered, then sent back to a queue). `routing.pick` ranks what was read, so both
backends apply one rule; the contract suite checks they agree.

Everything here runs on the store's thread, on the raw sqlite3 connection, inside the write
transaction (BEGIN IMMEDIATE) of the claim: nobody can take the winner in between.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from agentdesk.domain import routing
from agentdesk.domain.model import (
    PRIORITY_ORDER,
    Agent,
    Complexity,
    CustomerTier,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.route_explain import RouteMode, assign_routed, explain
from agentdesk.domain.routing import (
    AgentLoad,
    Eligibility,
    RoutingPolicy,
    TicketFacts,
    score_ceiling,
    work_key,
)
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import tickets
from agentdesk.store.sqlite.convert import agent_from_row, from_micros, from_micros_or_none
from agentdesk.store.sqlite.database import Transaction
from agentdesk.store.sqlite.direct import AGENT_JSON_COLUMNS
from agentdesk.store.sqlite.tables import LOAD_WHERE, PULLABLE_WHERE

PULL, PUSH = RouteMode.PULL, RouteMode.PUSH

# Candidates read per bucket (department, skill, complexity) and priority.
PER_BUCKET = 3
PUSH_TURN_PREFIX = "push_turn:"

# The plans are fixed: each of these queries is only fast on its partial index (and SQLite
# refuses to run it rather than fall back to a slow plan if the index could not be used).
_BY_BUCKET = "tickets INDEXED BY ix_tickets_routing"
_BY_LOAD = "tickets INDEXED BY ix_tickets_load"
_PULLABLE = f"tickets.{PULLABLE_WHERE.replace(' AND ', ' AND tickets.')}"
_FACT_COLUMNS = (
    "tickets.id, tickets.number, tickets.department_id, tickets.status, tickets.priority, "
    "tickets.complexity, tickets.required_skill, tickets.created_at, "
    "tickets.first_response_due, tickets.resolution_due, tickets.first_response_at, "
    "tickets.assignee_id, tickets.version, customers.tier, customers.language"
)


# -- load --------------------------------------------------------------------------------------
def active_load(connection: sqlite3.Connection, agent_id: str) -> int:
    row = connection.execute(
        f"SELECT count(*) FROM {_BY_LOAD} WHERE {LOAD_WHERE} AND assignee_id = ?", (agent_id,)
    ).fetchone()
    return int(row[0])


def active_loads(connection: sqlite3.Connection) -> dict[str, int]:
    rows = connection.execute(
        f"SELECT assignee_id, count(*) FROM {_BY_LOAD} WHERE {LOAD_WHERE} GROUP BY assignee_id"
    )
    return {agent_id: count for agent_id, count in rows}


# -- buckets -----------------------------------------------------------------------------------
def _next_value(
    connection: sqlite3.Connection, column: str, fixed: dict[str, object], after: str | None
) -> str | None:
    """The smallest non-null `column` above `after` among queued tickets with `fixed` values."""
    terms = [PULLABLE_WHERE, *(f"{name} IS ?" for name in fixed)]
    parameters = list(fixed.values())
    terms.append(f"{column} > ?" if after is not None else f"{column} IS NOT NULL")
    if after is not None:
        parameters.append(after)
    sql = f"SELECT {column} FROM {_BY_BUCKET} WHERE {' AND '.join(terms)} ORDER BY {column} LIMIT 1"
    row = connection.execute(sql, parameters).fetchone()
    return None if row is None else str(row[0])


def _values(connection: sqlite3.Connection, column: str, fixed: dict[str, object]) -> Iterator[str]:
    """The distinct non-null values of `column`, one index lookup each (a loose index scan)."""
    value = _next_value(connection, column, fixed, None)
    while value is not None:
        yield value
        value = _next_value(connection, column, fixed, value)


def _has_null(connection: sqlite3.Connection, column: str, fixed: dict[str, object]) -> bool:
    terms = [PULLABLE_WHERE, *(f"{name} IS ?" for name in fixed), f"{column} IS NULL"]
    sql = f"SELECT 1 FROM {_BY_BUCKET} WHERE {' AND '.join(terms)} LIMIT 1"
    return connection.execute(sql, list(fixed.values())).fetchone() is not None


def buckets(
    connection: sqlite3.Connection, agent: Agent, policy: RoutingPolicy
) -> list[tuple[str, str | None, Complexity]]:
    """The (department, skill, complexity) buckets holding queued work the agent may do."""
    eligibility = Eligibility.of(agent, policy)
    departments = eligibility.departments or tuple(_values(connection, "department_id", {}))
    found: list[tuple[str, str | None, Complexity]] = []
    for department in departments:
        in_department = {"department_id": department}
        skills: list[str | None] = [
            skill
            for skill in _values(connection, "required_skill", in_department)
            if skill in agent.skills
        ]
        if _has_null(connection, "required_skill", in_department):
            skills.insert(0, None)
        for skill in skills:
            for complexity in Complexity:
                if work_key(skill, complexity) in eligibility.work:
                    found.append((department, skill, complexity))
    return found


# -- candidates --------------------------------------------------------------------------------
def _candidate_sql(agent: Agent, policy: RoutingPolicy) -> tuple[str, list[object]]:
    """One bucket's and priority's first tickets the customer rules let the agent take."""
    terms = [
        _PULLABLE,
        "tickets.department_id = ?",
        "tickets.required_skill IS ?",
        "tickets.complexity = ?",
        "tickets.priority_rank = ?",
    ]
    # The customer rules of `Eligibility.admits`, as the server's claim-next has them too.
    eligibility = Eligibility.of(agent, policy)
    extra: list[object] = []
    if not eligibility.vip:
        terms.append("(customers.tier IS NULL OR customers.tier != ?)")
        extra.append(CustomerTier.VIP.value)
    if eligibility.languages:
        spoken = ", ".join("?" for _ in eligibility.languages)
        terms.append(
            f"(customers.language IS NULL OR customers.language = '' "
            f"OR customers.language IN ({spoken}))"
        )
        extra.extend(eligibility.languages)
    sql = (
        f"SELECT {_FACT_COLUMNS} FROM {_BY_BUCKET} "
        # LEFT JOIN keeps tickets the outer loop: the index walk, in queue order.
        "LEFT JOIN customers ON customers.id = tickets.customer_id "
        f"WHERE {' AND '.join(terms)} "
        "ORDER BY tickets.sla_due, tickets.created_at, tickets.number LIMIT ?"
    )
    return sql, extra


def _facts(row: Any) -> TicketFacts:
    (
        ticket_id,
        number,
        department_id,
        status,
        priority,
        complexity,
        required_skill,
        created_at,
        first_response_due,
        resolution_due,
        first_response_at,
        assignee_id,
        version,
        tier,
        language,
    ) = row
    running = first_response_due if first_response_at is None else resolution_due
    return TicketFacts(
        id=ticket_id,
        number=number,
        department_id=department_id,
        status=TicketStatus(status),
        priority=Priority(priority),
        complexity=Complexity(complexity),
        required_skill=required_skill,
        created_at=from_micros(created_at),
        due=from_micros_or_none(running),
        assignee_id=assignee_id,
        customer_tier=CustomerTier(tier) if tier else CustomerTier.STANDARD,
        customer_language=language or "",
        version=version,
    )


def candidates(
    connection: sqlite3.Connection, agent: Agent, now: datetime, policy: RoutingPolicy
) -> Iterator[TicketFacts]:
    """The tickets pull-next ranks for the agent (see the module docstring), read lazily.

    Groups are read best first by the most a ticket in them could score; once that ceiling
    is below the best score found, no ticket in the groups left can win, so they are skipped.
    """
    sql, extra = _candidate_sql(agent, policy)
    groups = sorted(
        (
            (
                -score_ceiling(agent, skill, complexity, priority, policy),
                priority.rank,
                department,
                skill or "",
                complexity.value,
            )
            for department, skill, complexity in buckets(connection, agent, policy)
            for priority in PRIORITY_ORDER
        ),
    )
    best: float | None = None
    for negative_ceiling, rank, department, skill, complexity in groups:
        if best is not None and -negative_ceiling < best:
            return
        parameters = [department, skill or None, complexity, rank, *extra, PER_BUCKET]
        for row in connection.execute(sql, parameters).fetchall():
            facts = _facts(row)
            if routing.can_take(facts, agent, policy):
                found = routing.score(facts, agent, now, policy)
                best = found if best is None else max(best, found)
            yield facts


def facts_of(connection: sqlite3.Connection, ticket_id: str) -> TicketFacts | None:
    row = connection.execute(
        f"SELECT {_FACT_COLUMNS} FROM tickets "
        "LEFT JOIN customers ON customers.id = tickets.customer_id WHERE tickets.id = ?",
        (ticket_id,),
    ).fetchone()
    return None if row is None else _facts(row)


# -- claiming ---------------------------------------------------------------------------------
def raw_connection(connection: Connection) -> sqlite3.Connection:
    """The sqlite3 connection under SQLAlchemy's: the same transaction, without the overhead."""
    found = connection.connection.dbapi_connection
    assert isinstance(found, sqlite3.Connection)
    return found


def claim(tx: Transaction, agent: Agent, now: datetime, policy: RoutingPolicy) -> Ticket | None:
    """Assign the agent the ticket `routing.pick` ranks first among the candidates.

    The caller's BEGIN IMMEDIATE holds the write lock from the first read to the update, so
    two processes can never both take one ticket; `persist` still compares the version.
    """
    connection = raw_connection(tx.connection)
    return _assign_best(tx, candidates(connection, agent, now, policy), agent, now, policy)


def claim_among(
    tx: Transaction, agent: Agent, now: datetime, policy: RoutingPolicy, ticket_ids: list[str]
) -> Ticket | None:
    """`claim`, choosing only among `ticket_ids` (the agent's reservations, in sync mode)."""
    connection = raw_connection(tx.connection)
    found = (facts_of(connection, ticket_id) for ticket_id in ticket_ids)
    return _assign_best(tx, [f for f in found if f is not None], agent, now, policy)


def _assign_best(
    tx: Transaction,
    queue: Iterable[TicketFacts],
    agent: Agent,
    now: datetime,
    policy: RoutingPolicy,
) -> Ticket | None:
    connection = raw_connection(tx.connection)
    load = active_load(connection, agent.id)
    chosen = routing.pick(queue, agent, load, now, policy)
    if chosen is None:
        return None
    explanation = explain(chosen.facts, agent, load=load, now=now, policy=policy, mode=PULL)
    change = assign_routed(tickets.load(tx.connection, chosen.facts.id), explanation, now=now)
    tickets.persist(tx, change)
    return change.ticket


def auto_assign(
    tx: Transaction, ticket_id: str, now: datetime, policy: RoutingPolicy
) -> Ticket | None:
    connection = raw_connection(tx.connection)
    facts = facts_of(connection, ticket_id)
    if facts is None:
        raise NotFound(f"no ticket {ticket_id!r}")
    if not routing.is_pullable(facts):
        return None
    loads = active_loads(connection)
    staff = [AgentLoad(agent, loads.get(agent.id, 0)) for agent in _agents(connection)]
    turns = push_turns(connection)
    choice = routing.choose_agent(facts, staff, policy, turns)
    if choice is None:
        return None
    explanation = explain(facts, choice.agent, load=choice.load, now=now, policy=policy, mode=PUSH)
    change = assign_routed(tickets.load(tx.connection, ticket_id), explanation, now=now)
    tickets.persist(tx, change)
    save_push_turns(connection, choice.turns)
    return change.ticket


def _agents(connection: sqlite3.Connection) -> list[Agent]:
    cursor = connection.execute("SELECT * FROM agents ORDER BY handle")
    names = [column[0] for column in cursor.description]
    found: list[Agent] = []
    for row in cursor.fetchall():
        values = dict(zip(names, row, strict=True))
        for name in AGENT_JSON_COLUMNS:
            values[name] = json.loads(values[name])
        found.append(agent_from_row(values))
    return found


# -- push mode's turns -------------------------------------------------------------------------
def push_turns(connection: sqlite3.Connection) -> dict[str, int]:
    rows = connection.execute(
        "SELECT name, value FROM counters WHERE name >= ? AND name < ?",
        (PUSH_TURN_PREFIX, PUSH_TURN_PREFIX[:-1] + chr(ord(PUSH_TURN_PREFIX[-1]) + 1)),
    )
    return {name[len(PUSH_TURN_PREFIX) :]: value for name, value in rows}


def save_push_turns(connection: sqlite3.Connection, turns: Mapping[str, int]) -> None:
    connection.executemany(
        "INSERT INTO counters (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [(PUSH_TURN_PREFIX + agent_id, turn) for agent_id, turn in turns.items()],
    )
