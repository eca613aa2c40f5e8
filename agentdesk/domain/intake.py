"""Where a ticket goes: classify it on arrival, route it by intent, let transfer rules move it.

`route_arrival` enriches a new ticket before it is stored: the intent (a classifier's guess,
unless the ticket came with one), its confidence, and the department, skill, complexity and
priority of the intent's route. A guess below the policy's confidence floor, an out-of-scope
request, or an intent without a route goes to the triage department instead: a person sorts
it out rather than a specialist receiving the wrong work. Then the first matching transfer
rule may move it on, with its note. Each step is written down as a decision for the audit
trail.

`reclassify` is the same thinking applied later, when a person corrects a ticket's intent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from agentdesk.domain.actions import Change, IdFactory, NewTicket, transfer_record
from agentdesk.domain.errors import IllegalTransition, InvalidInput
from agentdesk.domain.ids import new_id
from agentdesk.domain.lifecycle import Action, next_status
from agentdesk.domain.model import (
    PRIORITY_ORDER,
    AuditEvent,
    CustomerTier,
    Message,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.routing import IntentRoute, RoutingPolicy
from agentdesk.domain.transfers import RuleMove, TicketFacts, TransferRule, match_rule


class Guess(Protocol):
    """A classifier's answer (agentdesk.intents' IntentPrediction is one)."""

    @property
    def intent(self) -> str: ...

    @property
    def confidence(self) -> float: ...

    @property
    def in_scope(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class IntentGuess:
    intent: str
    confidence: float
    in_scope: bool = True


@dataclass(frozen=True, slots=True)
class Arrival:
    """A new ticket and what its source already decided, which intake then leaves alone.

    An import row naming its department was routed by whoever wrote it: it keeps its
    department and required skill, and no transfer rule moves it. A row naming its priority
    keeps that priority over the route's.
    """

    ticket: NewTicket
    department_given: bool = False
    priority_given: bool = False


@dataclass(frozen=True, slots=True)
class Routed:
    """The ticket to store (its `decisions` filled in) and why it goes where it goes."""

    ticket: NewTicket
    decisions: tuple[str, ...]


def ticket_text(subject: str, body: str) -> str:
    """What a classifier reads and keyword rules search: the subject and first message."""
    return f"{subject}\n{body}"


def more_urgent(first: Priority, second: Priority) -> Priority:
    return PRIORITY_ORDER[min(first.rank, second.rank)]


def usable_rules(
    rules: Sequence[TransferRule], departments: Collection[str] | None
) -> list[TransferRule]:
    """The rules whose department exists (all of them when the departments are not known)."""
    if departments is None:
        return list(rules)
    return [rule for rule in rules if rule.department in departments]


def _confidence(value: float) -> str:
    return f"{value:.2f}"


def route_arrival(
    arrival: Arrival | NewTicket,
    *,
    guess: Guess | None,
    customer_tier: CustomerTier | None,
    policy: RoutingPolicy,
    rules: Sequence[TransferRule] = (),
    departments: Collection[str] | None = None,
) -> Routed:
    """Classify (when the ticket has no intent), route, and apply the first matching rule.

    `guess` is the classifier's answer for this ticket, or None without a classifier.
    `departments`, when given, are the ones that exist: a route or rule naming another is
    skipped, and without a triage department a ticket stays where its source put it.
    """
    if isinstance(arrival, NewTicket):
        arrival = Arrival(arrival)
    new = arrival.ticket
    decisions: list[str] = []
    intent, confidence = new.intent, new.intent_confidence
    in_scope = True
    if intent:
        decisions.append(f"intent {intent} given")
    elif guess is not None:
        intent, confidence, in_scope = guess.intent, guess.confidence, guess.in_scope
        decisions.append(f"classified as {intent} ({_confidence(confidence)})")
    else:
        decisions.append("not classified (no intent model)")
    changes: dict[str, object] = {"intent": intent, "intent_confidence": confidence}
    route = policy.route_for(intent) if intent else None
    if arrival.department_given:
        decisions.append(f"department {new.department_id} given")
        if route is not None:
            changes.update(_route_needs(route, arrival))
        return Routed(_with(new, changes, decisions), tuple(decisions))

    department = _route_department(route, intent, confidence, in_scope, policy, decisions)
    if department is not None and departments is not None and department not in departments:
        decisions.append(f"no department {department!r} → {policy.triage_department}")
        department = None
    if department is not None and route is not None:
        changes.update(_route_needs(route, arrival), required_skill=route.skill)
    else:
        department = policy.triage_department
        # Anyone in triage may take it; what it needs is decided there.
        changes["required_skill"] = None
        if departments is not None and department not in departments:
            decisions.append(f"no {department!r} department; stays in {new.department_id}")
            department = new.department_id
            changes["required_skill"] = new.required_skill
    changes["department_id"] = department

    facts = TicketFacts(intent, ticket_text(new.subject, new.body), new.channel, customer_tier)
    rule = match_rule(usable_rules(rules, departments), facts)
    if rule is not None:
        if rule.department == department:
            decisions.append(f"rule '{rule.name}' matched; already in {department}")
        else:
            decisions.append(f"rule '{rule.name}' → {rule.department}")
            changes["moved_by"] = RuleMove(rule.name, department, rule.note)
            changes["department_id"] = rule.department
    return Routed(_with(new, changes, decisions), tuple(decisions))


def _route_department(
    route: IntentRoute | None,
    intent: str,
    confidence: float | None,
    in_scope: bool,
    policy: RoutingPolicy,
    decisions: list[str],
) -> str | None:
    """The route's department, or None (with the reason written down) for triage."""
    triage = policy.triage_department
    if not intent:
        decisions.append(f"no intent → {triage}")
    elif not in_scope:
        decisions.append(f"out of scope → {triage}")
    elif confidence is not None and confidence < policy.min_confidence:
        floor = _confidence(policy.min_confidence)
        decisions.append(f"low confidence ({_confidence(confidence)} < {floor}) → {triage}")
    elif route is None:
        decisions.append(f"no route for {intent} → {triage}")
    else:
        decisions.append(f"route {intent} → {route.department}")
        return route.department
    return None


def _route_needs(route: IntentRoute, arrival: Arrival) -> dict[str, object]:
    needs: dict[str, object] = {"complexity": route.complexity}
    if not arrival.priority_given:
        needs["priority"] = route.priority
    return needs


def _with(new: NewTicket, changes: dict[str, object], decisions: list[str]) -> NewTicket:
    return replace(new, decisions=tuple(decisions), **changes)  # type: ignore[arg-type]


# -- a person corrects the intent -------------------------------------------------------------
def reclassify(
    ticket: Ticket,
    intent: str,
    *,
    actor_id: str,
    now: datetime,
    policy: RoutingPolicy,
    rules: Sequence[TransferRule] = (),
    first_message: str = "",
    customer_tier: CustomerTier | None = None,
    departments: Collection[str] | None = None,
    make_id: IdFactory = new_id,
) -> Change:
    """Set the intent a person chose, take what its route says, and let the rules move it.

    The route gives skill and complexity. Priority only ever rises to the route's: a ticket
    someone made urgent stays urgent. A ticket in triage leaves for its route's department
    (sorting tickets out is what triage is for); elsewhere the department changes only when
    a transfer rule says so. A move is a transfer: the ticket is unassigned and the next
    agent gets a note (the rule's). The SLA due times are never touched. Closed tickets keep
    the intent they were closed with.
    """
    name = intent.strip()
    if not name:
        raise InvalidInput("intent", "must not be empty")
    if ticket.status is TicketStatus.CLOSED:
        raise IllegalTransition(ticket.status.value, "reclassify")
    if name == ticket.intent:
        raise InvalidInput("intent", f"the ticket is already classified as {name}")
    route = policy.route_for(name)
    changes: dict[str, object] = {"intent": name, "intent_confidence": None}
    if route is not None:
        changes.update(
            required_skill=route.skill,
            complexity=route.complexity,
            priority=more_urgent(ticket.priority, route.priority),
        )
    facts = TicketFacts(
        name, ticket_text(ticket.subject, first_message), ticket.channel, customer_tier
    )
    rule = match_rule(usable_rules(rules, departments), facts)
    move = _reclassified_move(ticket, name, route, policy, rule, departments)
    detail: dict[str, object] = {"previous": ticket.intent, "intent": name}
    audit = [AuditEvent(make_id(), ticket.id, actor_id, "ticket.reclassified", detail, now)]
    messages: tuple[Message, ...] = ()
    if move is not None:
        target, note, rule = move
        changes.update(
            status=next_status(ticket.status, Action.TRANSFER),
            department_id=target,
            assignee_id=None,
        )
        message, event = transfer_record(
            ticket, target, note, actor_id=actor_id, now=now, rule=rule, make_id=make_id
        )
        messages = (message,)
        audit.append(event)
    updated = replace(ticket, updated_at=now, version=ticket.version + 1, **changes)  # type: ignore[arg-type]
    payload: dict[str, object] = {
        "ticket_id": ticket.id,
        "intent": name,
        "department_id": updated.department_id,
        "required_skill": updated.required_skill,
        "complexity": updated.complexity.value,
        "priority": updated.priority.value,
        "rule": move[2] if move else None,
        "message_id": messages[0].id if messages else None,
        "base_version": ticket.version,
    }
    return Change("ticket.reclassify", updated, payload, messages, tuple(audit))


def _reclassified_move(
    ticket: Ticket,
    intent: str,
    route: IntentRoute | None,
    policy: RoutingPolicy,
    rule: TransferRule | None,
    departments: Collection[str] | None,
) -> tuple[str, str, str | None] | None:
    """(department, note, rule name) when the reclassified ticket moves, else None."""
    if rule is not None:
        return (
            None
            if rule.department == ticket.department_id
            else (rule.department, rule.note, rule.name)
        )
    if route is None or ticket.department_id != policy.triage_department:
        return None
    if departments is not None and route.department not in departments:
        return None
    note = f"Classified as {intent}; routed to {route.department}."
    return route.department, note, None
