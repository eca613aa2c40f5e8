"""What each agent or customer action does to a ticket, as pure functions.

Each function takes the current ticket and returns a `Change`: the new ticket state, the messages
and audit events it creates, and the operation-log payload that records the intent. A store
persists a Change in one transaction; a sync server can replay the payload through the same
functions. Nothing here reads a clock or makes an id on its own: `now` and `make_id` come in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from agentdesk.domain import sla
from agentdesk.domain.errors import InvalidInput
from agentdesk.domain.ids import new_id
from agentdesk.domain.lifecycle import Action, next_status
from agentdesk.domain.model import (
    AuditEvent,
    Channel,
    Complexity,
    Customer,
    CustomerTier,
    LinkKind,
    Message,
    MessageKind,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.scripts import check_ready
from agentdesk.domain.transfers import RuleMove

IdFactory = Callable[[], str]

CSAT_RANGE = range(1, 6)


@dataclass(frozen=True, slots=True)
class Change:
    kind: str
    ticket: Ticket
    payload: dict[str, object]
    messages: tuple[Message, ...] = ()
    audit: tuple[AuditEvent, ...] = ()
    # Set when the change created `ticket` (a new ticket, or the follow-up of a closed one).
    created: bool = False


@dataclass(frozen=True, slots=True)
class NewTicket:
    subject: str
    body: str
    customer_id: str
    department_id: str = "general"
    priority: Priority = Priority.NORMAL
    channel: Channel = Channel.EMAIL
    intent: str = ""
    required_skill: str | None = None
    created_at: datetime | None = None
    id: str | None = None
    message_id: str | None = None
    intent_confidence: float | None = None
    complexity: Complexity = Complexity.STANDARD
    # What intake decided on arrival (domain/intake.py), kept in the ticket's audit trail.
    decisions: tuple[str, ...] = ()
    # The transfer rule that moved the ticket on arrival, if one did.
    moved_by: RuleMove | None = None


def follow_up_for(closed: Ticket, body: str, *, message_id: str | None = None) -> NewTicket:
    """A new ticket for words that arrived after `closed` closed: the same customer and work.

    Closed is terminal, so the words open a ticket of their own, routed like the old one (the
    same intent, skill and complexity need the same people).
    """
    return NewTicket(
        subject=f"Re: {closed.subject}",
        body=body,
        message_id=message_id,
        customer_id=closed.customer_id,
        department_id=closed.department_id,
        priority=closed.priority,
        channel=closed.channel,
        intent=closed.intent,
        required_skill=closed.required_skill,
        complexity=closed.complexity,
    )


def _audit(
    make_id: IdFactory,
    ticket: Ticket,
    actor: str | None,
    kind: str,
    at: datetime,
    /,
    # Positional-only above so a detail may itself be called `kind` (see `link`).
    **detail: object,
) -> AuditEvent:
    return AuditEvent(make_id(), ticket.id, actor, kind, dict(detail), at)


def _bump(ticket: Ticket, now: datetime, **changes: object) -> Ticket:
    return replace(ticket, updated_at=now, version=ticket.version + 1, **changes)  # type: ignore[arg-type]


def _require_text(value: str, field_name: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput(field_name, "must not be empty")
    return text


def create_ticket(
    new: NewTicket,
    *,
    number: int,
    now: datetime,
    policies: sla.SlaRules = None,
    tier: CustomerTier = CustomerTier.STANDARD,
    follow_up_of: str | None = None,
    make_id: IdFactory = new_id,
) -> Change:
    """A new ticket; its SLA due times follow the policy for its priority and `tier`."""
    subject = _require_text(new.subject, "subject")
    body = _require_text(new.body, "body")
    created = new.created_at or now
    first_due, resolution_due = sla.due_times(new.priority, tier, created, policies)
    ticket = Ticket(
        id=new.id or make_id(),
        number=number,
        subject=subject,
        customer_id=new.customer_id,
        department_id=new.department_id,
        status=TicketStatus.NEW,
        priority=new.priority,
        channel=new.channel,
        intent=new.intent,
        intent_confidence=new.intent_confidence,
        complexity=new.complexity,
        created_at=created,
        updated_at=created,
        first_response_due=first_due,
        resolution_due=resolution_due,
        required_skill=new.required_skill,
        follow_up_of=follow_up_of,
    )
    message = Message(new.message_id or make_id(), ticket.id, MessageKind.CUSTOMER, body, created)
    messages = [message]
    audit = [_audit(make_id, ticket, None, "ticket.created", created, number=number)]
    if new.decisions:
        audit.append(
            _audit(make_id, ticket, None, "ticket.routed", created, decisions=list(new.decisions))
        )
    if new.moved_by is not None:
        moved = new.moved_by
        note, event = transfer_record(
            replace(ticket, department_id=moved.source),
            new.department_id,
            moved.note,
            actor_id=None,
            now=created,
            rule=moved.rule,
            make_id=make_id,
        )
        messages.append(note)
        audit.append(event)
    payload: dict[str, object] = {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "number": number,
        "subject": subject,
        "body": body,
        "customer_id": new.customer_id,
        "department_id": new.department_id,
        "priority": new.priority.value,
        "channel": new.channel.value,
        "intent": new.intent,
        "required_skill": new.required_skill,
        "intent_confidence": new.intent_confidence,
        "complexity": new.complexity.value,
        "created_at": created.isoformat(),
        "follow_up_of": follow_up_of,
    }
    if new.decisions:
        payload["decisions"] = list(new.decisions)
    if new.moved_by is not None:
        payload["moved_by"] = {
            "rule": new.moved_by.rule,
            "source": new.moved_by.source,
            "note": new.moved_by.note,
            "message_id": messages[-1].id,
        }
    return Change("ticket.create", ticket, payload, tuple(messages), tuple(audit), created=True)


def assign(
    ticket: Ticket, agent_id: str, *, actor_id: str, now: datetime, make_id: IdFactory = new_id
) -> Change:
    status = next_status(ticket.status, Action.ASSIGN)
    updated = _bump(ticket, now, status=status, assignee_id=agent_id)
    audit = _audit(
        make_id,
        ticket,
        actor_id,
        "ticket.assigned",
        now,
        agent_id=agent_id,
        previous=ticket.assignee_id,
    )
    # The actor tells a sync server whether the agent took the ticket themselves (pull-next):
    # local agent ids are not the server's, so that is how it knows the assignee is the pusher.
    payload = {
        "ticket_id": ticket.id,
        "agent_id": agent_id,
        "actor_id": actor_id,
        "base_version": ticket.version,
    }
    return Change("ticket.assign", updated, payload, (), (audit,))


def _links_added(ticket: Ticket, links: tuple[TicketLink, ...]) -> tuple[TicketLink, ...]:
    seen = {(link.kind, link.ref_id) for link in ticket.links}
    fresh: list[TicketLink] = []
    for candidate in links:
        # Dedupe within `links` too: a reply may offer the same article twice.
        key = (candidate.kind, candidate.ref_id)
        if key not in seen:
            seen.add(key)
            fresh.append(candidate)
    return ticket.links + tuple(fresh)


def _link_payload(links: tuple[TicketLink, ...]) -> list[dict[str, str]]:
    return [{"kind": link.kind.value, "ref_id": link.ref_id, "title": link.title} for link in links]


def reply(
    ticket: Ticket,
    body: str,
    *,
    author_id: str,
    now: datetime,
    internal: bool = False,
    wait_on_customer: bool = False,
    links: tuple[TicketLink, ...] = (),
    make_id: IdFactory = new_id,
) -> Change:
    """A public reply (checked for unfilled script slots) or an internal note."""
    text = _require_text(body, "body")
    if internal:
        status = ticket.status
        if status is TicketStatus.CLOSED:
            next_status(status, Action.AGENT_REPLY)  # raises: closed tickets take no notes
    else:
        check_ready(text)
        action = Action.ASK_CUSTOMER if wait_on_customer else Action.AGENT_REPLY
        status = next_status(ticket.status, action)
    message = Message(
        make_id(),
        ticket.id,
        MessageKind.NOTE if internal else MessageKind.REPLY,
        text,
        now,
        author_id,
    )
    first_response_at = ticket.first_response_at
    if not internal and first_response_at is None:
        first_response_at = now
    assignee = ticket.assignee_id
    if assignee is None and not internal:
        assignee = author_id
    updated = _bump(
        ticket,
        now,
        status=status,
        first_response_at=first_response_at,
        assignee_id=assignee,
        links=_links_added(ticket, links),
    )
    updated = sla.paused_if_waiting(updated, now)  # a reply never ends a wait
    kind = "ticket.note" if internal else "ticket.reply"
    audit = _audit(
        make_id, ticket, author_id, kind, now, message_id=message.id, status=status.value
    )
    payload: dict[str, object] = {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "body": text,
        "internal": internal,
        "wait_on_customer": wait_on_customer,
        "links": _link_payload(links),
        "base_version": ticket.version,
        # A rebase replays the reply (domain/rebase.py): the author may become the assignee.
        "author_id": author_id,
    }
    return Change(kind, updated, payload, (message,), (audit,))


def customer_reply(
    ticket: Ticket,
    body: str,
    *,
    now: datetime,
    confirms_resolution: bool = False,
    follow_up_number: int | None = None,
    policies: sla.SlaRules = None,
    tier: CustomerTier = CustomerTier.STANDARD,
    make_id: IdFactory = new_id,
) -> Change:
    """A message from the customer.

    On an open ticket it is added to the conversation (reopening a pending or awaiting one,
    unless it confirms the resolution, which closes an awaiting ticket). On a closed ticket it
    starts a follow-up ticket linked to the old one: closed is terminal and the words are kept.
    """
    text = _require_text(body, "body")
    if ticket.status is TicketStatus.CLOSED:
        if follow_up_number is None:
            raise InvalidInput(
                "follow_up_number", "needed to reopen a closed ticket as a follow-up"
            )
        follow = create_ticket(
            follow_up_for(ticket, text),
            number=follow_up_number,
            now=now,
            policies=policies,
            tier=tier,
            follow_up_of=ticket.id,
            make_id=make_id,
        )
        payload = dict(follow.payload, follow_up_of=ticket.id)
        return Change(
            "ticket.follow_up",
            follow.ticket,
            payload,
            follow.messages,
            follow.audit,
            created=True,
        )
    confirming = confirms_resolution and ticket.status is TicketStatus.AWAITING_CONFIRMATION
    status = next_status(
        ticket.status, Action.CONFIRM_CLOSE if confirming else Action.CUSTOMER_REPLY
    )
    message = Message(make_id(), ticket.id, MessageKind.CUSTOMER, text, now)
    changes: dict[str, object] = {"status": status}
    if confirming:
        changes["closed_at"] = now
    updated = sla.follow_status(
        _bump(ticket, now, **changes), now=now, calendar=sla.as_policies(policies).calendar
    )
    kind = "ticket.customer_confirmed" if confirming else "ticket.customer_reply"
    audit_events = [
        _audit(make_id, ticket, None, kind, now, message_id=message.id, status=status.value)
    ]
    if ticket.status is TicketStatus.AWAITING_CONFIRMATION and not confirming:
        audit_events.append(
            _audit(make_id, ticket, None, "ticket.reopened", now, reason="customer")
        )
    payload = {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "body": text,
        "confirms_resolution": confirming,
        "base_version": ticket.version,
    }
    return Change(kind, updated, payload, (message,), tuple(audit_events))


def transfer_record(
    ticket: Ticket,
    department_id: str,
    note: str,
    *,
    actor_id: str | None,
    now: datetime,
    rule: str | None = None,
    make_id: IdFactory = new_id,
) -> tuple[Message, AuditEvent]:
    """The note the next agent reads and the audit event of moving `ticket` to a department.

    `rule` names the transfer rule that moved it; a person's transfer has none.
    """
    by = f" by rule '{rule}'" if rule else ""
    message = Message(
        make_id(),
        ticket.id,
        MessageKind.NOTE,
        f"Transferred from {ticket.department_id} to {department_id}{by}: {note}",
        now,
        actor_id,
    )
    detail: dict[str, object] = {
        "source": ticket.department_id,
        "target": department_id,
        "note": note,
    }
    if rule:
        detail["rule"] = rule
    audit = _audit(make_id, ticket, actor_id, "ticket.transferred", now, **detail)
    return message, audit


def transfer(
    ticket: Ticket,
    department_id: str,
    note: str,
    *,
    actor_id: str,
    now: datetime,
    policies: sla.SlaRules = None,
    make_id: IdFactory = new_id,
) -> Change:
    """Move the ticket to another department's queue, unassigned, keeping its SLA clock.

    A waiting ticket becomes open again, so a paused clock resumes (on `policies`' calendar).
    """
    text = _require_text(note, "note")
    if department_id == ticket.department_id:
        raise InvalidInput("department", f"the ticket is already in {department_id}")
    status = next_status(ticket.status, Action.TRANSFER)
    message, audit = transfer_record(
        ticket, department_id, text, actor_id=actor_id, now=now, make_id=make_id
    )
    updated = sla.follow_status(
        _bump(ticket, now, status=status, department_id=department_id, assignee_id=None),
        now=now,
        calendar=sla.as_policies(policies).calendar,
    )
    payload = {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "department_id": department_id,
        "note": text,
        "base_version": ticket.version,
    }
    return Change("ticket.transfer", updated, payload, (message,), (audit,))


def request_confirmation(
    ticket: Ticket,
    resolution: str,
    request_body: str,
    *,
    actor_id: str,
    now: datetime,
    links: tuple[TicketLink, ...] = (),
    make_id: IdFactory = new_id,
) -> Change:
    """Write down the resolution and ask the customer to confirm; the ticket then waits."""
    text = _require_text(resolution, "resolution")
    body = _require_text(request_body, "confirmation request")
    check_ready(body)
    status = next_status(ticket.status, Action.REQUEST_CONFIRMATION)
    message = Message(make_id(), ticket.id, MessageKind.REPLY, body, now, actor_id)
    updated = _bump(
        ticket,
        now,
        status=status,
        resolution=text,
        first_response_at=ticket.first_response_at or now,
        links=_links_added(ticket, links),
    )
    updated = sla.paused_if_waiting(updated, now)
    audit = _audit(
        make_id, ticket, actor_id, "ticket.confirmation_requested", now, message_id=message.id
    )
    payload = {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "resolution": text,
        "body": body,
        "links": _link_payload(links),
        "base_version": ticket.version,
    }
    return Change("ticket.request_confirmation", updated, payload, (message,), (audit,))


def close_confirmed(
    ticket: Ticket,
    resolution: str,
    evidence: str,
    *,
    actor_id: str,
    now: datetime,
    links: tuple[TicketLink, ...] = (),
    csat: int | None = None,
    policies: sla.SlaRules = None,
    make_id: IdFactory = new_id,
) -> Change:
    """Close on the customer's confirmation, recorded as a system message naming the evidence.

    Closing ends the wait too: the paused resolution clock resumes and stops at once, so the
    time the customer took to confirm is not counted against the target.
    """
    text = _require_text(resolution, "resolution")
    proof = _require_text(evidence, "customer confirmation")
    if csat is not None and csat not in CSAT_RANGE:
        raise InvalidInput("csat", "must be 1 to 5")
    status = next_status(ticket.status, Action.CONFIRM_CLOSE)
    message = Message(
        make_id(),
        ticket.id,
        MessageKind.SYSTEM,
        f"Customer confirmed the fix: {proof}",
        now,
        actor_id,
    )
    updated = _bump(
        ticket,
        now,
        status=status,
        resolution=text,
        closed_at=now,
        csat=csat if csat is not None else ticket.csat,
        links=_links_added(ticket, links),
    )
    updated = sla.follow_status(updated, now=now, calendar=sla.as_policies(policies).calendar)
    audit = _audit(
        make_id, ticket, actor_id, "ticket.closed", now, message_id=message.id, csat=csat
    )
    payload = {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "resolution": text,
        "evidence": proof,
        "csat": csat,
        "links": _link_payload(links),
        "base_version": ticket.version,
    }
    return Change("ticket.close", updated, payload, (message,), (audit,))


def record_csat(
    ticket: Ticket, score: int, *, actor_id: str, now: datetime, make_id: IdFactory = new_id
) -> Change:
    if score not in CSAT_RANGE:
        raise InvalidInput("csat", "must be 1 to 5")
    updated = _bump(ticket, now, csat=score)
    audit = _audit(make_id, ticket, actor_id, "ticket.csat", now, score=score)
    payload = {"ticket_id": ticket.id, "csat": score, "base_version": ticket.version}
    return Change("ticket.csat", updated, payload, (), (audit,))


def set_priority(
    ticket: Ticket,
    priority: Priority,
    *,
    actor_id: str,
    now: datetime,
    make_id: IdFactory = new_id,
) -> Change:
    """A lead re-prioritises a ticket: the queue order follows at once.

    The SLA due times stay as they were fixed on arrival: a synced server treats priority as a
    plain field (SYNC.md §4.6) and keeps them too, so both sides agree on every clock.
    """
    if priority is ticket.priority:
        raise InvalidInput("priority", f"is already {priority.value}")
    updated = _bump(ticket, now, priority=priority)
    audit = _audit(
        make_id,
        ticket,
        actor_id,
        "ticket.priority_changed",
        now,
        priority=priority.value,
        previous=ticket.priority.value,
    )
    payload = {"ticket_id": ticket.id, "priority": priority.value, "base_version": ticket.version}
    return Change("ticket.priority", updated, payload, (), (audit,))


def link(
    ticket: Ticket,
    kind: LinkKind,
    ref_id: str,
    title: str,
    *,
    actor_id: str,
    now: datetime,
    make_id: IdFactory = new_id,
) -> Change:
    new_link = TicketLink(kind, ref_id, title)
    updated = _bump(ticket, now, links=_links_added(ticket, (new_link,)))
    audit = _audit(make_id, ticket, actor_id, "ticket.linked", now, kind=kind.value, ref_id=ref_id)
    payload = {
        "ticket_id": ticket.id,
        "links": _link_payload((new_link,)),
        "base_version": ticket.version,
    }
    return Change("ticket.link", updated, payload, (), (audit,))


def customer_display(customer: Customer | None) -> str:
    return customer.name if customer else "unknown customer"
