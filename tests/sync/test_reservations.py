"""Reservations over sync: reserve online, pull and work offline, come back (SYNC.md §6.2).

Two client stores and the server app over HTTP (ASGI, no sockets), with a clock the test moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.held_claims import ReservePolicy, nothing_to_pull, reserved_count
from agentdesk.domain.model import Agent, Customer, MessageKind, Role
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app
from agentdesk.store.base import Store
from agentdesk.store.sqlite import SqliteStore
from agentdesk.sync import SyncReport, Unreachable, sync_once
from tests.server.conftest import Clock, sqlite_url
from tests.sync.test_round_trip import Offline

HOUR = timedelta(hours=1)
TWO_FOR_AN_HOUR = ReservePolicy(2, 1.0)
AMY = Agent("amy-local", "amy", "Amy", departments=("general",))
BOB = Agent("bob-local", "bob", "Bob", departments=("general",))
LEE = Agent("lee-local", "lee", "Lee", departments=("general",))


@dataclass
class Desk:
    """One workstation: its store, its agent's token, and whether it can reach the server."""

    store: Store
    token: str
    clock: Clock
    app: object
    online: bool = True

    async def sync(self, reserve: ReservePolicy = TWO_FOR_AN_HOUR) -> SyncReport:
        transport = httpx.ASGITransport(app=self.app) if self.online else Offline()  # type: ignore[arg-type]
        return await sync_once(
            self.store,
            "http://desk",
            self.token,
            self.store.info().client_id,
            now=self.clock(),
            transport=transport,
            reserve=reserve,
        )


@dataclass
class Office:
    engine: Engine
    clock: Clock
    headers: dict[str, dict[str, str]]
    amy: Desk
    lee: Desk
    http: httpx.AsyncClient

    async def new_ticket(self, subject: str) -> str:
        body = {"subject": subject, "body": "Please help", "customer_id": "c1"}
        response = await self.http.post("/tickets", json=body, headers=self.headers["lee"])
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def server_ticket(self, ticket_id: str) -> Any:
        with self.engine.connect() as connection:
            return connection.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).one()

    def server_agent(self, handle: str) -> str:
        with self.engine.connect() as connection:
            found = select(t.agents.c.id).where(t.agents.c.handle == handle)
            return str(connection.execute(found).scalar_one())

    def server_messages(self, ticket_id: str) -> list[str]:
        with self.engine.connect() as connection:
            found = select(t.messages.c.body).where(t.messages.c.ticket_id == ticket_id)
            return list(connection.execute(found).scalars())


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    clock = Clock()
    app = create_app(
        sqlite_url(tmp_path), clock=clock, limits=Limits(requests_per_second=1e4, burst=10_000)
    )
    engine = app.state.engine
    tokens = {}
    with engine.begin() as connection:
        for handle, role in (("amy", Role.AGENT), ("bob", Role.AGENT), ("lee", Role.LEAD)):
            _account, tokens[handle] = add_agent(connection, handle, role=role)
    headers = {handle: {"Authorization": f"Bearer {token}"} for handle, token in tokens.items()}
    desks = []
    for handle in ("amy", "lee"):
        store = SqliteStore(tmp_path / f"{handle}.db", create=True)
        await store.open()
        await store.add_agents([AMY, BOB, LEE])
        await store.add_customers([Customer("c1", "Ann Customer")])
        desks.append(Desk(store, tokens[handle], clock, app))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk"
    ) as http:
        yield Office(engine, clock, headers, *desks, http)
    for desk in desks:
        await desk.store.close()
    engine.dispose()


async def work_offline_on_next(desk: Desk) -> str:
    """Offline: pull the next reserved ticket, reply, and ask the customer to confirm."""
    desk.online = False
    ticket = await desk.store.claim_next(AMY, desk.clock(), reserved_only=True)
    assert ticket is not None
    now = desk.clock()
    await desk.store.reply(ticket.id, "Refund sent", author_id=AMY.id, now=now)
    await desk.store.request_confirmation(
        ticket.id, "Refunded", "Did it arrive?", actor_id=AMY.id, now=now
    )
    with pytest.raises(Unreachable):
        await desk.sync()
    desk.online = True
    return ticket.id


async def test_reserved_online_pulled_offline_applies_when_back(office: Office) -> None:
    first = await office.new_ticket("Refund please")
    await office.new_ticket("Where is my parcel")
    await office.amy.sync()
    status = await office.amy.store.sync_status()
    assert reserved_count(status.reserved_until, office.clock()) == 2
    office.clock.advance(timedelta(minutes=20))
    ticket_id = await work_offline_on_next(office.amy)
    assert ticket_id == first
    left = (await office.amy.store.sync_status()).reserved_until
    assert reserved_count(left, office.clock()) == 1
    office.clock.advance(timedelta(minutes=20))
    report = await office.amy.sync()
    assert (report.pushed, report.applied, report.rejected) == (3, 3, 0)
    assert await office.amy.store.conflicts() == []
    row = office.server_ticket(ticket_id)
    assert row.assignee_id == office.server_agent("amy")
    assert row.status == "awaiting_confirmation"
    assert "Refund sent" in office.server_messages(ticket_id)
    # Topped up again: one untaken plus a fresh one would need a third ticket; the taken one
    # is still held, renewed, with the epoch the offline work quoted.
    held = {c.ticket_id: c for c in await office.amy.store.held_claims()}
    assert held[ticket_id].taken and held[ticket_id].epoch == 1 and not held[ticket_id].lost


async def test_a_lease_run_out_offline_loses_the_ops_but_keeps_the_reply(office: Office) -> None:
    await office.new_ticket("Refund please")
    await office.amy.sync()
    ticket_id = await work_offline_on_next(office.amy)
    office.clock.advance(HOUR + timedelta(minutes=1))
    # Meanwhile Bob, online, takes the ticket whose reservation lapsed.
    taken = await office.http.post("/tickets/claim-next", headers=office.headers["bob"])
    assert taken.json()["claim"]["ticket"]["id"] == ticket_id
    report = await office.amy.sync()
    assert (report.pushed, report.rejected) == (3, 2)
    conflicts = await office.amy.store.conflicts()
    assert sorted((c.op.kind, c.reason) for c in conflicts) == [
        ("ticket.assign", "claim_lost"),
        ("ticket.request_confirmation", "claim_lost"),
    ]
    assert "Refund sent" in office.server_messages(ticket_id)  # what she wrote is kept
    held = {c.ticket_id: c for c in await office.amy.store.held_claims()}
    assert held[ticket_id].lost


async def test_a_revoked_reservation_fences_the_offline_work(office: Office) -> None:
    await office.new_ticket("Refund please")
    await office.amy.sync()
    ticket_id = await work_offline_on_next(office.amy)
    revoked = await office.http.post(f"/tickets/{ticket_id}/revoke", headers=office.headers["lee"])
    assert revoked.status_code == 200, revoked.text
    report = await office.amy.sync()
    assert report.rejected == 2
    reasons = {c.op.kind: c.reason for c in await office.amy.store.conflicts()}
    assert reasons == {"ticket.assign": "claim_lost", "ticket.request_confirmation": "claim_lost"}
    assert "Refund sent" in office.server_messages(ticket_id)


async def test_offline_with_nothing_reserved_pulls_nothing(office: Office) -> None:
    await office.amy.sync(ReservePolicy(0, 1.0))
    await office.new_ticket("Refund please")
    office.amy.online = False
    with pytest.raises(Unreachable):
        await office.amy.sync()
    assert await office.amy.store.claim_next(AMY, office.clock(), reserved_only=True) is None
    assert "Offline and no ticket reserved" in nothing_to_pull(online=False, reserved=0)


async def test_rounds_renew_reservations_past_their_first_lease(office: Office) -> None:
    ticket_id = await office.new_ticket("Refund please")
    await office.amy.sync(ReservePolicy(1, 1.0))
    for _ in range(4):
        office.clock.advance(timedelta(minutes=50))
        await office.amy.sync(ReservePolicy(1, 1.0))
    bob = await office.http.post("/tickets/claim-next", headers=office.headers["bob"])
    assert bob.json()["claim"] is None
    held = await office.amy.store.held_claims()
    assert [(c.ticket_id, c.lost) for c in held] == [(ticket_id, False)]


async def test_a_leads_reassignment_on_a_workstation_names_the_server_agent(
    office: Office,
) -> None:
    ticket_id = await office.new_ticket("Refund please")
    await office.lee.sync(ReservePolicy(0, 1.0))
    await office.lee.store.assign(ticket_id, BOB.id, actor_id=LEE.id, now=office.clock())
    report = await office.lee.sync(ReservePolicy(0, 1.0))
    assert (report.applied, report.rejected) == (1, 0), await office.lee.store.conflicts()
    bob_id = office.server_agent("bob")
    assert office.server_ticket(ticket_id).assignee_id == bob_id
    messages = await office.lee.store.messages(ticket_id)
    assert any(m.kind is MessageKind.CUSTOMER for m in messages)


async def test_created_offline_then_reserved_elsewhere_is_not_pulled_twice(office: Office) -> None:
    # A ticket Lee creates on his workstation reaches the server; Amy reserves it; Lee's own
    # sync-mode pull-next (no reservation of his) cannot take it.
    await office.lee.store.create_ticket(
        NewTicket(subject="Card declined", body="It fails", customer_id="c1"), now=office.clock()
    )
    await office.lee.sync(ReservePolicy(0, 1.0))
    await office.amy.sync()
    assert len(await office.amy.store.held_claims()) == 1
    await office.lee.sync(ReservePolicy(1, 1.0))
    assert await office.lee.store.claim_next(LEE, office.clock(), reserved_only=True) is None


async def test_taking_a_ticket_again_after_the_loss_is_a_fresh_attempt(office: Office) -> None:
    await office.new_ticket("Refund please")
    await office.amy.sync()
    ticket_id = await work_offline_on_next(office.amy)
    await office.http.post(f"/tickets/{ticket_id}/revoke", headers=office.headers["lee"])
    office.clock.advance(timedelta(minutes=1))
    first = await office.amy.sync(ReservePolicy(0, 1.0))
    assert first.rejected == 2
    # The conflicts told her; she takes the ticket again, knowingly, on the current state.
    office.clock.advance(timedelta(minutes=1))
    await office.amy.store.assign(ticket_id, AMY.id, actor_id=AMY.id, now=office.clock())
    again = await office.amy.sync(ReservePolicy(0, 1.0))
    assert (again.pushed, again.applied, again.rejected) == (1, 1, 0)
    assert office.server_ticket(ticket_id).assignee_id == office.server_agent("amy")
