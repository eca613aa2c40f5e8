"""Case reviews and skill certification: the rules, without a store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from itertools import count

import pytest

from agentdesk.domain.errors import DomainError, InvalidInput
from agentdesk.domain.model import Agent, Role, Ticket, TicketStatus
from agentdesk.domain.reviews import (
    MAX_COMMENT_LENGTH,
    REVIEW_AUDIT,
    SKILL_AUDIT,
    LeadsOnly,
    check_level,
    check_skill_name,
    known_skills,
    record_review,
    set_skill_level,
    skill_change_of,
    step_level,
)
from agentdesk.domain.routing import MAX_LEVEL
from tests.fixtures import AGENTS, NOW
from tests.unit.test_routing import make_ticket

JUNIOR, SENIOR, LEAD = AGENTS
ADMIN = Agent("ag-admin", "admin", "Ada Admin", Role.ADMIN)
OTHER_LEAD = Agent("ag-lead2", "lead2", "Lou Lead", Role.LEAD)


def ids() -> Callable[[], str]:
    numbers = count(1)
    return lambda: f"id-{next(numbers)}"


def closed(ticket: Ticket | None = None, assignee: str | None = "ag-junior") -> Ticket:
    base = ticket or make_ticket()
    return replace(base, status=TicketStatus.CLOSED, assignee_id=assignee, closed_at=NOW)


# -- case reviews ----------------------------------------------------------------------------
def test_a_lead_reviews_the_resolver_of_a_closed_ticket() -> None:
    ticket = closed()
    change = record_review(ticket, LEAD, 4, "  Clear and quick.  ", now=NOW, make_id=ids())
    review = change.review
    assert (review.ticket_id, review.agent_id, review.reviewer_id) == (
        ticket.id,
        "ag-junior",
        "ag-lead",
    )
    assert (review.score, review.comment) == (4, "Clear and quick.")
    assert review.created_at == review.updated_at == NOW
    assert review.score_label == "4 good"
    assert not change.edited
    assert change.audit.kind == REVIEW_AUDIT and change.audit.ticket_id == ticket.id
    assert change.audit.actor_id == "ag-lead"
    assert change.payload["score"] == 4 and change.payload["agent_id"] == "ag-junior"


def test_admins_review_too() -> None:
    assert record_review(closed(), ADMIN, 5, "ok", now=NOW).review.reviewer_id == "ag-admin"


@pytest.mark.parametrize("agent", [JUNIOR, SENIOR])
def test_agents_may_not_review(agent: Agent) -> None:
    with pytest.raises(LeadsOnly, match="only leads and admins"):
        record_review(closed(assignee="ag-other"), agent, 3, "fine", now=NOW)


@pytest.mark.parametrize(
    "status", [status for status in TicketStatus if status is not TicketStatus.CLOSED]
)
def test_only_closed_tickets_are_reviewed(status: TicketStatus) -> None:
    ticket = replace(closed(), status=status)
    with pytest.raises(DomainError, match="only closed tickets"):
        record_review(ticket, LEAD, 3, "fine", now=NOW)


def test_a_ticket_nobody_held_cannot_be_reviewed() -> None:
    with pytest.raises(DomainError, match="no agent"):
        record_review(closed(assignee=None), LEAD, 3, "fine", now=NOW)


def test_a_lead_does_not_review_their_own_ticket() -> None:
    with pytest.raises(DomainError, match="your own ticket"):
        record_review(closed(assignee="ag-lead"), LEAD, 3, "fine", now=NOW)


@pytest.mark.parametrize("score", [0, 6, -1, True, 3.5, "4", None])
def test_scores_outside_one_to_five_are_refused(score: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        record_review(closed(), LEAD, score, "fine", now=NOW)  # type: ignore[arg-type]
    assert refused.value.field == "score"


@pytest.mark.parametrize("comment", ["", "   ", "\n\t", "x" * (MAX_COMMENT_LENGTH + 1)])
def test_a_comment_is_required_and_bounded(comment: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        record_review(closed(), LEAD, 3, comment, now=NOW)
    assert refused.value.field == "comment"


def test_a_comment_of_the_maximum_length_is_kept() -> None:
    text = "x" * MAX_COMMENT_LENGTH
    assert record_review(closed(), LEAD, 3, text, now=NOW).review.comment == text


def test_editing_keeps_the_review_and_its_first_time() -> None:
    ticket = closed()
    first = record_review(ticket, LEAD, 2, "slow", now=NOW).review
    later = NOW + timedelta(hours=1)
    change = record_review(ticket, LEAD, 4, "on reflection, fine", now=later, existing=first)
    assert change.edited and change.audit.detail["edited"] is True
    assert change.review.id == first.id
    assert (change.review.score, change.review.comment) == (4, "on reflection, fine")
    assert (change.review.created_at, change.review.updated_at) == (NOW, later)


def test_an_edit_must_be_of_the_same_reviewers_review() -> None:
    ticket = closed()
    theirs = record_review(ticket, OTHER_LEAD, 2, "slow", now=NOW).review
    with pytest.raises(ValueError, match="this reviewer"):
        record_review(ticket, LEAD, 4, "fine", now=NOW, existing=theirs)


# -- skill certification ---------------------------------------------------------------------
def test_a_lead_raises_a_level_and_the_audit_says_who_when_old_and_new() -> None:
    certification = set_skill_level(JUNIOR, "orders", 3, actor=LEAD, now=NOW, make_id=ids())
    assert certification.agent.skills == {"accounts": 2, "orders": 3}
    assert JUNIOR.skills["orders"] == 2  # the input is not changed
    audit = certification.audit
    assert (audit.kind, audit.ticket_id, audit.actor_id, audit.at) == (
        SKILL_AUDIT,
        None,
        "ag-lead",
        NOW,
    )
    assert audit.detail == {
        "agent_id": "ag-junior",
        "skill": "orders",
        "old_level": 2,
        "new_level": 3,
    }
    assert skill_change_of(audit) == certification.change
    assert certification.payload["actor_id"] == "ag-lead"


def test_a_new_skill_starts_from_zero_and_zero_takes_it_away() -> None:
    added = set_skill_level(JUNIOR, "refunds", 1, actor=LEAD, now=NOW).agent
    assert added.skills["refunds"] == 1
    removed = set_skill_level(added, "refunds", 0, actor=LEAD, now=NOW)
    assert "refunds" not in removed.agent.skills
    assert (removed.change.old_level, removed.change.new_level) == (1, 0)


def test_agents_may_not_certify() -> None:
    with pytest.raises(LeadsOnly):
        set_skill_level(JUNIOR, "orders", 3, actor=SENIOR, now=NOW)


def test_nobody_certifies_themselves() -> None:
    with pytest.raises(DomainError, match="your own"):
        set_skill_level(LEAD, "orders", 4, actor=LEAD, now=NOW)


@pytest.mark.parametrize("level", [-1, MAX_LEVEL + 1, True, 2.0, "3"])
def test_levels_stay_within_bounds(level: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        set_skill_level(JUNIOR, "orders", level, actor=LEAD, now=NOW)  # type: ignore[arg-type]
    assert refused.value.field == "level"


def test_setting_the_level_an_agent_has_is_refused() -> None:
    with pytest.raises(InvalidInput, match="already at orders level 2"):
        set_skill_level(JUNIOR, "orders", 2, actor=LEAD, now=NOW)


@pytest.mark.parametrize("name", ["", "Orders", "with space", "1st", "x" * 41, "a-b"])
def test_skill_names_are_checked(name: str) -> None:
    with pytest.raises(InvalidInput):
        check_skill_name(name)


def test_check_level_accepts_every_level_in_range() -> None:
    assert [check_level(level) for level in range(MAX_LEVEL + 1)] == list(range(MAX_LEVEL + 1))


def test_steps_stop_at_the_bounds() -> None:
    assert step_level(JUNIOR, "orders", +1) == 3
    assert step_level(JUNIOR, "orders", -1) == 1
    assert step_level(JUNIOR, "refunds", +1) == 1
    with pytest.raises(InvalidInput, match="not certified"):
        step_level(JUNIOR, "refunds", -1)
    with pytest.raises(InvalidInput, match="top level"):
        step_level(LEAD, "orders", +1)


def test_skill_change_of_ignores_other_events() -> None:
    review = record_review(closed(), LEAD, 3, "fine", now=NOW).audit
    assert skill_change_of(review) is None


def test_known_skills_joins_agents_and_routes() -> None:
    assert known_skills([JUNIOR, LEAD], ["billing", None, "orders"]) == [
        "accounts",
        "billing",
        "complaints",
        "orders",
        "refunds",
    ]
