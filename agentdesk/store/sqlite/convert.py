"""Explicit converters between table rows and domain dataclasses.

Rows come in as mappings (`Row._mapping`) and go out as plain dicts for Core inserts, so the
domain never sees a table class and the tables never see a domain object.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.model import (
    Agent,
    AgentTier,
    AuditEvent,
    Channel,
    Complexity,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    LinkKind,
    Message,
    MessageKind,
    Operation,
    Priority,
    Role,
    Script,
    Ticket,
    TicketLink,
    TicketRow,
    TicketStatus,
)
from agentdesk.domain.reference_sync import article_to_wire, script_to_wire

Row = Mapping[str, Any]


# -- time ------------------------------------------------------------------------------------
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def to_micros(when: datetime) -> int:
    """Microseconds since the epoch: exact, sorts like the datetimes, cheap to write."""
    return (when - EPOCH) // MICROSECOND


def to_micros_or_none(when: datetime | None) -> int | None:
    return None if when is None else to_micros(when)


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def from_micros_or_none(value: int | None) -> datetime | None:
    return None if value is None else from_micros(value)


# -- tickets ---------------------------------------------------------------------------------
def search_text(subject: str, intent: str, customer_name: str) -> str:
    # Exactly what the text filter matches against, lower-cased like the query.
    return " ".join([subject, intent, customer_name]).lower()


def ticket_values(ticket: Ticket, customer_name: str) -> dict[str, Any]:
    due = ticket.first_response_due if ticket.first_response_at is None else ticket.resolution_due
    return {
        "id": ticket.id,
        "number": ticket.number,
        "subject": ticket.subject,
        "customer_id": ticket.customer_id,
        "department_id": ticket.department_id,
        "status": ticket.status.value,
        "priority": ticket.priority.value,
        "priority_rank": ticket.priority.rank,
        "channel": ticket.channel.value,
        "intent": ticket.intent,
        "intent_confidence": ticket.intent_confidence,
        "complexity": ticket.complexity.value,
        "created_at": to_micros(ticket.created_at),
        "updated_at": to_micros(ticket.updated_at),
        "first_response_due": to_micros_or_none(ticket.first_response_due),
        "resolution_due": to_micros_or_none(ticket.resolution_due),
        "first_response_at": to_micros_or_none(ticket.first_response_at),
        # The deadline `routing.pull_order` sorts on, precomputed so SQL can index it.
        "sla_due": to_micros(due or ticket.created_at),
        "sla_paused_at": to_micros_or_none(ticket.sla_paused_at),
        "assignee_id": ticket.assignee_id,
        "required_skill": ticket.required_skill,
        "resolution": ticket.resolution,
        "csat": ticket.csat,
        "closed_at": to_micros_or_none(ticket.closed_at),
        "follow_up_of": ticket.follow_up_of,
        "links": [
            {"kind": link.kind.value, "ref_id": link.ref_id, "title": link.title}
            for link in ticket.links
        ],
        "version": ticket.version,
        "search_text": search_text(ticket.subject, ticket.intent, customer_name),
    }


def ticket_from_row(row: Row) -> Ticket:
    return Ticket(
        id=row["id"],
        number=row["number"],
        subject=row["subject"],
        customer_id=row["customer_id"],
        department_id=row["department_id"],
        status=TicketStatus(row["status"]),
        priority=Priority(row["priority"]),
        channel=Channel(row["channel"]),
        intent=row["intent"],
        intent_confidence=row["intent_confidence"],
        complexity=Complexity(row["complexity"]),
        created_at=from_micros(row["created_at"]),
        updated_at=from_micros(row["updated_at"]),
        first_response_due=from_micros_or_none(row["first_response_due"]),
        resolution_due=from_micros_or_none(row["resolution_due"]),
        first_response_at=from_micros_or_none(row["first_response_at"]),
        sla_paused_at=from_micros_or_none(row["sla_paused_at"]),
        assignee_id=row["assignee_id"],
        required_skill=row["required_skill"],
        resolution=row["resolution"],
        csat=row["csat"],
        closed_at=from_micros_or_none(row["closed_at"]),
        follow_up_of=row["follow_up_of"],
        links=tuple(
            TicketLink(LinkKind(link["kind"]), link["ref_id"], link.get("title", ""))
            for link in row["links"]
        ),
        version=row["version"],
    )


def ticket_row_from_row(row: Row) -> TicketRow:
    """A queue line from a ticket joined with its customer (`customer_name`, `customer_tier`)."""
    tier = row["customer_tier"]
    return TicketRow(
        id=row["id"],
        number=row["number"],
        subject=row["subject"],
        status=TicketStatus(row["status"]),
        priority=Priority(row["priority"]),
        channel=Channel(row["channel"]),
        intent=row["intent"],
        customer_name=row["customer_name"] or "",
        customer_tier=CustomerTier(tier) if tier else CustomerTier.STANDARD,
        department_id=row["department_id"],
        assignee_id=row["assignee_id"],
        created_at=from_micros(row["created_at"]),
        first_response_due=from_micros_or_none(row["first_response_due"]),
        resolution_due=from_micros_or_none(row["resolution_due"]),
        first_response_at=from_micros_or_none(row["first_response_at"]),
        sla_paused_at=from_micros_or_none(row["sla_paused_at"]),
    )


def message_values(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "ticket_id": message.ticket_id,
        "kind": message.kind.value,
        "body": message.body,
        "created_at": to_micros(message.created_at),
        "author_id": message.author_id,
    }


def message_from_row(row: Row) -> Message:
    return Message(
        id=row["id"],
        ticket_id=row["ticket_id"],
        kind=MessageKind(row["kind"]),
        body=row["body"],
        created_at=from_micros(row["created_at"]),
        author_id=row["author_id"],
    )


def audit_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "ticket_id": event.ticket_id,
        "actor_id": event.actor_id,
        "kind": event.kind,
        "detail": event.detail,
        "at": to_micros(event.at),
    }


def audit_from_row(row: Row) -> AuditEvent:
    return AuditEvent(
        id=row["id"],
        ticket_id=row["ticket_id"],
        actor_id=row["actor_id"],
        kind=row["kind"],
        detail=dict(row["detail"]),
        at=from_micros(row["at"]),
    )


# -- reference data --------------------------------------------------------------------------
def department_values(department: Department) -> dict[str, Any]:
    return {"id": department.id, "name": department.name}


def department_from_row(row: Row) -> Department:
    return Department(id=row["id"], name=row["name"])


def agent_values(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "handle": agent.handle,
        "name": agent.name,
        "role": agent.role.value,
        "tier": agent.tier.value,
        "skills": dict(agent.skills),
        "departments": list(agent.departments),
        "capacity": agent.capacity,
        "available": agent.available,
        "languages": list(agent.languages),
    }


def agent_from_row(row: Row) -> Agent:
    return Agent(
        id=row["id"],
        handle=row["handle"],
        name=row["name"],
        role=Role(row["role"]),
        tier=AgentTier(row["tier"]),
        skills=dict(row["skills"]),
        departments=tuple(row["departments"]),
        capacity=row["capacity"],
        available=bool(row["available"]),
        languages=tuple(row["languages"]),
    )


def customer_values(customer: Customer) -> dict[str, Any]:
    return {
        "id": customer.id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "tier": customer.tier.value,
        "language": customer.language,
    }


def customer_from_row(row: Row) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        tier=CustomerTier(row["tier"]),
        language=row["language"],
    )


def article_values(article: KbArticle) -> dict[str, Any]:
    # The columns are the fields the article syncs with, plus its time in microseconds.
    return {**article_to_wire(article), "updated_at": to_micros_or_none(article.updated_at)}


def article_from_row(row: Row) -> KbArticle:
    return KbArticle(
        id=row["id"],
        title=row["title"],
        body=row["body"],
        intent=row["intent"],
        tags=tuple(row["tags"]),
        updated_at=from_micros_or_none(row["updated_at"]),
    )


def script_values(script: Script) -> dict[str, Any]:
    return script_to_wire(script)  # the columns are the fields the script syncs with


def script_from_row(row: Row) -> Script:
    return Script(
        id=row["id"],
        name=row["name"],
        body=row["body"],
        intent=row["intent"],
        steps=tuple(row["steps"]),
        required=tuple(row["required"]),
    )


def operation_from_row(row: Row) -> Operation:
    return Operation(
        op_id=row["op_id"],
        client_id=row["client_id"],
        seq=row["seq"],
        at=from_micros(row["at"]),
        kind=row["kind"],
        payload=dict(row["payload"]),
        hlc=Hlc.from_str(row["hlc"]),
    )
