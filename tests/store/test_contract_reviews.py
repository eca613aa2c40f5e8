"""Case reviews and skill certification: every backend keeps them and routing sees the levels.

The fixture: junior holds orders 2 and accounts 2; ticket #2 (high, logistics) needs orders at
level 2 (standard complexity), so it is the junior's best pull until their orders level drops.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.domain.errors import DomainError, InvalidInput
from agentdesk.domain.model import Agent, Role, Ticket
from agentdesk.domain.outbox import DeliveryState, initial_state
from agentdesk.domain.reviews import REVIEW_AUDIT, REVIEW_OP, SKILL_OP, LeadsOnly, SkillChange
from agentdesk.store.base import Store
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import NOW, seed

LATER = NOW + timedelta(hours=1)


async def closed_by(store: Store, handle: str, number: int = 2) -> Ticket:
    agent = await store.agent_by_handle(handle)
    ticket = await store.ticket_by_number(number)
    await store.assign(ticket.id, agent.id, actor_id=agent.id, now=NOW)
    return await store.close_confirmed(
        ticket.id, "sent it again", "customer got it", actor_id=agent.id, now=NOW
    )


async def logged(store: Store, kind: str) -> list[dict[str, object]]:
    return [op.payload for op in await store.operations() if op.kind == kind]


# -- case reviews ----------------------------------------------------------------------------
async def test_a_lead_reviews_a_closed_ticket_and_the_agent_sees_it(store: Store) -> None:
    ticket = await closed_by(store, "junior")
    review = await store.record_review(
        ticket.id, 4, "Good tone, quick fix.", reviewer_id="ag-lead", now=LATER
    )
    assert (review.agent_id, review.reviewer_id, review.score) == ("ag-junior", "ag-lead", 4)
    assert await store.ticket_reviews(ticket.id) == [review]
    (row,) = await store.agent_reviews("ag-junior")
    assert (row.review, row.ticket_number, row.ticket_subject) == (
        review,
        ticket.number,
        ticket.subject,
    )
    assert await store.agent_reviews("ag-senior") == []
    audit = [event for event in await store.audit_events(ticket.id) if event.kind == REVIEW_AUDIT]
    assert [(event.actor_id, event.detail["score"]) for event in audit] == [("ag-lead", 4)]
    assert await logged(store, REVIEW_OP) == [
        {
            "review_id": review.id,
            "ticket_id": ticket.id,
            "agent_id": "ag-junior",
            "reviewer_id": "ag-lead",
            "score": 4,
            "comment": "Good tone, quick fix.",
        }
    ]


async def test_reviews_are_logged_but_not_pushed_yet(store: Store) -> None:
    ticket = await closed_by(store, "junior")
    await store.record_review(ticket.id, 3, "ok", reviewer_id="ag-lead", now=LATER)
    op = next(op for op in await store.operations() if op.kind == REVIEW_OP)
    assert op.op_id not in {pending.op_id for pending in await store.pending_operations(1000)}
    assert (await store.sync_status()).pending == len(await store.pending_operations(1000))
    assert initial_state(op.kind) is DeliveryState.LOCAL


async def test_reviewing_again_edits_the_one_review(store: Store) -> None:
    ticket = await closed_by(store, "junior")
    first = await store.record_review(ticket.id, 2, "slow", reviewer_id="ag-lead", now=NOW)
    edited = await store.record_review(
        ticket.id, 4, "fine after all", reviewer_id="ag-lead", now=LATER
    )
    assert edited.id == first.id and edited.created_at == NOW and edited.updated_at == LATER
    assert await store.ticket_reviews(ticket.id) == [edited]
    assert [row.review for row in await store.agent_reviews("ag-junior")] == [edited]
    assert len(await logged(store, REVIEW_OP)) == 2


async def test_each_lead_keeps_their_own_review_and_the_latest_comes_first(
    store: Store,
) -> None:
    await store.add_agents([Agent("ag-lead2", "lead2", "Lou Lead", Role.LEAD)])
    first_ticket = await closed_by(store, "junior", number=2)
    second_ticket = await closed_by(store, "junior", number=3)
    older = await store.record_review(first_ticket.id, 3, "a", reviewer_id="ag-lead", now=NOW)
    other = await store.record_review(first_ticket.id, 5, "b", reviewer_id="ag-lead2", now=LATER)
    newest = await store.record_review(
        second_ticket.id, 1, "c", reviewer_id="ag-lead", now=LATER + timedelta(minutes=1)
    )
    assert await store.ticket_reviews(first_ticket.id) == [older, other]
    rows = await store.agent_reviews("ag-junior")
    assert [row.review for row in rows] == [newest, other, older]
    assert [row.review for row in await store.agent_reviews("ag-junior", limit=1)] == [newest]


async def test_an_agent_may_not_review_and_nothing_is_written(store: Store) -> None:
    ticket = await closed_by(store, "junior")
    before = len(await store.operations())
    with pytest.raises(LeadsOnly):
        await store.record_review(ticket.id, 5, "great", reviewer_id="ag-senior", now=LATER)
    assert await store.ticket_reviews(ticket.id) == []
    assert len(await store.operations()) == before


async def test_open_tickets_and_bad_input_are_refused_and_write_nothing(store: Store) -> None:
    open_ticket = await store.ticket_by_number(2)
    closed = await closed_by(store, "junior", number=3)
    before = len(await store.operations())
    with pytest.raises(DomainError, match="only closed tickets"):
        await store.record_review(open_ticket.id, 3, "ok", reviewer_id="ag-lead", now=LATER)
    with pytest.raises(InvalidInput):
        await store.record_review(closed.id, 9, "ok", reviewer_id="ag-lead", now=LATER)
    with pytest.raises(InvalidInput):
        await store.record_review(closed.id, 3, "  ", reviewer_id="ag-lead", now=LATER)
    assert await store.ticket_reviews(closed.id) == []
    assert len(await store.operations()) == before


async def test_unknown_ticket_or_reviewer_is_not_found(store: Store) -> None:
    ticket = await closed_by(store, "junior")
    with pytest.raises(NotFound):
        await store.record_review("no-such", 3, "ok", reviewer_id="ag-lead", now=LATER)
    with pytest.raises(NotFound):
        await store.record_review(ticket.id, 3, "ok", reviewer_id="ag-nobody", now=LATER)


# -- skill certification ---------------------------------------------------------------------
async def test_a_lead_changes_a_level_with_an_audit_trail(store: Store) -> None:
    agent = await store.set_skill_level("ag-junior", "orders", 3, actor_id="ag-lead", now=NOW)
    assert agent.skills == {"accounts": 2, "orders": 3}
    assert (await store.agent_by_handle("junior")).skills == agent.skills
    assert next(a for a in await store.agents() if a.id == "ag-junior").skills == agent.skills
    await store.set_skill_level("ag-junior", "refunds", 1, actor_id="ag-lead", now=LATER)
    await store.set_skill_level("ag-junior", "orders", 0, actor_id="ag-lead", now=LATER)
    assert (await store.agent_by_handle("junior")).skills == {"accounts": 2, "refunds": 1}
    assert await store.skill_changes("ag-junior") == [
        SkillChange("ag-junior", "orders", 2, 3, "ag-lead", NOW),
        SkillChange("ag-junior", "refunds", 0, 1, "ag-lead", LATER),
        SkillChange("ag-junior", "orders", 3, 0, "ag-lead", LATER),
    ]
    assert await store.skill_changes("ag-senior") == []
    payloads = await logged(store, SKILL_OP)
    assert payloads[0] == {
        "agent_id": "ag-junior",
        "skill": "orders",
        "old_level": 2,
        "new_level": 3,
        "actor_id": "ag-lead",
    }
    assert len(payloads) == 3


async def test_certification_is_refused_for_agents_self_and_bad_levels(store: Store) -> None:
    before = len(await store.operations())
    with pytest.raises(LeadsOnly):
        await store.set_skill_level("ag-junior", "orders", 3, actor_id="ag-senior", now=NOW)
    with pytest.raises(DomainError, match="your own"):
        await store.set_skill_level("ag-lead", "orders", 4, actor_id="ag-lead", now=NOW)
    with pytest.raises(InvalidInput):
        await store.set_skill_level("ag-junior", "orders", 6, actor_id="ag-lead", now=NOW)
    with pytest.raises(NotFound):
        await store.set_skill_level("ag-nobody", "orders", 3, actor_id="ag-lead", now=NOW)
    assert (await store.agent_by_handle("junior")).skills == {"orders": 2, "accounts": 2}
    assert await store.skill_changes("ag-junior") == []
    assert len(await store.operations()) == before


async def test_a_level_change_applies_to_the_next_pull_at_once(store: Store) -> None:
    ticket_2 = await store.ticket_by_number(2)
    junior = await store.agent_by_handle("junior")
    before = await store.explain_route(ticket_2.id, junior, NOW)
    assert before.eligible

    await store.set_skill_level("ag-junior", "orders", 1, actor_id="ag-lead", now=NOW)
    junior = await store.agent_by_handle("junior")
    after = await store.explain_route(ticket_2.id, junior, NOW)
    assert not after.eligible
    assert "skill" in [check.rule for check in after.checks if not check.passed]
    pulled = await store.claim_next(junior, NOW)
    assert pulled is not None and pulled.number != 2

    await store.set_skill_level("ag-junior", "orders", 2, actor_id="ag-lead", now=NOW)
    junior = await store.agent_by_handle("junior")
    pulled = await store.claim_next(junior, NOW)
    assert pulled is not None and pulled.number == 2


async def test_push_mode_reads_the_changed_levels(store: Store) -> None:
    """auto_assign takes agents from the store: the one whose level was lowered is left out."""
    ticket_2 = await store.ticket_by_number(2)
    for handle in ("senior", "lead"):
        agent = await store.agent_by_handle(handle)
        await store.add_agents([replace(agent, available=False)])
    await store.set_skill_level("ag-junior", "orders", 1, actor_id="ag-lead", now=NOW)
    assert await store.auto_assign(ticket_2.id, NOW) is None
    await store.set_skill_level("ag-junior", "orders", 2, actor_id="ag-lead", now=NOW)
    assigned = await store.auto_assign(ticket_2.id, NOW)
    assert assigned is not None and assigned.assignee_id == "ag-junior"


async def test_reviews_and_levels_survive_reopening_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "agentdesk.db"
    async with SqliteStore(path, create=True) as store:
        await seed(store)
        ticket = await closed_by(store, "junior")
        review = await store.record_review(ticket.id, 5, "model", reviewer_id="ag-lead", now=NOW)
        await store.set_skill_level("ag-junior", "orders", 4, actor_id="ag-lead", now=NOW)
    async with SqliteStore(path) as store:
        assert await store.ticket_reviews(ticket.id) == [review]
        assert (await store.agent_by_handle("junior")).skills["orders"] == 4
        assert len(await store.skill_changes("ag-junior")) == 1
