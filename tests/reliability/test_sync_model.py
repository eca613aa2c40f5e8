"""A model-based test of sync: clients offline and online against one server, under faults.

Hypothesis drives two clients (SQLite stores in a temporary folder, each with its own agent
token) and one server (the app in-process over ASGI on a SQLite file). Clients work offline
(create, reply, note, ask, request confirmation, close, pull-next, transfer, link, CSAT) and
the server hands out claims. Between local actions, clients sync through a transport that
duplicates pushes, loses the answer after the server committed, replays an old batch late
(reordering) and fails a pull, and clients use small pull pages and push batches. Clients crash
(their store is reopened from the file) and the server restarts (a new app on the same
database). After every step the invariants below must hold; at the end, with faults off, two
rounds per client make every client's view of the server's tickets equal the server's: status,
fields, version and messages (rejected ops rolled back).

Profiles: CI runs a fixed, derandomized set of `CI_EXAMPLES` examples (about 15 s here). For a
longer random search set AGENTDESK_MODEL_EXAMPLES, e.g.
`AGENTDESK_MODEL_EXAMPLES=300 python -m pytest tests/reliability/test_sync_model.py`;
AGENTDESK_MODEL_STEPS sets the steps per example (40 by default in long runs), and
AGENTDESK_LONG_TESTS=1 means 200 examples.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)
from sqlalchemy import select

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.errors import DomainError
from agentdesk.domain.lifecycle import TRANSITIONS
from agentdesk.domain.model import Agent, Customer, Department, LinkKind, Role, Ticket, TicketStatus
from agentdesk.domain.outbox import DeliveryState, initial_state
from agentdesk.domain.routing import CannotPull
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app
from agentdesk.server.database import create_server_engine, upgrade
from agentdesk.server.tickets import ticket_from_row
from agentdesk.store.errors import StoreError
from agentdesk.store.sqlite import SqliteStore
from agentdesk.sync import SyncFailure, sync_once

LONG_EXAMPLES = int(
    os.environ.get("AGENTDESK_MODEL_EXAMPLES")
    or ("200" if os.environ.get("AGENTDESK_LONG_TESTS") == "1" else "0")
)
LONG = LONG_EXAMPLES > 0
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HANDLES = ("amy", "bob")
DEPARTMENTS = ("general", "billing")
CI_EXAMPLES = 12


@cache
def _migrated_template() -> Path:
    """One migrated server database, copied per example (migrating each time is slow)."""
    folder = Path(tempfile.mkdtemp(prefix="agentdesk-model-"))
    path = folder / "template.db"
    engine = create_server_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@dataclass
class Faults:
    """What the transport does to this round's pushes (all off: a clean network)."""

    duplicate: bool = False
    drop_answer_at: int | None = None  # the nth push of the round commits, its answer is lost
    replay_old: bool = False  # an earlier batch arrives again before this one
    fail_pull: bool = False  # the round's first pull request fails (after its push)


class FaultyTransport(httpx.AsyncBaseTransport):
    """Forwards to the current app (it changes when the server restarts), injecting `faults`."""

    def __init__(self, world: SyncModel) -> None:
        self.world = world
        self.faults = Faults()
        self.old_pushes: list[httpx.Request] = []
        self.pushes = 0

    async def _forward(self, request: httpx.Request) -> httpx.Response:
        copy = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.content
        )
        inner = httpx.ASGITransport(app=self.world.app)
        response = await inner.handle_async_request(copy)
        await response.aread()
        return response

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        if request.url.path == "/sync/changes" and self.faults.fail_pull:
            self.faults.fail_pull = False
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path != "/sync/push":
            return await self._forward(request)
        faults = self.faults
        if faults.replay_old and self.old_pushes:
            await self._forward(self.old_pushes[0])
        response = await self._forward(request)
        if faults.duplicate:
            response = await self._forward(request)
        self.old_pushes.append(request)
        self.pushes += 1
        if faults.drop_answer_at == self.pushes:
            raise httpx.ReadError("connection reset after the server answered", request=request)
        return response


@dataclass
class Client:
    handle: str
    path: Path
    token: str
    agent_id: str
    store: SqliteStore
    transport: FaultyTransport
    bodies: set[str] = field(default_factory=set)


class SyncModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = Path(tempfile.mkdtemp(prefix="agentdesk-model-"))
        db = self.folder / "server.db"
        shutil.copy(_migrated_template(), db)
        self.url = f"sqlite:///{db}"
        self.now = START
        self.counter = 0
        self.app: FastAPI = self._start_server()
        self.clients: list[Client] = []
        with self.app.state.engine.begin() as connection:
            accounts = [add_agent(connection, handle, role=Role.AGENT) for handle in HANDLES]
        for handle, (account, token) in zip(HANDLES, accounts, strict=True):
            path = self.folder / f"{handle}.db"
            store = self.run(self._open(path, create=True))
            self.run(store.add_customers([Customer("c1", "Ann Customer")]))
            self.run(store.add_departments([Department(d, d) for d in DEPARTMENTS]))
            # The local agent has the server's id, as a workstation logged in as it would.
            self.run(
                store.add_agents(
                    [Agent(account.id, handle, handle, departments=DEPARTMENTS, capacity=99)]
                )
            )
            self.clients.append(
                Client(handle, path, token, account.id, store, FaultyTransport(self))
            )

    # -- plumbing ------------------------------------------------------------------------------
    def run(self, coroutine: Any) -> Any:
        return self.loop.run_until_complete(coroutine)

    def _start_server(self) -> FastAPI:
        return create_app(
            self.url,
            clock=lambda: self.now,
            limits=Limits(requests_per_second=100_000, burst=100_000),
        )

    @staticmethod
    async def _open(path: Path, *, create: bool = False) -> SqliteStore:
        store = SqliteStore(path, create=create)
        await store.open()
        return store

    def _tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def _label(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    async def _ticket_ids(self, client: Client) -> list[str]:
        ids: list[str] = []
        async for batch in client.store.iter_tickets():
            ids += [ticket.id for ticket in batch]
        return sorted(ids)

    async def _sync(self, client: Client, *, push_batch: int = 100, pull_page: int = 500) -> None:
        client.transport.pushes = 0
        await sync_once(
            client.store,
            "http://desk",
            client.token,
            client.store.info().client_id,
            now=self._tick(),
            transport=client.transport,
            push_batch=push_batch,
            pull_page=pull_page,
        )

    def teardown(self) -> None:
        try:
            for client in self.clients:
                client.transport.faults = Faults()
            for _round in range(2):
                for client in self.clients:
                    self.run(self._sync(client))
            self.run(self._check_convergence())
            self._note_coverage()
        finally:
            for client in self.clients:
                self.run(client.store.close())
            self.app.state.engine.dispose()
            self.loop.close()
            shutil.rmtree(self.folder, ignore_errors=True)

    # -- rules: local work ---------------------------------------------------------------------
    @initialize(per_client=st.integers(1, 2))
    def some_tickets_on_every_client(self, per_client: int) -> None:
        # So that short runs too have tickets to reply to, transition and fight over.
        for who in range(len(self.clients)):
            for _ in range(per_client):
                self.create_ticket_offline(who)
            self.run(self._sync(self.clients[who]))

    @rule(who=st.sampled_from(range(len(HANDLES))))
    def create_ticket_offline(self, who: int) -> None:
        client = self.clients[who]
        subject = self._label("subject-")
        new = NewTicket(subject=subject, body=f"body of {subject}", customer_id="c1")
        self.run(client.store.create_ticket(new, now=self._tick()))

    @rule(
        who=st.sampled_from(range(len(HANDLES))),
        kind=st.sampled_from(["reply", "note", "ask", "confirm", "close"]),
        data=st.data(),
    )
    def act_on_a_ticket(self, who: int, kind: str, data: st.DataObject) -> None:
        client = self.clients[who]
        ids = self.run(self._ticket_ids(client))
        if not ids:
            return
        ticket_id = data.draw(st.sampled_from(ids), label="ticket")
        body = self._label(f"{kind}-")
        store, now, actor = client.store, self._tick(), client.agent_id
        try:
            if kind in ("reply", "note", "ask"):
                self.run(
                    store.reply(
                        ticket_id,
                        body,
                        author_id=actor,
                        now=now,
                        internal=kind == "note",
                        wait_on_customer=kind == "ask",
                    )
                )
            elif kind == "confirm":
                self.run(
                    store.request_confirmation(ticket_id, "fixed", body, actor_id=actor, now=now)
                )
            else:
                self.run(store.close_confirmed(ticket_id, "fixed", body, actor_id=actor, now=now))
        except (DomainError, StoreError):
            return  # the local rules refused it: nothing was logged

    @rule(who=st.sampled_from(range(len(HANDLES))))
    def pull_next_offline(self, who: int) -> None:
        """Take the next ticket locally: it syncs as an assign op (a claim on the server)."""
        client = self.clients[who]
        agent = self.run(client.store.agent_by_handle(client.handle))
        try:
            self.run(client.store.claim_next(agent, self._tick()))
        except (DomainError, StoreError, CannotPull):
            return

    @rule(
        who=st.sampled_from(range(len(HANDLES))),
        kind=st.sampled_from(["transfer", "link", "csat"]),
        data=st.data(),
    )
    def edit_a_ticket(self, who: int, kind: str, data: st.DataObject) -> None:
        """The other pushed kinds: a transfer (releases the claim), a link, a field (LWW)."""
        client = self.clients[who]
        ids = self.run(self._ticket_ids(client))
        if not ids:
            return
        ticket_id = data.draw(st.sampled_from(ids), label="ticket")
        store, now, actor = client.store, self._tick(), client.agent_id
        try:
            if kind == "transfer":
                ticket = self.run(store.ticket(ticket_id))
                target = next(d for d in DEPARTMENTS if d != ticket.department_id)
                note = self._label("transfer-")
                self.run(store.transfer(ticket_id, target, note, actor_id=actor, now=now))
            elif kind == "link":
                ref = data.draw(st.sampled_from(["kb-1", "kb-2"]), label="article")
                self.run(store.link(ticket_id, LinkKind.ARTICLE, ref, ref, actor_id=actor, now=now))
            else:
                score = data.draw(st.integers(1, 5), label="csat")
                self.run(store.record_csat(ticket_id, score, actor_id=actor, now=now))
        except (DomainError, StoreError):
            return

    @rule(who=st.sampled_from(range(len(HANDLES))))
    def claim_next_on_the_server(self, who: int) -> None:
        client = self.clients[who]

        async def claim() -> None:
            async with httpx.AsyncClient(
                base_url="http://desk",
                transport=httpx.ASGITransport(app=self.app),
                headers={"Authorization": f"Bearer {client.token}"},
            ) as http:
                response = await http.post("/tickets/claim-next")
                assert response.status_code == 200, response.text

        self._tick()
        self.run(claim())

    # -- rules: sync under faults, crashes, restarts -------------------------------------------
    @rule(
        who=st.sampled_from(range(len(HANDLES))),
        duplicate=st.booleans(),
        drop_answer_at=st.none() | st.integers(1, 3),
        replay_old=st.booleans(),
        fail_pull=st.booleans(),
        push_batch=st.sampled_from([1, 2, 100]),
        pull_page=st.sampled_from([1, 2, 500]),
    )
    def sync_with_faults(
        self,
        who: int,
        duplicate: bool,
        drop_answer_at: int | None,
        replay_old: bool,
        fail_pull: bool,
        push_batch: int,
        pull_page: int,
    ) -> None:
        client = self.clients[who]
        client.transport.faults = Faults(duplicate, drop_answer_at, replay_old, fail_pull)
        try:
            self.run(self._sync(client, push_batch=push_batch, pull_page=pull_page))
        except SyncFailure:
            pass  # a lost answer or pull: the next round finishes the work
        finally:
            client.transport.faults = Faults()

    @rule(who=st.sampled_from(range(len(HANDLES))))
    def client_crashes(self, who: int) -> None:
        client = self.clients[who]
        self.run(client.store.close())
        client.store = self.run(self._open(client.path))

    @rule()
    def server_restarts(self) -> None:
        self.app.state.engine.dispose()
        self.app = self._start_server()

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def acknowledged_ops_are_on_the_server_and_rejections_are_conflicts(self) -> None:
        with self.app.state.engine.connect() as connection:
            rows = connection.execute(
                select(t.op_results.c.op_id, t.op_results.c.client_id, t.op_results.c.outcome)
            ).all()
        outcomes = {row.op_id: (row.client_id, _outcome(row.outcome)) for row in rows}
        for client in self.clients:
            store = client.store
            client_id = store.info().client_id
            ops = self.run(store.operations(limit=1_000_000))
            pushable = {op.op_id for op in ops if initial_state(op.kind) is DeliveryState.PENDING}
            pending = {op.op_id for op in self.run(store.pending_operations(limit=1_000_000))}
            conflicts = {c.op.op_id for c in self.run(store.conflicts())}
            assert pending <= pushable and conflicts <= pushable
            for op_id in pushable - pending:
                # Written before field edits and transfers synced: an acknowledged op may also
                # be `applied_lost_lww` (a field write that lost is acked, not a conflict).
                expected = {"rejected"} if op_id in conflicts else {"applied", "applied_lost_lww"}
                owner, outcome = outcomes.get(op_id, (None, None))
                assert owner == client_id and outcome in expected, (
                    f"{client.handle}: op {op_id} is {expected} locally, server has "
                    f"{outcomes.get(op_id)}"
                )
            # Whatever the server decided on an op the client still holds pending is recorded
            # there and will reach the client with the next answer; nothing else is unknown.
            for op_id, (owner, _outcome_kind) in outcomes.items():
                if owner == client_id:
                    assert op_id in pushable, f"the server holds an op {client.handle} never logged"

    @invariant()
    def no_effect_on_the_server_twice(self) -> None:
        with self.app.state.engine.connect() as connection:
            bodies = Counter(connection.execute(select(t.messages.c.body)).scalars())
        # Every body the model writes is unique, the customer's first message of each ticket
        # included: a body found twice is an op (a create, a reply) applied twice.
        # The server's own opening line of a follow-up ticket is not written by the model: two
        # replies to the same closed ticket each start a follow-up with that same line, which
        # is two ops' effects, not one op applied twice.
        assert not [
            body
            for body, count in bodies.items()
            if count > 1 and not body.startswith("Follow-up of #")
        ]

    @invariant()
    def one_live_owner_per_ticket(self) -> None:
        with self.app.state.engine.connect() as connection:
            claims = connection.execute(select(t.ticket_claims)).all()
        owners: dict[str, set[str]] = defaultdict(set)
        for claim in claims:
            if claim.owner_agent_id is not None and claim.lease_expires_at > self.now:
                owners[claim.ticket_id].add(claim.owner_agent_id)
        assert all(len(holders) == 1 for holders in owners.values())

    @invariant()
    def the_change_log_has_no_gaps_and_valid_status_histories(self) -> None:
        with self.app.state.engine.connect() as connection:
            head = connection.execute(select(t.log_head.c.seq)).scalar_one()
            log = connection.execute(
                select(
                    t.change_log.c.server_seq, t.change_log.c.kind, t.change_log.c.payload
                ).order_by(t.change_log.c.server_seq)
            ).all()
            statuses = dict(connection.execute(select(t.tickets.c.id, t.tickets.c.status)).all())
        assert [row.server_seq for row in log] == list(range(1, head + 1))
        histories: dict[str, list[TicketStatus]] = defaultdict(list)
        for row in log:
            if row.kind == "ticket_state":
                payload = _payload(row.payload)
                histories[payload["id"]].append(TicketStatus(payload["status"]))
        for ticket_id, history in histories.items():
            for before, after in pairwise(history):
                # A closed ticket has no transitions, so it stays closed.
                assert after in {before, *TRANSITIONS[before].values()}, (
                    f"ticket {ticket_id}: {before.value} -> {after.value} in {history}"
                )
            assert history[-1].value == statuses[ticket_id]

    def _note_coverage(self) -> None:
        """Statistics (pytest --hypothesis-show-statistics): how much the faults really did."""
        with self.app.state.engine.connect() as connection:
            outcomes = Counter(
                _outcome(raw)
                for raw in connection.execute(select(t.op_results.c.outcome)).scalars()
            )
            tickets = len(connection.execute(select(t.tickets.c.id)).all())
        event("applied ops", _bucket(outcomes["applied"]))
        event("rejected ops", _bucket(outcomes["rejected"]))
        event("server tickets", _bucket(tickets))

    async def _check_convergence(self) -> None:
        with self.app.state.engine.connect() as connection:
            head = connection.execute(select(t.log_head.c.seq)).scalar_one()
            rows = connection.execute(select(t.tickets)).all()
            tickets = {row.id: row.status for row in rows}
            # What both sides hold under the same names (assignees are per-site agent ids).
            fields = {row.id: _fields(ticket_from_row(row)) for row in rows}
            messages: dict[str, set[str]] = defaultdict(set)
            for row in connection.execute(select(t.messages.c.ticket_id, t.messages.c.id)):
                messages[row.ticket_id].add(row.id)
        for client in self.clients:
            store = client.store
            status = await store.sync_status()
            assert (status.pending, status.cursor) == (0, head), client.handle
            conflicted = {c.op.payload.get("message_id") for c in await store.conflicts()}
            for ticket_id, server_status in tickets.items():
                local = await store.ticket(ticket_id)
                assert local.status.value == server_status, (client.handle, ticket_id)
                assert _fields(local) == fields[ticket_id], (client.handle, ticket_id)
                local_messages = {m.id for m in await store.messages(ticket_id)}
                # Messages of rejected ops stay visible next to their conflict, nowhere else.
                assert local_messages - messages[ticket_id] <= conflicted, (
                    client.handle,
                    ticket_id,
                )
                assert messages[ticket_id] <= local_messages, (client.handle, ticket_id)


def _fields(ticket: Ticket) -> tuple[object, ...]:
    links = sorted((link.kind.value, link.ref_id) for link in ticket.links)
    return (
        ticket.status,
        ticket.department_id,
        ticket.csat,
        ticket.resolution,
        ticket.priority,
        links,
        ticket.version,
    )


def _payload(raw: object) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw)  # type: ignore[arg-type]


def _bucket(count: int) -> str:
    return "0" if count == 0 else "1-4" if count < 5 else "5+"


def _outcome(raw: object) -> str:
    return str(_payload(raw)["outcome"])


SyncModel.TestCase.settings = settings(
    max_examples=LONG_EXAMPLES if LONG else CI_EXAMPLES,
    stateful_step_count=int(os.environ.get("AGENTDESK_MODEL_STEPS") or 40) if LONG else 25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not LONG,
)
TestSyncSurvivesFaultsCrashesAndRestarts = SyncModel.TestCase
