"""Pulled change records (SYNC.md §4.5) as domain values a store applies in one transaction.

The server's records carry tickets and messages as JSON; this module turns one page of them into
`RemotePage`, naming the first bad field on malformed input. Reference data (scripts, articles,
departments, customers) is read by `reference_sync`. A `tombstone` (an admin deleted the
ticket) names a ticket the store drops: delete wins, so the page forgets that ticket's earlier
state and messages. Kinds this client does not apply yet (`remove`, audit events, rules) or does
not know (from a newer server) are counted and named in `skipped_kinds`, not silently taken for
applied; the cursor still moves past them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agentdesk.domain.model import (
    Channel,
    Complexity,
    LinkKind,
    Message,
    MessageKind,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.reference_sync import (
    APPLIED_KINDS,
    NO_REFERENCE_UPDATES,
    RecordKind,
    ReferenceCollector,
    ReferenceUpdates,
)


class BadRecord(ValueError):
    """A change record this client cannot read; the message names the seq and the field."""


@dataclass(frozen=True, slots=True)
class RemotePage:
    """The latest state of each ticket in the page, its new messages, and the cursor after it."""

    after: int  # the cursor this page continues
    tickets: tuple[Ticket, ...]
    messages: tuple[Message, ...]
    cursor: int
    server_epoch: str | None = None
    skipped: int = 0  # records of kinds not applied yet
    reference: ReferenceUpdates = NO_REFERENCE_UPDATES
    skipped_kinds: tuple[str, ...] = ()  # the kinds of the skipped records, each once
    # The server's clock when it answered: the client's HLC ratchets to it.
    server_time: datetime | None = None
    # Tickets an admin deleted: the store drops them (and anything hanging off them).
    deleted: tuple[str, ...] = ()


def page_from_wire(
    records: Sequence[Mapping[str, Any]],
    *,
    cursor: int,
    epoch: str | None,
    server_time: str | None = None,
) -> RemotePage:
    """`records` in server_seq order, which must continue `cursor` with no gap."""
    tickets: dict[str, Ticket] = {}
    messages: list[Message] = []
    skipped = 0
    skipped_kinds: dict[str, None] = {}
    deleted: dict[str, None] = {}
    reference = ReferenceCollector()
    expected = cursor + 1
    for record in records:
        seq = record.get("server_seq")
        if seq != expected:
            raise BadRecord(f"change records skip from {expected - 1} to {seq}")
        expected += 1
        payload = record.get("payload")
        if not isinstance(payload, Mapping):
            raise BadRecord(f"change {seq}: payload must be an object")
        try:
            if record.get("kind") == "ticket_state":
                ticket = ticket_from_wire(payload)
                tickets[ticket.id] = ticket  # the latest state in the page wins
            elif record.get("kind") == "event" and isinstance(payload.get("message"), Mapping):
                messages.append(message_from_wire(payload["message"]))
            elif record.get("kind") == "tombstone":
                gone = str(payload["ticket_id"])
                deleted[gone] = None
                tickets.pop(gone, None)
            elif record.get("kind") in APPLIED_KINDS:
                reference.add(RecordKind(record["kind"]), payload)
            else:
                skipped += 1
                skipped_kinds[str(record.get("kind"))] = None
        except (KeyError, TypeError, ValueError) as error:
            raise BadRecord(f"change {seq}: {error!s}") from None
    messages = [message for message in messages if message.ticket_id not in deleted]
    try:
        seen = None if server_time is None else datetime.fromisoformat(server_time)
    except (TypeError, ValueError):
        raise BadRecord(f"unreadable server_time {server_time!r}") from None
    return RemotePage(
        cursor,
        tuple(tickets.values()),
        tuple(messages),
        expected - 1,
        epoch,
        skipped,
        reference.build(),
        tuple(skipped_kinds),
        seen,
        tuple(deleted),
    )


def _when(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _required_when(value: Any) -> datetime:
    return datetime.fromisoformat(value)


def ticket_from_wire(data: Mapping[str, Any]) -> Ticket:
    return Ticket(
        id=str(data["id"]),
        number=int(data["number"]),
        subject=str(data["subject"]),
        customer_id=str(data["customer_id"]),
        department_id=str(data["department_id"]),
        status=TicketStatus(data["status"]),
        priority=Priority(data["priority"]),
        channel=Channel(data["channel"]),
        intent=str(data.get("intent") or ""),
        created_at=_required_when(data["created_at"]),
        updated_at=_required_when(data["updated_at"]),
        intent_confidence=data.get("intent_confidence"),
        complexity=Complexity(data.get("complexity", Complexity.STANDARD.value)),
        first_response_due=_when(data.get("first_response_due")),
        resolution_due=_when(data.get("resolution_due")),
        first_response_at=_when(data.get("first_response_at")),
        sla_paused_at=_when(data.get("sla_paused_at")),
        assignee_id=data.get("assignee_id"),
        required_skill=data.get("required_skill"),
        resolution=str(data.get("resolution") or ""),
        csat=data.get("csat"),
        closed_at=_when(data.get("closed_at")),
        follow_up_of=data.get("follow_up_of"),
        links=tuple(
            TicketLink(LinkKind(link["kind"]), str(link["ref_id"]), str(link.get("title", "")))
            for link in data.get("links") or ()
        ),
        version=int(data["version"]),
    )


def message_from_wire(data: Mapping[str, Any]) -> Message:
    return Message(
        id=str(data["id"]),
        ticket_id=str(data["ticket_id"]),
        kind=MessageKind(data["kind"]),
        body=str(data["body"]),
        created_at=_required_when(data["created_at"]),
        author_id=data.get("author_id"),
    )
