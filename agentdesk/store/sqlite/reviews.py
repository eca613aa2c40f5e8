"""Case reviews and skill certification in SQLite (synchronous, on the store's thread)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select, update

from agentdesk.domain.model import Agent
from agentdesk.domain.reviews import (
    SKILL_AUDIT,
    CaseReview,
    Certification,
    ReviewChange,
    ReviewRow,
    SkillChange,
    skill_change_of,
)
from agentdesk.store.base import CertificationBuilder, ReviewBuilder
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import Transaction, bulk_insert
from agentdesk.store.sqlite.tickets import load as load_ticket

R = tables.case_reviews


def _review_from_row(row: Mapping[str, Any]) -> CaseReview:
    return CaseReview(
        id=row["id"],
        ticket_id=row["ticket_id"],
        agent_id=row["agent_id"],
        reviewer_id=row["reviewer_id"],
        score=row["score"],
        comment=row["comment"],
        created_at=convert.from_micros(row["created_at"]),
        updated_at=convert.from_micros(row["updated_at"]),
    )


def _review_values(review: CaseReview) -> dict[str, Any]:
    return {
        "id": review.id,
        "ticket_id": review.ticket_id,
        "agent_id": review.agent_id,
        "reviewer_id": review.reviewer_id,
        "score": review.score,
        "comment": review.comment,
        "created_at": convert.to_micros(review.created_at),
        "updated_at": convert.to_micros(review.updated_at),
    }


def _agent(connection: Connection, agent_id: str) -> Agent:
    a = tables.agents
    row = connection.execute(select(a).where(a.c.id == agent_id)).first()
    if row is None:
        raise NotFound(f"no agent {agent_id!r}")
    return convert.agent_from_row(row._mapping)


def write_review(
    tx: Transaction, ticket_id: str, reviewer_id: str, build: ReviewBuilder
) -> ReviewChange:
    connection = tx.connection
    ticket = load_ticket(connection, ticket_id)
    reviewer = _agent(connection, reviewer_id)
    found = connection.execute(
        select(R).where(R.c.ticket_id == ticket_id, R.c.reviewer_id == reviewer_id)
    ).first()
    existing = None if found is None else _review_from_row(found._mapping)
    change = build(ticket, reviewer, existing)
    values = _review_values(change.review)
    if existing is None:
        connection.execute(R.insert().values(values))
    else:
        connection.execute(update(R).where(R.c.id == existing.id).values(values))
    bulk_insert(connection, tables.audit_events, [convert.audit_values(change.audit)])
    tx.log([(change.kind, change.payload, change.review.updated_at)])
    return change


def write_certification(
    tx: Transaction, agent_id: str, actor_id: str, build: CertificationBuilder
) -> Certification:
    connection = tx.connection
    certification = build(_agent(connection, agent_id), _agent(connection, actor_id))
    a = tables.agents
    connection.execute(
        update(a).where(a.c.id == agent_id).values(skills=dict(certification.agent.skills))
    )
    bulk_insert(connection, tables.audit_events, [convert.audit_values(certification.audit)])
    tx.log([(certification.kind, certification.payload, certification.change.at)])
    return certification


def ticket_reviews(connection: Connection, ticket_id: str) -> list[CaseReview]:
    statement = select(R).where(R.c.ticket_id == ticket_id).order_by(R.c.created_at, R.c.id)
    return [_review_from_row(row._mapping) for row in connection.execute(statement)]


def agent_reviews(connection: Connection, agent_id: str, limit: int) -> list[ReviewRow]:
    t = tables.tickets
    statement = (
        select(R, t.c.number.label("ticket_number"), t.c.subject.label("ticket_subject"))
        .join(t, t.c.id == R.c.ticket_id)
        .where(R.c.agent_id == agent_id)
        .order_by(R.c.updated_at.desc(), R.c.id.desc())
        .limit(max(limit, 0))
    )
    return [
        ReviewRow(_review_from_row(row._mapping), row.ticket_number, row.ticket_subject)
        for row in connection.execute(statement)
    ]


def skill_changes(connection: Connection, agent_id: str) -> list[SkillChange]:
    a = tables.audit_events
    # Certification events carry no ticket, so the ticket index finds them among few others.
    statement = (
        select(a)
        .where(
            a.c.ticket_id.is_(None),
            a.c.kind == SKILL_AUDIT,
            func.json_extract(a.c.detail, "$.agent_id") == agent_id,
        )
        .order_by(a.c.position)
    )
    changes = (
        skill_change_of(convert.audit_from_row(row._mapping))
        for row in connection.execute(statement)
    )
    return [change for change in changes if change is not None]
