"""Intake: classify, route by intent or send to triage, let the first matching rule move it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.actions import NewTicket, assign, create_ticket
from agentdesk.domain.errors import IllegalTransition, InvalidInput
from agentdesk.domain.intake import (
    Arrival,
    IntentGuess,
    Routed,
    more_urgent,
    reclassify,
    route_arrival,
)
from agentdesk.domain.model import (
    Channel,
    Complexity,
    CustomerTier,
    MessageKind,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.routing import IntentRoute, RoutingPolicy
from agentdesk.domain.transfers import RuleMove, TransferRule

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
POLICY = RoutingPolicy(
    {
        "get_refund": IntentRoute("billing", "refunds", Complexity.COMPLEX, Priority.HIGH),
        "track_order": IntentRoute("logistics", "delivery", Complexity.SIMPLE, Priority.LOW),
    },
    min_confidence=0.6,
)
DEPARTMENTS = {"general", "billing", "logistics", "risk", "triage"}
FRAUD = TransferRule("refund-fraud", "risk", "Check the payment history.", keywords=("fraud",))
VIP_PHONE = TransferRule(
    "vip-phone",
    "billing",
    "VIP on the phone.",
    channels=frozenset({Channel.PHONE}),
    customer_tiers=frozenset({CustomerTier.VIP}),
)
NEW = NewTicket("Money back", "The kettle broke. I want a refund.", "cu-ada", id="t-1")


def arrive(
    new: NewTicket | Arrival = NEW,
    guess: IntentGuess | None = None,
    *,
    rules: tuple[TransferRule, ...] = (),
    tier: CustomerTier | None = CustomerTier.STANDARD,
    departments: set[str] | None = DEPARTMENTS,
) -> Routed:
    return route_arrival(
        new, guess=guess, customer_tier=tier, policy=POLICY, rules=rules, departments=departments
    )


# -- arrival ----------------------------------------------------------------------------------
def test_a_confident_guess_takes_its_intents_route() -> None:
    routed = arrive(guess=IntentGuess("get_refund", 0.93))
    ticket = routed.ticket
    assert (ticket.intent, ticket.intent_confidence) == ("get_refund", 0.93)
    assert (ticket.department_id, ticket.required_skill) == ("billing", "refunds")
    assert (ticket.complexity, ticket.priority) == (Complexity.COMPLEX, Priority.HIGH)
    assert routed.decisions == ("classified as get_refund (0.93)", "route get_refund → billing")
    assert ticket.decisions == routed.decisions
    assert ticket.moved_by is None


@pytest.mark.parametrize(
    ("guess", "reason"),
    [
        (IntentGuess("get_refund", 0.41), "low confidence (0.41 < 0.60) → triage"),
        (IntentGuess("get_refund", 0.99, in_scope=False), "out of scope → triage"),
        (IntentGuess("order_pizza", 0.99), "no route for order_pizza → triage"),
        (None, "no intent → triage"),
    ],
)
def test_unsure_out_of_scope_or_unrouted_tickets_go_to_triage(
    guess: IntentGuess | None, reason: str
) -> None:
    routed = arrive(replace(NEW, required_skill="refunds"), guess)
    ticket = routed.ticket
    assert ticket.department_id == "triage"
    assert ticket.required_skill is None  # anyone in triage may take it
    assert (ticket.priority, ticket.complexity) == (Priority.NORMAL, Complexity.STANDARD)
    assert reason in routed.decisions
    if guess is not None:
        # The guess is kept for the person triaging it.
        assert (ticket.intent, ticket.intent_confidence) == (guess.intent, guess.confidence)


def test_confidence_exactly_at_the_floor_is_enough() -> None:
    assert arrive(guess=IntentGuess("get_refund", 0.6)).ticket.department_id == "billing"


def test_a_given_intent_is_not_reclassified_but_still_routed() -> None:
    given_intent = replace(NEW, intent="track_order")
    routed = arrive(given_intent, IntentGuess("get_refund", 0.99))
    assert routed.ticket.intent == "track_order"
    assert routed.ticket.intent_confidence is None
    assert routed.ticket.department_id == "logistics"
    assert routed.decisions[0] == "intent track_order given"


def test_a_given_intent_with_a_low_confidence_goes_to_triage() -> None:
    new = replace(NEW, intent="get_refund", intent_confidence=0.2)
    assert arrive(new).ticket.department_id == "triage"


def test_the_first_matching_rule_moves_the_ticket_with_its_note() -> None:
    routed = arrive(guess=IntentGuess("get_refund", 0.9), rules=(FRAUD, VIP_PHONE))
    assert routed.ticket.department_id == "billing"  # no fraud, not a VIP phone call
    fraud = replace(NEW, body="I think this is fraud.")
    routed = arrive(fraud, IntentGuess("get_refund", 0.9), rules=(FRAUD,))
    ticket = routed.ticket
    assert ticket.department_id == "risk"
    assert ticket.moved_by == RuleMove("refund-fraud", "billing", "Check the payment history.")
    assert ticket.required_skill == "refunds"  # a rule moves, like a person's transfer
    assert routed.decisions[-1] == "rule 'refund-fraud' → risk"


def test_rules_apply_to_triaged_tickets_and_see_channel_and_tier() -> None:
    phone = replace(NEW, channel=Channel.PHONE)
    routed = arrive(phone, None, rules=(VIP_PHONE,), tier=CustomerTier.VIP)
    assert routed.ticket.department_id == "billing"
    assert routed.ticket.moved_by == RuleMove("vip-phone", "triage", "VIP on the phone.")
    assert arrive(phone, None, rules=(VIP_PHONE,)).ticket.department_id == "triage"
    assert arrive(phone, None, rules=(VIP_PHONE,), tier=None).ticket.department_id == "triage"


def test_a_rule_for_the_department_it_is_already_in_moves_nothing() -> None:
    to_billing = TransferRule("refunds", "billing", "n", intents=frozenset({"get_refund"}))
    routed = arrive(guess=IntentGuess("get_refund", 0.9), rules=(to_billing, FRAUD))
    assert routed.ticket.moved_by is None
    assert routed.decisions[-1] == "rule 'refunds' matched; already in billing"


def test_rules_for_unknown_departments_are_skipped() -> None:
    nowhere = replace(FRAUD, name="nowhere", department="fraud-desk")
    fraud = replace(NEW, body="fraud!")
    routed = arrive(fraud, IntentGuess("get_refund", 0.9), rules=(nowhere, FRAUD))
    assert routed.ticket.department_id == "risk"
    unchecked = arrive(fraud, IntentGuess("get_refund", 0.9), rules=(nowhere,), departments=None)
    assert unchecked.ticket.department_id == "fraud-desk"


def test_a_route_to_a_missing_department_goes_to_triage() -> None:
    routed = arrive(guess=IntentGuess("track_order", 0.9), departments={"general", "triage"})
    assert routed.ticket.department_id == "triage"
    assert "no department 'logistics' → triage" in routed.decisions


def test_without_a_triage_department_the_ticket_stays_where_its_source_put_it() -> None:
    source = replace(NEW, department_id="general", required_skill="orders")
    routed = arrive(source, None, departments={"general", "billing"})
    assert (routed.ticket.department_id, routed.ticket.required_skill) == ("general", "orders")
    assert routed.decisions[-1] == "no 'triage' department; stays in general"


def test_a_given_department_is_kept_and_no_rule_moves_it() -> None:
    fraud = replace(
        NEW, body="fraud", intent="get_refund", department_id="general", required_skill="x"
    )
    routed = arrive(Arrival(fraud, department_given=True), rules=(FRAUD,))
    ticket = routed.ticket
    assert (ticket.department_id, ticket.required_skill) == ("general", "x")
    assert ticket.moved_by is None
    # What only the route can say still comes from it.
    assert (ticket.complexity, ticket.priority) == (Complexity.COMPLEX, Priority.HIGH)
    assert routed.decisions == ("intent get_refund given", "department general given")


def test_a_given_priority_stands_over_the_routes() -> None:
    urgent = replace(NEW, intent="track_order", priority=Priority.URGENT)
    assert arrive(Arrival(urgent, priority_given=True)).ticket.priority is Priority.URGENT
    assert arrive(Arrival(urgent)).ticket.priority is Priority.LOW


# -- what the store writes for an arrival -----------------------------------------------------
def ids() -> Callable[[], str]:
    counter = iter(range(1, 1000))
    return lambda: f"id-{next(counter)}"


def test_created_ticket_records_decisions_and_the_rule_transfer() -> None:
    fraud = replace(NEW, body="This is fraud.")
    routed = arrive(fraud, IntentGuess("get_refund", 0.9), rules=(FRAUD,))
    change = create_ticket(routed.ticket, number=7, now=NOW, make_id=ids())
    assert change.ticket.department_id == "risk"
    assert [event.kind for event in change.audit] == [
        "ticket.created",
        "ticket.routed",
        "ticket.transferred",
    ]
    assert change.audit[1].detail == {"decisions": list(routed.decisions)}
    assert change.audit[2].detail == {
        "source": "billing",
        "target": "risk",
        "note": "Check the payment history.",
        "rule": "refund-fraud",
    }
    customer, note = change.messages
    assert customer.kind is MessageKind.CUSTOMER
    assert note.kind is MessageKind.NOTE
    assert note.body == (
        "Transferred from billing to risk by rule 'refund-fraud': Check the payment history."
    )
    assert change.payload["decisions"] == list(routed.decisions)
    assert change.payload["moved_by"] == {
        "rule": "refund-fraud",
        "source": "billing",
        "note": "Check the payment history.",
        "message_id": note.id,
    }


def test_a_plain_new_ticket_records_only_its_creation() -> None:
    change = create_ticket(NEW, number=1, now=NOW)
    assert [event.kind for event in change.audit] == ["ticket.created"]
    assert len(change.messages) == 1
    assert "decisions" not in change.payload and "moved_by" not in change.payload


# -- reclassification -------------------------------------------------------------------------
def stored(**changes: object) -> Ticket:
    ticket = create_ticket(replace(NEW, **changes), number=3, now=NOW).ticket  # type: ignore[arg-type]
    return ticket


LATER = NOW + timedelta(hours=1)


def test_reclassify_takes_skill_and_complexity_from_the_route_and_keeps_the_department() -> None:
    ticket = assign(
        stored(intent="get_refund", department_id="billing", priority=Priority.URGENT),
        "ag-1",
        actor_id="ag-1",
        now=NOW,
    ).ticket
    change = reclassify(ticket, "track_order", actor_id="ag-1", now=LATER, policy=POLICY)
    updated = change.ticket
    assert (updated.intent, updated.intent_confidence) == ("track_order", None)
    assert (updated.required_skill, updated.complexity) == ("delivery", Complexity.SIMPLE)
    assert updated.priority is Priority.URGENT  # never lowered
    assert (updated.department_id, updated.assignee_id) == ("billing", "ag-1")
    assert updated.version == ticket.version + 1
    assert (updated.first_response_due, updated.resolution_due) == (
        ticket.first_response_due,
        ticket.resolution_due,
    )
    assert [event.kind for event in change.audit] == ["ticket.reclassified"]
    assert change.audit[0].detail == {"previous": "get_refund", "intent": "track_order"}
    assert change.messages == ()
    assert change.payload["rule"] is None


def test_reclassify_raises_priority_to_the_routes() -> None:
    ticket = stored(intent="track_order", priority=Priority.LOW)
    change = reclassify(ticket, "get_refund", actor_id="a", now=LATER, policy=POLICY)
    assert change.ticket.priority is Priority.HIGH


def test_reclassify_into_a_rule_transfers_with_the_rules_note_and_keeps_the_sla_clock() -> None:
    ticket = assign(
        stored(intent="track_order", department_id="logistics"), "ag-1", actor_id="a", now=NOW
    ).ticket
    change = reclassify(
        ticket,
        "get_refund",
        actor_id="ag-1",
        now=LATER,
        policy=POLICY,
        rules=(FRAUD,),
        first_message="Someone used my card, it is fraud",
        departments=DEPARTMENTS,
    )
    updated = change.ticket
    assert (updated.department_id, updated.assignee_id) == ("risk", None)
    assert updated.status is TicketStatus.OPEN
    assert (updated.first_response_due, updated.resolution_due) == (
        ticket.first_response_due,
        ticket.resolution_due,
    )
    assert [event.kind for event in change.audit] == ["ticket.reclassified", "ticket.transferred"]
    assert change.audit[1].detail == {
        "source": "logistics",
        "target": "risk",
        "note": "Check the payment history.",
        "rule": "refund-fraud",
    }
    (note,) = change.messages
    assert note.body.startswith("Transferred from logistics to risk by rule 'refund-fraud'")
    assert change.payload["rule"] == "refund-fraud"
    assert change.payload["message_id"] == note.id


def test_reclassify_rules_read_the_first_message_not_only_the_subject() -> None:
    ticket = stored(intent="track_order", department_id="logistics")
    quiet = reclassify(ticket, "get_refund", actor_id="a", now=LATER, policy=POLICY, rules=(FRAUD,))
    assert quiet.ticket.department_id == "logistics"


def test_reclassify_out_of_triage_follows_the_route() -> None:
    ticket = stored(department_id="triage")
    change = reclassify(ticket, "get_refund", actor_id="a", now=LATER, policy=POLICY)
    assert change.ticket.department_id == "billing"
    assert change.audit[1].detail["note"] == "Classified as get_refund; routed to billing."
    assert "rule" not in change.audit[1].detail
    unrouted = reclassify(ticket, "order_pizza", actor_id="a", now=LATER, policy=POLICY)
    assert unrouted.ticket.department_id == "triage"
    nowhere = reclassify(
        ticket, "track_order", actor_id="a", now=LATER, policy=POLICY, departments={"triage"}
    )
    assert nowhere.ticket.department_id == "triage"


def test_reclassify_skips_rules_for_unknown_departments() -> None:
    ticket = stored(intent="track_order", department_id="logistics")
    gone = replace(FRAUD, department="fraud-desk")
    change = reclassify(
        ticket,
        "get_refund",
        actor_id="a",
        now=LATER,
        policy=POLICY,
        rules=(gone,),
        first_message="fraud",
        departments=DEPARTMENTS,
    )
    assert change.ticket.department_id == "logistics"


def test_reclassify_refuses_what_would_change_nothing_or_is_closed() -> None:
    ticket = stored(intent="get_refund")
    with pytest.raises(InvalidInput, match="already classified as get_refund"):
        reclassify(ticket, "get_refund", actor_id="a", now=LATER, policy=POLICY)
    with pytest.raises(InvalidInput, match="intent"):
        reclassify(ticket, "  ", actor_id="a", now=LATER, policy=POLICY)
    closed = replace(ticket, status=TicketStatus.CLOSED)
    with pytest.raises(IllegalTransition, match="cannot reclassify a ticket that is closed"):
        reclassify(closed, "track_order", actor_id="a", now=LATER, policy=POLICY)


@given(first=st.sampled_from(list(Priority)), second=st.sampled_from(list(Priority)))
def test_more_urgent_is_the_lower_rank(first: Priority, second: Priority) -> None:
    chosen = more_urgent(first, second)
    assert chosen in (first, second)
    assert chosen.rank == min(first.rank, second.rank)
