"""SyncedStore's link: write-through while up, queued while down, a full round brings it back.

The server app runs in process (ASGI, no sockets); the contract suite runs the same backend
against a real server process (tests/store/remote_backend.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from agentdesk.cli_sync import background_round
from agentdesk.credentials import ServerCredentials
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Agent, Customer, Role
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app
from agentdesk.store.remote import ServerLink, SyncedStore
from agentdesk.store.sqlite import SqliteStore
from agentdesk.sync import Unreachable
from tests.server.conftest import sqlite_url
from tests.sync.test_round_trip import NOW, Offline, Recording


class Switch(httpx.AsyncBaseTransport):
    """The app while `up`, a refused connection otherwise."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.up = inner, True

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            return await Offline().handle_async_request(request)
        return await self.inner.handle_async_request(request)


@asynccontextmanager
async def desk(
    tmp_path: Path, handle: str, role: Role, *others: str
) -> AsyncIterator[tuple[SyncedStore, Switch, Recording, FastAPI]]:
    """A server app with `handle` (whose token the desk uses) and `others` as agents."""
    app = create_app(
        sqlite_url(tmp_path),
        clock=lambda: NOW,
        limits=Limits(requests_per_second=10_000, burst=10_000),
    )
    with app.state.engine.begin() as connection:
        _account, token = add_agent(connection, handle, role=role)
        for other in others:
            add_agent(connection, other, role=Role.AGENT)
    recording = Recording(httpx.ASGITransport(app=app))
    switch = Switch(recording)
    store = SyncedStore(
        SqliteStore(tmp_path / "a.db", create=True),
        ServerLink("http://desk", token, transport=switch),
        clock=lambda: NOW,
    )
    await store.open()
    yield store, switch, recording, app
    await store.close()
    app.state.engine.dispose()


@pytest.fixture
async def linked(tmp_path: Path) -> AsyncIterator[tuple[SyncedStore, Switch, Recording]]:
    async with desk(tmp_path, "amy", Role.AGENT) as (store, switch, recording, _app):
        await store.add_customers([Customer("c1", "Ann")])
        yield store, switch, recording


def pushes(recording: Recording) -> int:
    return sum(1 for _method, path, status, _ in recording.seen if path == "/sync/push")


async def test_writes_are_pushed_as_they_are_made_while_the_link_is_up(
    linked: tuple[SyncedStore, Switch, Recording],
) -> None:
    store, _switch, recording = linked
    ticket = await store.create_ticket(NewTicket("Card", "Declined", "c1"), now=NOW)
    assert (await store.sync_status()).pending == 0
    await store.reply(ticket.id, "On it", author_id="me", now=NOW)
    assert (await store.sync_status()).pending == 0
    assert store.online and pushes(recording) >= 2
    # Reads are the replica's: no pull happened, the cursor has not moved.
    assert recording.seen[-1][1] == "/sync/push"
    assert (await store.sync_status()).cursor == 0
    assert store.info().backend == "remote"


async def test_while_down_writes_commit_locally_and_queue_until_a_round_succeeds(
    linked: tuple[SyncedStore, Switch, Recording],
) -> None:
    store, switch, recording = linked
    switch.up = False
    ticket = await store.create_ticket(NewTicket("Card", "Declined", "c1"), now=NOW)
    assert not store.online and isinstance(store.last_failure, Unreachable)
    tried = len(recording.seen)
    await store.reply(ticket.id, "On it", author_id="me", now=NOW)
    # Down: the second write is not even tried, and both wait in the outbox.
    assert len(recording.seen) == tried and (await store.sync_status()).pending == 2
    assert (await store.ticket(ticket.id)).first_response_at == NOW
    with pytest.raises(Unreachable):
        await store.sync()
    switch.up = True
    report = await background_round(store, ServerCredentials("http://desk", None, ""), NOW)
    assert (report.pushed, report.applied) == (2, 2)
    assert store.online and store.last_failure is None
    assert (await store.sync_status()).pending == 0
    assert report.cursor > 0  # the round pulled the server's copy back


async def test_an_unlinked_store_is_the_replica_alone(tmp_path: Path) -> None:
    store = SyncedStore(SqliteStore(tmp_path / "a.db", create=True))
    await store.open()
    await store.add_customers([Customer("c1", "Ann")])
    await store.create_ticket(NewTicket("Card", "Declined", "c1"), now=NOW)
    assert await store.push() is None and not store.online
    assert store.info() == store.replica.info()
    assert (await store.sync_status()).pending == 1
    with pytest.raises(RuntimeError):
        await store.sync()
    await store.close()


class Gate(httpx.AsyncBaseTransport):
    """Holds pulls until opened; pushes pass."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.open, self.pulling = inner, asyncio.Event(), asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sync/changes":
            self.pulling.set()
            await self.open.wait()
        return await self.inner.handle_async_request(request)


async def test_a_write_never_waits_behind_a_round_and_the_round_pushes_it(
    linked: tuple[SyncedStore, Switch, Recording],
) -> None:
    store, switch, _recording = linked
    gate = Gate(switch)
    store.server = ServerLink("http://desk", store.server.token if store.server else "", gate)
    ticket = await store.create_ticket(NewTicket("Card", "Declined", "c1"), now=NOW)
    round_ = asyncio.create_task(store.sync())
    await gate.pulling.wait()
    # The round is stuck pulling; the write commits and returns without waiting for it.
    await asyncio.wait_for(store.reply(ticket.id, "On it", author_id="me", now=NOW), 5)
    assert (await store.sync_status()).pending == 1 and not round_.done()
    gate.open.set()
    await round_
    assert (await store.sync_status()).pending == 0


async def test_a_leads_new_skill_level_reaches_the_servers_routing(tmp_path: Path) -> None:
    async with desk(tmp_path, "lee", Role.LEAD, "jo") as (store, switch, _recording, app):
        lead, junior = Agent("ag-lee", "lee", "Lee", role=Role.LEAD), Agent("ag-jo", "jo", "Jo")
        await store.add_agents([lead, junior])

        def server_skills() -> object:
            with app.state.engine.connect() as connection:
                return connection.execute(
                    select(t.agents.c.skills).where(t.agents.c.handle == "jo")
                ).scalar_one()

        await store.set_skill_level(junior.id, "complaints", 3, actor_id=lead.id, now=NOW)
        assert server_skills() == {"complaints": 3}
        switch.up = False  # offline: the level is the desk's until an admin sets it on the server
        await store.set_skill_level(junior.id, "complaints", 4, actor_id=lead.id, now=NOW)
        assert (await store.agent_by_handle("jo")).skills == {"complaints": 4}
        assert server_skills() == {"complaints": 3} and not store.online
