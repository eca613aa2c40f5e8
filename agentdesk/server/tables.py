"""The server's schema. Alembic revisions in `migrations/` create it; this module describes it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out; SQLite keeps no offset, so it is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the server database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

agents = Table(
    "agents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("handle", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("skills", JSON, nullable=False),
    Column("departments", JSON, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("available", Boolean, nullable=False),
    Column("languages", JSON, nullable=False),
    # sha256 of the API token; the token itself is shown once and never stored.
    Column("token_hash", String(64), nullable=False, unique=True),
)

departments = Table(
    "departments",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320), nullable=False),
    Column("phone", String(64), nullable=False),
    Column("tier", String(16), nullable=False),
    Column("language", String(16), nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("number", Integer, nullable=False, unique=True),
    Column("subject", Text, nullable=False),
    Column("customer_id", String(64), ForeignKey("customers.id"), nullable=False),
    Column("department_id", String(64), ForeignKey("departments.id"), nullable=False),
    Column("status", String(32), nullable=False),
    Column("priority", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("intent", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("intent_confidence", Float),
    Column("complexity", String(16), nullable=False),
    Column("first_response_due", UtcDateTime),
    Column("resolution_due", UtcDateTime),
    Column("first_response_at", UtcDateTime),
    Column("sla_paused_at", UtcDateTime),
    Column("assignee_id", String(64), ForeignKey("agents.id")),
    Column("required_skill", String(200)),
    Column("resolution", Text, nullable=False),
    Column("csat", Integer),
    Column("closed_at", UtcDateTime),
    Column("follow_up_of", String(64)),
    Column("links", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    # field -> [hlc, site_id] of the write the field holds: the LWW registers' clocks (§4.6).
    Column("field_clocks", JSON, nullable=False, server_default=text("'{}'")),
)

messages = Table(
    "messages",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("ticket_id", String(64), ForeignKey("tickets.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("author_id", String(64)),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("ticket_id", String(64), index=True),
    Column("actor_id", String(64)),
    Column("kind", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Column("at", UtcDateTime, nullable=False),
)

# Narrow and hot: the tickets waiting for an owner, in the order claim-next hands them out.
routing_queue = Table(
    "routing_queue",
    metadata,
    Column("ticket_id", String(64), ForeignKey("tickets.id"), primary_key=True),
    Column("department_id", String(64), nullable=False),
    Column("priority_rank", Integer, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    # What claim-next filters by (domain.routing.Eligibility): the ticket's kind of work
    # (`work_key`), whether its customer is a VIP, and the customer's language ('' unknown).
    Column("work", String(280), nullable=False, server_default=text("''")),
    Column("vip", Boolean, nullable=False, server_default=text("false")),
    Column("language", String(16), nullable=False, server_default=text("''")),
)
# claim-next's order: priority, VIP customers ahead of others of the same priority, deadline.
Index(
    "ix_routing_queue_claim_order",
    routing_queue.c.priority_rank,
    routing_queue.c.vip.desc(),
    routing_queue.c.due_at,
    routing_queue.c.ticket_id,
)
# The same order within each kind of work: PostgreSQL's claim-next reads the head of each kind
# the agent may do (server migration 0007), never walking past work they may not take.
Index(
    "ix_routing_queue_work_order",
    routing_queue.c.work,
    routing_queue.c.priority_rank,
    routing_queue.c.vip.desc(),
    routing_queue.c.due_at,
    routing_queue.c.ticket_id,
)

# The primary key makes one owner per ticket a database rule. A released claim keeps its row
# (owner and lease cleared) so the epoch only ever grows: an old holder stays fenced out.
ticket_claims = Table(
    "ticket_claims",
    metadata,
    Column("ticket_id", String(64), ForeignKey("tickets.id"), primary_key=True),
    Column("owner_agent_id", String(64), ForeignKey("agents.id")),
    Column("epoch", BigInteger, nullable=False),
    Column("lease_expires_at", UtcDateTime, index=True),
    # "online" (claim-next, assign: a short lease kept alive by sync rounds) or "reservation"
    # (held for an agent to pull next while offline: a lease as long as a shift).
    Column("kind", String(16), nullable=False, server_default=text("'online'")),
    # Whom a lead last revoked the claim from: their reservations pass the ticket by.
    Column("revoked_agent_id", String(64)),
)

# One row. Allocating server_seq by updating it serialises writers, so seq order is commit order.
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("lineage", String(64), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

change_log = Table(
    "change_log",
    metadata,
    Column("server_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("ticket_id", String(64), index=True),
    Column("payload", JSON, nullable=False),
    # The last seq of the transaction that wrote this row: a page never ends inside one.
    Column("tx_last_seq", BigInteger, nullable=False),
)

sync_clients = Table(
    "sync_clients",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("agent_id", String(64), ForeignKey("agents.id"), nullable=False),
    Column("max_applied_seq", BigInteger, nullable=False),
)

op_results = Table(
    "op_results",
    metadata,
    Column("op_id", String(64), primary_key=True),
    Column("client_id", String(64), ForeignKey("sync_clients.client_id"), nullable=False),
    Column("client_seq", BigInteger, nullable=False),
    Column("outcome", JSON, nullable=False),
    Column("server_seq", BigInteger),
    Index("ux_op_results_client_seq", "client_id", "client_seq", unique=True),
)

# -- shared reference data (one change record per write: see reference.py) --------------------
scripts = Table(
    "scripts",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("intent", String(200), nullable=False),
    Column("steps", JSON, nullable=False),
    Column("required", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64)),
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("intent", String(200), nullable=False),
    Column("tags", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64)),
)

# Transfer rules and the routing table, each one document in its config-file shape.
rule_documents = Table(
    "rule_documents",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("document", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("updated_by", String(64)),
)

# Tickets an admin deleted (the rows are gone): a late op on one is refused as `deleted`, never
# taken for an unknown ticket, and a create cannot bring it back.
ticket_tombstones = Table(
    "ticket_tombstones",
    metadata,
    Column("ticket_id", String(64), primary_key=True),
    Column("number", Integer, nullable=False),
    Column("deleted_at", UtcDateTime, nullable=False),
    Column("deleted_by", String(64)),
)
