"""Minimised failures the sync model (test_sync_model.py) found, kept as plain examples."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from agentdesk.server import tables as t
from tests.sync.test_round_trip import NOW, World, offline_ticket, world

__all__ = ["world"]


@pytest.mark.xfail(
    strict=True,
    reason="open bug: a rejected op's local effect is never rolled back when no newer server "
    "change for the ticket arrives, so the client's view never converges (see the report of "
    "the reliability branch)",
)
async def test_a_rejected_transition_is_rolled_back_even_without_newer_changes(
    world: World,
) -> None:
    # Bob's ticket (his reply makes him the assignee); Amy has its latest state.
    ticket_id = await offline_ticket(world.b.store)
    await world.b.sync()
    await world.a.sync()
    await world.a.store.request_confirmation(
        ticket_id, "fixed", "Does it work now?", actor_id="amy-local", now=NOW
    )
    for minutes in (1, 2):
        await world.a.sync(at=NOW + timedelta(minutes=minutes))
    conflicts = await world.a.store.conflicts()
    assert [(c.op.kind, c.reason) for c in conflicts] == [
        ("ticket.request_confirmation", "claim_lost")
    ]
    with world.engine.connect() as connection:
        server = connection.execute(
            select(t.tickets.c.status).where(t.tickets.c.id == ticket_id)
        ).scalar_one()
    local = await world.a.store.ticket(ticket_id)
    assert local.status.value == server == "open"
