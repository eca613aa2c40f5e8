"""SQLModel table classes of the SQLite store: private to it, mapped by `convert`.

They live in their own registry (not `SQLModel.metadata`) so they never clash with the team
server's models. Migrations create the same schema; a test compares the two.

Times are INTEGER microseconds since 1970-01-01 UTC: exact, compact in the indexes and several
times cheaper to write than text (`datetime(x / 1e6, 'unixepoch')` shows one). Tickets carry
three denormalised columns that keep the queue fast: `priority_rank`, `sla_due` (the deadline
`routing.pull_order` sorts on) and `search_text` (lower-cased subject, intent and customer name).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from agentdesk.store.sqlite.direct import ACTIVE_WHERE

# Named constraints let later migrations alter tables with Alembic's batch mode on SQLite.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_registry = registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))

QUEUE_ORDER = ("priority_rank", "sla_due", "created_at", "number")
# The tickets pull-next chooses from, and the tickets that count towards an agent's load
# (`routing.PULLABLE_STATUSES`, `routing.LOAD_STATUSES`). Queries must repeat these terms word
# for word for SQLite to use the partial indexes below.
PULLABLE_WHERE = "assignee_id IS NULL AND status IN ('new', 'open')"
LOAD_WHERE = "assignee_id IS NOT NULL AND status IN ('new', 'open')"
# What a metrics refresh reads of a ticket (`sqlite.metrics`), so two covering indexes serve it
# without touching the wide rows: tickets active since a moment (`updated_at` is bumped by every
# change, so no event of a ticket is later than it), and tickets not closed yet, whose clocks
# may lapse however long ago they last changed.
METRIC_COLUMNS = (
    "updated_at",
    "closed_at",
    "department_id",
    "assignee_id",
    "created_at",
    "first_response_at",
    "first_response_due",
    "resolution_due",
    "sla_paused_at",
    "csat",
    "agent_messages",
    "reopens",
    "follow_ups",
    "handle_micros",
)
UNRESOLVED_WHERE = "closed_at IS NULL"
# What the lead's queue board reads of each active ticket (`sqlite.metrics.queue_clocks`): a
# covering index over the few thousand tickets not closed, instead of a scan of every row.
CLOCK_COLUMNS = (
    "department_id",
    "customer_id",
    "priority",
    "sla_paused_at",
    "first_response_at",
    "first_response_due",
    "resolution_due",
    "status",  # so the index alone answers `ACTIVE_WHERE`
)


class _Table(SQLModel, registry=_registry):
    pass


def _json(nullable: bool = False) -> Any:
    return Field(sa_column=Column(JSON, nullable=nullable))


class DepartmentRow(_Table, table=True):
    __tablename__ = "departments"

    id: str = Field(primary_key=True)
    name: str


class AgentRow(_Table, table=True):
    __tablename__ = "agents"

    id: str = Field(primary_key=True)
    handle: str = Field(unique=True)
    name: str
    role: str
    tier: str
    skills: dict[str, int] = _json()
    departments: list[str] = _json()
    capacity: int
    available: bool
    languages: list[str] = _json()


class CustomerRow(_Table, table=True):
    __tablename__ = "customers"

    id: str = Field(primary_key=True)
    name: str
    email: str
    phone: str
    tier: str
    language: str


class TicketRecord(_Table, table=True):
    __tablename__ = "tickets"
    __table_args__ = (
        # The queue order, then every column a queue filters on, so a window is found from
        # the index alone: no table lookups for the rows an OFFSET skips or a filter rejects.
        Index(
            "ix_tickets_queue",
            *QUEUE_ORDER,
            "status",
            "department_id",
            "assignee_id",
            "search_text",
        ),
        # "Mine" and claim_next (`assignee_id IS NULL`), already in queue order.
        Index("ix_tickets_assignee", "assignee_id", *QUEUE_ORDER, "status"),
        Index("ix_tickets_department", "department_id", *QUEUE_ORDER, "status", "assignee_id"),
        Index("ix_tickets_customer", "customer_id", "created_at", "number"),
        # Pull-next: the queue order within each bucket of work (department, skill,
        # complexity); only tickets waiting in a queue, so claimed ones leave it.
        Index(
            "ix_tickets_routing",
            "department_id",
            "required_skill",
            "complexity",
            *QUEUE_ORDER,
            sqlite_where=text(PULLABLE_WHERE),
        ),
        Index("ix_tickets_load", "assignee_id", sqlite_where=text(LOAD_WHERE)),
        Index("ix_tickets_activity", *METRIC_COLUMNS),
        Index("ix_tickets_unresolved", *METRIC_COLUMNS, sqlite_where=text(UNRESOLVED_WHERE)),
        Index("ix_tickets_clocks", *CLOCK_COLUMNS, sqlite_where=text(ACTIVE_WHERE)),
    )

    id: str = Field(primary_key=True)
    number: int = Field(unique=True)
    subject: str
    customer_id: str = Field(foreign_key="customers.id")
    department_id: str
    status: str
    priority: str
    priority_rank: int
    channel: str
    intent: str
    intent_confidence: float | None = None
    complexity: str = "standard"
    created_at: int
    updated_at: int
    first_response_due: int | None = None
    resolution_due: int | None = None
    first_response_at: int | None = None
    sla_due: int
    sla_paused_at: int | None = None
    assignee_id: str | None = None
    required_skill: str | None = None
    resolution: str
    csat: int | None = None
    closed_at: int | None = None
    follow_up_of: str | None = Field(default=None, foreign_key="tickets.id")
    links: list[dict[str, str]] = _json()
    version: int
    search_text: str
    # Work counts for the metrics, kept by triggers (migration 0006) rather than by the write
    # paths, so every way a row arrives counts (local actions, pulled pages, imports): public
    # agent messages, `ticket.reopened` events, follow-up tickets and screen time. No converter
    # writes them, so an update from a Ticket leaves them as they are.
    agent_messages: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    reopens: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    follow_ups: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    handle_micros: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class MessageRow(_Table, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_ticket", "ticket_id", "created_at", "id"),)

    id: str = Field(primary_key=True)
    ticket_id: str = Field(foreign_key="tickets.id")
    kind: str
    body: str
    created_at: int
    author_id: str | None = None


class AuditRow(_Table, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_ticket", "ticket_id", "position"),)

    # Insertion order: events of one change share a timestamp, so time alone cannot order them.
    position: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    ticket_id: str | None = Field(default=None, foreign_key="tickets.id")
    actor_id: str | None = None
    kind: str
    detail: dict[str, Any] = _json()
    at: int


class ArticleRow(_Table, table=True):
    __tablename__ = "kb_articles"

    # Integer key the FTS5 index (`kb_fts`, external content) points at.
    pk: int | None = Field(default=None, primary_key=True)
    id: str = Field(unique=True)
    title: str
    body: str
    intent: str
    tags: list[str] = _json()
    updated_at: int | None = None


class ScriptRow(_Table, table=True):
    __tablename__ = "scripts"

    id: str = Field(primary_key=True)
    name: str
    body: str
    intent: str
    steps: list[str] = _json()
    required: list[str] = _json()


class PulledRulesRow(_Table, table=True):
    """The server's latest rule document of each name (`reference_sync.RuleDocument`)."""

    __tablename__ = "pulled_rules"

    name: str = Field(primary_key=True)
    document: dict[str, Any] = _json()
    version: int


class CaseReviewRow(_Table, table=True):
    """A lead's quality review of a closed ticket (`domain.reviews`): one per ticket and lead."""

    __tablename__ = "case_reviews"
    __table_args__ = (
        UniqueConstraint("ticket_id", "reviewer_id"),
        # An agent's "My reviews", latest first.
        Index("ix_case_reviews_agent", "agent_id", "updated_at"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: str = Field(primary_key=True)
    ticket_id: str = Field(foreign_key="tickets.id")
    agent_id: str
    reviewer_id: str
    score: int
    comment: str
    created_at: int
    updated_at: int


# The outbox's two lists, kept small by partial indexes: what to push next, and what the agent
# must look at. Queries repeat these terms word for word.
PENDING_WHERE = "state = 'pending'"
CONFLICT_WHERE = "state = 'rejected' AND dismissed_at IS NULL"


class OperationRow(_Table, table=True):
    """The operation log, which is also the outbox (SYNC.md §4.2): one row per logged op."""

    __tablename__ = "operations"
    __table_args__ = (
        Index("ix_operations_pending", "seq", sqlite_where=text(PENDING_WHERE)),
        Index("ix_operations_conflicts", "seq", sqlite_where=text(CONFLICT_WHERE)),
    )

    op_id: str = Field(primary_key=True)
    client_id: str
    seq: int = Field(unique=True)
    at: int
    kind: str
    payload: dict[str, Any] = _json()
    # `Hlc.to_str()`: fixed-width hex, so text order is clock order and no bit is lost.
    hlc: str
    state: str  # outbox.DeliveryState
    attempts: int
    last_error: str | None = None  # the last transport failure while pending
    server_seq: int | None = None
    outcome: str | None = None  # sync_rules.OutcomeKind, once the server answered
    reason: str | None = None  # why it was rejected
    resolved_at: int | None = None  # when the answer was recorded
    dismissed_at: int | None = None  # a rejection the agent has seen and put away


class SyncMetaRow(_Table, table=True):
    __tablename__ = "sync_meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(primary_key=True)
    client_id: str
    last_seq: int
    hlc_last: str  # the clock after the last logged op
    cursor: int  # the last server_seq applied locally
    server_epoch: str | None = None
    last_sync_at: int | None = None
    # A fresh download from the server's log is under way (`Store.begin_resync`); a round that
    # finds it set starts that download over.
    resyncing: bool = False


class HeldClaimRow(_Table, table=True):
    """A claim this workstation's agent holds on the server (`domain.held_claims`)."""

    __tablename__ = "held_claims"

    ticket_id: str = Field(primary_key=True)
    epoch: int
    kind: str  # held_claims.ClaimKind
    lease_expires_at: int
    taken: bool
    lost_at: int | None = None


class CounterRow(_Table, table=True):
    __tablename__ = "counters"

    name: str = Field(primary_key=True)
    value: int


class ScreenSessionRow(_Table, table=True):
    """A stretch of time a ticket was open on an agent's screen (`metrics.ScreenSession`)."""

    __tablename__ = "screen_sessions"
    __table_args__ = (Index("ix_screen_sessions_ticket", "ticket_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: str = Field(foreign_key="tickets.id")
    agent_id: str
    started_at: int
    ended_at: int


metadata: MetaData = _registry.metadata


def table(model: type[SQLModel]) -> Table:
    """The Core table behind a model (queries use Core: it is several times faster in bulk)."""
    found = model.__table__  # type: ignore[attr-defined]
    assert isinstance(found, Table)
    return found


departments = table(DepartmentRow)
agents = table(AgentRow)
customers = table(CustomerRow)
tickets = table(TicketRecord)
messages = table(MessageRow)
audit_events = table(AuditRow)
kb_articles = table(ArticleRow)
scripts = table(ScriptRow)
operations = table(OperationRow)
sync_meta = table(SyncMetaRow)
counters = table(CounterRow)
screen_sessions = table(ScreenSessionRow)
case_reviews = table(CaseReviewRow)
held_claims = table(HeldClaimRow)
pulled_rules = table(PulledRulesRow)
