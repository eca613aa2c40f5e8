"""The sync round trip: two client stores and the server app, over HTTP (ASGI, no sockets)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select, update

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Agent, Customer, MessageKind, Role, TicketStatus
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app
from agentdesk.store.base import Store
from agentdesk.store.sqlite import SqliteStore
from agentdesk.sync import SyncReport, Unreachable, sync_once
from tests.server.conftest import sqlite_url

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Site:
    store: Store
    token: str
    transport: httpx.AsyncBaseTransport

    async def sync(self, *, at: datetime = NOW, **options: int) -> SyncReport:
        client_id = self.store.info().client_id
        return await sync_once(
            self.store,
            "http://desk",
            self.token,
            client_id,
            now=at,
            transport=self.transport,
            **options,
        )


class Recording(httpx.AsyncBaseTransport):
    """Passes requests to the app and keeps (method, path, status, request body) of each."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: list[tuple[str, str, int, object]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = json.loads(request.content) if request.content else dict(request.url.params)
        self.seen.append((request.method, request.url.path, response.status_code, body))
        return response


class Offline(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


@dataclass
class World:
    app: object
    engine: object
    a: Site
    b: Site


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    url = sqlite_url(tmp_path)
    app = create_app(
        url, clock=lambda: NOW, limits=Limits(requests_per_second=10_000, burst=10_000)
    )
    engine = app.state.engine
    with engine.begin() as connection:
        _amy, amy = add_agent(connection, "amy", role=Role.AGENT)
        _bob, bob = add_agent(connection, "bob", role=Role.AGENT)
    sites = []
    for name, token in (("a", amy), ("b", bob)):
        store = SqliteStore(tmp_path / f"{name}.db", create=True)
        await store.open()
        # Reference data is logged local-only, so the first pushed op is not client seq 1.
        await store.add_customers([Customer("c1", "Ann Customer")])
        sites.append(Site(store, token, Recording(httpx.ASGITransport(app=app))))
    yield World(app, engine, *sites)
    for site in sites:
        await site.store.close()
    engine.dispose()


async def offline_ticket(store: Store) -> str:
    ticket = await store.create_ticket(
        NewTicket(subject="Card declined", body="It fails at checkout", customer_id="c1"), now=NOW
    )
    await store.reply(ticket.id, "Looking into it", author_id="amy-local", now=NOW)
    return ticket.id


async def test_an_offline_ticket_and_reply_reach_the_server_and_the_other_client(
    world: World,
) -> None:
    ticket_id = await offline_ticket(world.a.store)
    report = await world.a.sync()
    assert (report.pushed, report.applied, report.rejected) == (2, 2, 0)
    assert (await world.a.store.sync_status()).pending == 0
    # The first push met a gap (the customer upsert was local only) and was resent after it.
    pushes = [
        (status, body)
        for method, path, status, body in world.a.transport.seen
        if path == "/sync/push"
    ]
    assert [status for status, _ in pushes] == [409, 200]
    assert pushes[1][1]["ops"][0]["prev_seq"] == 0

    await world.b.sync()
    ticket = await world.b.store.ticket(ticket_id)
    assert ticket.status is TicketStatus.OPEN
    messages = await world.b.store.messages(ticket_id)
    assert [(m.kind, m.body) for m in messages] == [
        (MessageKind.CUSTOMER, "It fails at checkout"),
        (MessageKind.REPLY, "Looking into it"),
    ]
    # A's own pull brings the server's copy: same messages, nothing doubled, nothing new to push.
    assert len(await world.a.store.messages(ticket_id)) == 2
    assert (await world.a.store.sync_status()).pending == 0
    again = await world.a.sync()
    assert (again.pushed, again.pulled) == (0, 0)


async def test_the_same_batch_pushed_twice_gets_the_same_results_and_no_second_effect(
    world: World,
) -> None:
    await offline_ticket(world.a.store)
    await world.a.sync()
    first = [
        body
        for method, path, status, body in world.a.transport.seen
        if status == 200 and path == "/sync/push"
    ][-1]
    headers = {"Authorization": f"Bearer {world.a.token}"}
    async with httpx.AsyncClient(transport=world.a.transport, base_url="http://desk") as http:
        one = (await http.post("/sync/push", json=first, headers=headers)).json()
        two = (await http.post("/sync/push", json=first, headers=headers)).json()
    assert one == two and [r["outcome"] for r in one["results"]] == ["applied", "applied"]
    with world.engine.connect() as connection:
        assert len(connection.execute(select(t.messages)).all()) == 2


async def test_a_stale_transition_comes_back_rejected_as_a_conflict(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    await world.b.sync()
    # Amy asks for confirmation offline; meanwhile Bob replies and syncs first.
    await world.a.store.request_confirmation(
        ticket_id, "Card unblocked", "Does it work now?", actor_id="amy-local", now=NOW
    )
    await world.b.store.reply(ticket_id, "Also: try another card", author_id="bob-local", now=NOW)
    await world.b.sync()
    report = await world.a.sync(at=NOW + timedelta(minutes=1))
    assert report.rejected == 1
    conflicts = await world.a.store.conflicts()
    assert [(c.op.kind, c.reason) for c in conflicts] == [
        ("ticket.request_confirmation", "stale_transition")
    ]
    # The pull put the server's state back over the rejected local change.
    assert (await world.a.store.ticket(ticket_id)).status is TicketStatus.OPEN


async def test_the_cursor_advances_gap_free_over_small_pages(world: World) -> None:
    for _ in range(3):
        await offline_ticket(world.a.store)
    await world.a.sync()
    report = await world.b.sync(pull_page=1)
    with world.engine.connect() as connection:
        head = connection.execute(select(t.log_head.c.seq)).scalar_one()
    assert report.cursor == head == (await world.b.store.sync_status()).cursor
    asked = [
        int(body["cursor"])
        for method, path, status, body in world.b.transport.seen
        if path == "/sync/changes"
    ]
    # Each page continues where the last ended (transactions are never split, so steps vary).
    assert asked[0] == 0 and asked == sorted(set(asked)) and len(asked) > 2
    # Applying pulled pages logs nothing: B's log holds only its own customer upsert.
    assert len(await world.b.store.operations(limit=100_000)) == 1


async def test_a_failed_transport_leaves_ops_pending(world: World) -> None:
    await offline_ticket(world.a.store)
    before = await world.a.store.sync_status()
    offline = Site(world.a.store, world.a.token, Offline())
    with pytest.raises(Unreachable, match="unreachable"):
        await offline.sync()
    after = await world.a.store.sync_status()
    assert after.pending == before.pending == 2 and after.last_sync_at is None
    pending = await world.a.store.pending_operations()
    assert len(pending) == 2
    report = await world.a.sync()
    assert report.applied == 2


async def test_a_server_that_lost_an_op_gets_it_resent_from_its_expected_seq(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    await world.a.sync()
    reply_op = (await world.a.store.operations(limit=100_000))[-1]
    # As if the server were restored from a backup taken before the reply arrived.
    with world.engine.begin() as connection:
        connection.execute(delete(t.op_results).where(t.op_results.c.op_id == reply_op.op_id))
        connection.execute(
            delete(t.messages).where(t.messages.c.id == reply_op.payload["message_id"])
        )
        connection.execute(update(t.sync_clients).values(max_applied_seq=reply_op.seq - 1))
    await world.a.store.reply(ticket_id, "Any news?", author_id="amy-local", now=NOW, internal=True)
    await world.a.sync()
    with world.engine.connect() as connection:
        bodies = set(connection.execute(select(t.messages.c.body)).scalars())
    assert {"Looking into it", "Any news?"} <= bodies


async def test_big_ops_are_split_into_batches_under_the_body_limit(world: World) -> None:
    ticket_id = await offline_ticket(world.a.store)
    for index in range(14):  # some 1.3 MB in all: more than one body may carry
        body = f"{index} " + "x" * 90_000
        await world.a.store.reply(ticket_id, body, author_id="amy-local", now=NOW, internal=True)
    report = await world.a.sync()
    assert (report.applied, report.rejected) == (16, 0)
    pushes = [body for _m, path, status, body in world.a.transport.seen if path == "/sync/push"]
    sizes = [len(json.dumps(body)) for body in pushes]
    assert len(pushes) >= 3 and max(sizes) < 1024 * 1024


async def test_a_local_pull_next_syncs_as_a_claim_with_no_conflict(world: World) -> None:
    created = await world.a.store.create_ticket(
        NewTicket(subject="Card declined", body="It fails at checkout", customer_id="c1"), now=NOW
    )
    ticket_id = created.id
    await world.a.sync()
    # Amy's workstation knows her by a local id; the server by her account.
    amy = Agent("amy-local", "amy", "Amy", departments=("general",))
    await world.a.store.add_agents([amy])
    pulled = await world.a.store.claim_next(amy, NOW)
    assert pulled is not None and pulled.id == ticket_id
    report = await world.a.sync(at=NOW + timedelta(seconds=30))
    assert (report.pushed, report.applied, report.rejected) == (1, 1, 0)
    assert await world.a.store.conflicts() == []
    with world.engine.connect() as connection:
        account = connection.execute(select(t.agents.c.id).where(t.agents.c.handle == "amy"))
        amy_id = account.scalar_one()
        owner = connection.execute(
            select(t.ticket_claims.c.owner_agent_id).where(t.ticket_claims.c.ticket_id == ticket_id)
        ).scalar_one()
        assignee = connection.execute(
            select(t.tickets.c.assignee_id).where(t.tickets.c.id == ticket_id)
        ).scalar_one()
    assert owner == assignee == amy_id
    # Her later work on the ticket passes the claim the pull took (quoting the epoch the
    # round learnt).
    await world.a.store.request_confirmation(
        ticket_id, "Card unblocked", "Does it work now?", actor_id="amy-local", now=NOW
    )
    later = await world.a.sync(at=NOW + timedelta(minutes=1))
    assert [c.reason for c in await world.a.store.conflicts()] == []
    assert (later.pushed, later.rejected) == (1, 0)
