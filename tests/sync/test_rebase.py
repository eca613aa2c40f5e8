"""Rejected ops roll back, pending ops survive a pull, follow-ups land where the server put them."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.hlc import Hlc, epoch_ms
from agentdesk.domain.model import LinkKind, TicketLink, TicketStatus
from agentdesk.domain.remote import message_from_wire, ticket_from_wire
from agentdesk.server import tables as t
from agentdesk.sync import Unreachable
from tests.sync.test_round_trip import NOW, World, offline_ticket, world

__all__ = ["world"]


def server_status(world: World, ticket_id: str) -> str:
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        return str(
            connection.execute(
                select(t.tickets.c.status).where(t.tickets.c.id == ticket_id)
            ).scalar_one()
        )


async def test_a_rejected_transition_is_rolled_back_to_the_servers_state(world: World) -> None:
    # Bob creates a ticket offline and replies (so he is its assignee), then syncs.
    ticket_id = await offline_ticket(world.b.store)
    await world.b.sync()
    await world.a.sync()
    amy = world.a.store
    assert (await amy.ticket(ticket_id)).status is TicketStatus.OPEN
    # Offline, Amy asks the customer to confirm a ticket that is Bob's: the server refuses.
    await amy.request_confirmation(ticket_id, "fixed", "Does it work now?", actor_id="amy", now=NOW)
    asked = {m.id for m in await amy.messages(ticket_id)}
    await world.a.sync()
    await world.a.sync()
    (conflict,) = await amy.conflicts()
    assert conflict.reason == "claim_lost"
    assert server_status(world, ticket_id) == "open"
    # Without any newer server change of the ticket, Amy's copy is the server's again.
    assert (await amy.ticket(ticket_id)).status is TicketStatus.OPEN
    kept = {m.id for m in await amy.messages(ticket_id)}
    assert conflict.op.payload["message_id"] in asked - kept
    assert (await amy.sync_status()).pending == 0


async def test_a_pull_keeps_the_effect_of_ops_still_pending(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    await world.b.sync()
    # Bob's note changes the ticket on the server while Amy's confirmation request is unsent.
    await world.b.store.reply(
        ticket_id, "Checked the logs", author_id="bob", now=NOW, internal=True
    )
    await world.b.sync()
    amy = world.a.store
    await amy.request_confirmation(ticket_id, "fixed", "Works now?", actor_id="amy", now=NOW)
    pending = await amy.pending_operations()
    # Pull only (as a round does when its push could not go out): Bob's note arrives...
    import httpx

    from agentdesk.sync.engine import _pull

    async with httpx.AsyncClient(
        base_url="http://desk",
        transport=world.a.transport,
        headers={"Authorization": f"Bearer {world.a.token}"},
    ) as http:
        await _pull(amy, http, 100)
    bodies = {m.body for m in await amy.messages(ticket_id)}
    assert "Checked the logs" in bodies
    # ...and the unanswered request keeps its effect on top of the server's copy.
    assert (await amy.ticket(ticket_id)).status is TicketStatus.AWAITING_CONFIRMATION
    assert await amy.pending_operations() == pending


async def test_a_reply_to_a_ticket_closed_meanwhile_moves_to_the_follow_up(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)  # Amy's, replied to: she is the assignee
    await world.a.sync()
    await world.b.sync()
    bob = world.b.store
    # Bob writes a note while Amy closes the ticket; Amy's close reaches the server first.
    await bob.reply(ticket_id, "One more thing", author_id="bob", now=NOW, internal=True)
    await world.a.store.close_confirmed(ticket_id, "fixed", "said so", actor_id="amy", now=NOW)
    await world.a.sync()
    await world.b.sync()
    assert (await bob.ticket(ticket_id)).status is TicketStatus.CLOSED
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        (follow_up,) = connection.execute(
            select(t.tickets.c.id).where(t.tickets.c.follow_up_of == ticket_id)
        ).scalars()
    assert "One more thing" not in {m.body for m in await bob.messages(ticket_id)}
    assert "One more thing" in {m.body for m in await bob.messages(follow_up)}


async def test_the_clock_never_falls_behind_server_time_seen(world: World) -> None:
    amy = world.a.store
    # The server's clock (NOW) is a day ahead of Amy's wall clock.
    behind = NOW - timedelta(days=1)
    await world.a.sync(at=behind)
    ticket = await amy.create_ticket(
        NewTicket(subject="Slow clock", body="Stamped late", customer_id="c1"), now=behind
    )
    (*_, created) = await amy.operations()
    assert created.payload["ticket_id"] == ticket.id
    assert created.hlc > Hlc(epoch_ms(NOW), 0)


async def test_asking_the_customer_on_a_ticket_someone_else_owns_lands_the_words_only(
    world: World,
) -> None:
    ticket_id = await offline_ticket(world.a.store)  # Amy replied: the ticket is hers
    await world.a.sync()
    await world.b.sync()
    bob = world.b.store
    await bob.reply(ticket_id, "Which card?", author_id="bob", now=NOW, wait_on_customer=True)
    assert (await bob.ticket(ticket_id)).status is TicketStatus.PENDING
    report = await world.b.sync()
    assert (report.applied, report.rejected) == (1, 0)
    kept = [result["status_kept"] for result in _results(world) if "status_kept" in result]
    assert kept == ["claim_lost"]
    # Moving the ticket to pending is Amy's call: the words land, the status stays.
    assert server_status(world, ticket_id) == "open"
    assert (await bob.ticket(ticket_id)).status is TicketStatus.OPEN
    assert "Which card?" in {m.body for m in await bob.messages(ticket_id)}


async def test_the_owner_asking_the_customer_moves_the_ticket_to_pending(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    amy = world.a.store
    await amy.reply(ticket_id, "Which card?", author_id="amy", now=NOW, wait_on_customer=True)
    await world.a.sync()
    assert server_status(world, ticket_id) == "pending"
    assert (await amy.ticket(ticket_id)).status is TicketStatus.PENDING


async def test_links_a_reply_offers_reach_the_server(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.store.reply(
        ticket_id,
        "See the article",
        author_id="amy",
        now=NOW,
        links=(TicketLink(LinkKind.ARTICLE, "kb-7", "Cards"),),
    )
    await world.a.sync()
    await world.b.sync()
    assert [link.ref_id for link in (await world.b.store.ticket(ticket_id)).links] == ["kb-7"]


def _results(world: World) -> list[dict[str, object]]:
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        raws = connection.execute(select(t.op_results.c.outcome)).scalars()
        return [raw if isinstance(raw, dict) else json.loads(raw) for raw in raws]


class PullFailsOnce(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.failed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sync/changes" and not self.failed:
            self.failed = True
            raise httpx.ConnectError("gone", request=request)
        return await self.inner.handle_async_request(request)


async def test_a_round_that_failed_after_a_rejection_rolls_it_back_next_time(
    world: World,
) -> None:
    ticket_id = await offline_ticket(world.b.store)
    await world.b.sync()
    await world.a.sync()
    amy = world.a.store
    await amy.request_confirmation(ticket_id, "fixed", "Does it work now?", actor_id="amy", now=NOW)
    flaky = PullFailsOnce(world.a.transport)
    world.a.transport = flaky
    with pytest.raises(Unreachable):
        await world.a.sync()
    assert [c.reason for c in await amy.conflicts()] == ["claim_lost"]
    await world.a.sync(at=NOW + timedelta(minutes=1))
    assert (await amy.ticket(ticket_id)).status is TicketStatus.OPEN


async def test_the_ticket_fetch_answers_the_change_logs_shapes(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    async with httpx.AsyncClient(
        base_url="http://desk",
        transport=httpx.ASGITransport(app=world.app),  # type: ignore[arg-type]
        headers={"Authorization": f"Bearer {world.b.token}"},
    ) as http:
        answer = (await http.get(f"/tickets/{ticket_id}")).json()
        missing = await http.get("/tickets/no-such-ticket")
        refused = await http.get(f"/tickets/{ticket_id}", headers={"Authorization": "Bearer x"})
    assert missing.status_code == 404 and refused.status_code == 401
    assert ticket_from_wire(answer["ticket_state"]).status is TicketStatus.OPEN
    bodies = [message_from_wire(raw).body for raw in answer["messages"]]
    assert bodies == ["It fails at checkout", "Looking into it"]
    assert answer["server_time"] == NOW.isoformat()


async def test_a_link_the_server_has_already_leaves_the_same_version_on_both(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    await world.b.sync()
    for site in (world.a, world.b):
        await site.store.link(ticket_id, LinkKind.ARTICLE, "kb-1", "Cards", actor_id="x", now=NOW)
        await site.sync()
    # Bob has Amy's link now; linking it again changes his copy's version, not the server's.
    await world.b.store.link(ticket_id, LinkKind.ARTICLE, "kb-1", "Cards", actor_id="x", now=NOW)
    await world.b.sync()
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        version = connection.execute(
            select(t.tickets.c.version).where(t.tickets.c.id == ticket_id)
        ).scalar_one()
    bob = await world.b.store.ticket(ticket_id)
    assert (bob.version, [link.ref_id for link in bob.links]) == (version, ["kb-1"])


async def test_a_customer_confirmation_heard_on_one_desk_closes_the_ticket_everywhere(
    world: World,
) -> None:
    ticket_id = await offline_ticket(world.a.store)
    amy = world.a.store
    await amy.request_confirmation(ticket_id, "fixed", "Does it work now?", actor_id="amy", now=NOW)
    await world.a.sync()
    await world.b.sync()
    # On the phone, the customer tells Amy it works; her desk is offline for a while.
    await amy.customer_reply(ticket_id, "Yes, works now", now=NOW, confirms_resolution=True)
    assert (await amy.ticket(ticket_id)).status is TicketStatus.CLOSED
    report = await world.a.sync()
    assert report.rejected == 0
    assert server_status(world, ticket_id) == "closed"
    await world.b.sync()
    bob = world.b.store
    assert (await bob.ticket(ticket_id)).status is TicketStatus.CLOSED
    assert "Yes, works now" in {m.body for m in await bob.messages(ticket_id)}
    # Pulled back, Amy's copy is the server's, with one copy of the customer's words.
    await world.a.sync()
    said = [m for m in await amy.messages(ticket_id) if m.body == "Yes, works now"]
    assert len(said) == 1 and (await amy.ticket(ticket_id)).status is TicketStatus.CLOSED


async def test_customer_words_for_a_ticket_closed_meanwhile_move_to_the_servers_follow_up(
    world: World,
) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    await world.b.sync()
    # Bob's desk hears the customer confirm and closes the ticket; Amy's, offline, still has it
    # open and records the customer's next words there.
    amy, bob = world.a.store, world.b.store
    await amy.customer_reply(ticket_id, "One more thing: the PIN", now=NOW)
    with world.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(
            update(t.tickets).where(t.tickets.c.id == ticket_id).values(status="closed")
        )
    report = await world.a.sync()
    assert report.rejected == 0
    await world.b.sync()
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        (follow_up_id,) = connection.execute(
            select(t.tickets.c.id).where(t.tickets.c.follow_up_of == ticket_id)
        ).scalars()
    follow_up = await bob.ticket(follow_up_id)
    assert follow_up.follow_up_of == ticket_id
    assert [m.body for m in await bob.messages(follow_up.id)] == ["One more thing: the PIN"]
    # On Amy's desk the words moved to the same follow-up, once.
    mine = [m for m in await amy.messages(follow_up.id) if m.body == "One more thing: the PIN"]
    assert len(mine) == 1
    assert not [m for m in await amy.messages(ticket_id) if m.body == "One more thing: the PIN"]
