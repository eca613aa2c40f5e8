"""Route explanations: built from the rules, stored with the assignment, read back intact."""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.model import AuditEvent, Complexity, CustomerTier, Priority
from agentdesk.domain.route_explain import (
    ROUTE_DETAIL_KEY,
    RouteExplanation,
    RouteMode,
    assign_routed,
    explain,
    latest_explanation,
)
from agentdesk.domain.routing import DEFAULT_POLICY, TicketFacts
from tests.unit.test_routing import (
    AGENT,
    HOUR,
    JUNIOR,
    NOW,
    agents,
    make_facts,
    make_ticket,
    ticket_facts,
)


def test_an_explanation_adds_up_and_reads_as_text() -> None:
    facts = make_facts(number=42, priority=Priority.HIGH, due=NOW + HOUR)
    explanation = explain(facts, AGENT, load=2, now=NOW, policy=DEFAULT_POLICY, mode=RouteMode.PULL)
    assert explanation.eligible and explanation.refusals() == []
    assert explanation.total == sum(part.points for part in explanation.parts)
    assert explanation.max_total == 100
    lines = explanation.lines()
    assert lines[0] == f"#42: Score {explanation.total:.0f} of 100 (pulled by agent)"
    assert lines[1] == "SLA risk   18/35  due in 1h00m"
    assert "  ✓ capacity: 2 of 5 active tickets" in lines
    assert "  ✓ skill: refunds level 3, needs 2 (standard)" in lines


def test_an_ineligible_preview_lists_what_stands_in_the_way() -> None:
    facts = make_facts(complexity=Complexity.COMPLEX, customer_tier=CustomerTier.VIP)
    explanation = explain(facts, JUNIOR, load=5, now=NOW, policy=DEFAULT_POLICY)
    assert not explanation.eligible
    assert explanation.refusals() == [
        "capacity: at capacity: 5 of 5 active tickets",
        "skill: refunds level 2, needs 3 (complex)",
        "seniority: complex work needs senior+: junior",
        "vip: VIP customer needs senior+: junior",
    ]
    assert "Not eligible now:" in explanation.lines()
    assert explanation.headline().endswith("(for junior)")


@given(ticket_facts(7), agents, st.sampled_from(list(RouteMode)), st.integers(0, 9))
def test_the_stored_form_reads_back_equal(
    facts: TicketFacts, agent: object, mode: RouteMode, load: int
) -> None:
    explanation = explain(facts, agent, load=load, now=NOW, policy=DEFAULT_POLICY, mode=mode)  # type: ignore[arg-type]
    stored = json.loads(json.dumps(explanation.to_detail()))  # as the SQLite JSON column keeps it
    assert RouteExplanation.from_detail(stored) == explanation


def test_an_unreadable_stored_form_is_none() -> None:
    assert RouteExplanation.from_detail({}) is None
    assert RouteExplanation.from_detail({"parts": "x", "checks": []}) is None


def test_assign_routed_keeps_the_explanation_in_the_audit_event() -> None:
    ticket = make_ticket(required_skill="refunds")
    pulled = explain(
        TicketFacts.of(ticket), AGENT, load=0, now=NOW, policy=DEFAULT_POLICY, mode=RouteMode.PULL
    )
    change = assign_routed(ticket, pulled, now=NOW)
    assert change.ticket.assignee_id == AGENT.id and change.ticket.version == 2
    (event,) = change.audit
    assert event.kind == "ticket.assigned" and event.actor_id == AGENT.id
    assert event.detail[ROUTE_DETAIL_KEY] == pulled.to_detail()
    assert change.payload == {
        "ticket_id": ticket.id,
        "agent_id": AGENT.id,
        "actor_id": AGENT.id,
        "base_version": 1,
    }
    pushed = assign_routed(ticket, replace(pulled, mode=RouteMode.PUSH), now=NOW)
    assert pushed.audit[0].actor_id is None  # nobody pulled it: the system pushed it


def test_the_latest_assignment_decides() -> None:
    ticket = make_ticket()
    routed = assign_routed(
        ticket,
        explain(TicketFacts.of(ticket), AGENT, load=0, now=NOW, policy=DEFAULT_POLICY),
        now=NOW,
    ).audit[0]
    manual = AuditEvent("e2", ticket.id, "lead", "ticket.assigned", {"agent_id": "x"}, NOW)
    note = AuditEvent("e3", ticket.id, "lead", "ticket.note", {}, NOW)
    assert latest_explanation([routed, note]) is not None
    assert latest_explanation([routed, manual, note]) is None
    assert latest_explanation([]) is None
