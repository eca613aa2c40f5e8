"""The remote backend for the contract suite: a replica linked to a real `agentdesk serve`.

One server process per session, on its own throwaway PostgreSQL database, emptied before each
test. Each test's store is a `SyncedStore` over a fresh SQLite replica, pushing as a lead
account; the fixture agents also exist on the server under their ids, so assignments to them
mean the same on both sides. Reference data (departments, agents, KB, scripts) has no server
endpoint yet, so it is seeded into each replica locally, as before.

After a test, `assert_converged` runs a full round and checks the store against a second,
fresh replica that only ever pulled: see its docstring.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

from agentdesk.domain.model import Role, Ticket
from agentdesk.domain.sync_ops import LOCAL_ONLY_KINDS
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent, hash_token
from agentdesk.server.database import create_server_engine
from agentdesk.store.base import Store
from agentdesk.store.remote import ServerLink, SyncedStore
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import AGENTS
from tests.server.conftest import empty, throwaway_database
from tests.server.test_process import serve_process

# Contract tests that drive the outbox by hand (made-up push results, made-up pulled pages):
# with the remote backend they run on a replica whose link is down, the offline half of its
# semantics; a real server's answers would contradict the made-up ones, so the convergence
# check is not run after them.
OFFLINE_MARK = "offline_replica"


@dataclass
class RemoteServer:
    base: str
    engine: Engine

    def fresh_accounts(self) -> tuple[str, str]:
        """Empty the database; a lead token to push with and an agent token to read with."""
        empty(self.engine)
        with self.engine.begin() as connection:
            for agent in AGENTS:
                connection.execute(
                    insert(t.agents).values(
                        id=agent.id,
                        handle=f"fixture-{agent.handle}",
                        name=agent.name,
                        role=agent.role.value,
                        tier=agent.tier.value,
                        skills=dict(agent.skills),
                        departments=list(agent.departments) or ["general"],
                        capacity=agent.capacity,
                        available=agent.available,
                        languages=list(agent.languages),
                        token_hash=hash_token(secrets.token_hex(16)),
                    )
                )
            _lead, pusher = add_agent(connection, "pusher", role=Role.LEAD)
            _agent, reader = add_agent(connection, "reader", role=Role.AGENT)
        return pusher, reader


@contextmanager
def running_server() -> Iterator[RemoteServer]:
    with throwaway_database() as url:
        engine = create_server_engine(url)
        # Commits need not wait for the disk here: the server process may crash in these tests,
        # PostgreSQL does not. Sessions opened after this (the server's) take it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            name = make_url(url).database
            connection.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
        with serve_process(url, ["--rate-limit", "5000"]) as up:
            try:
                yield RemoteServer(up.base, engine)
            finally:
                engine.dispose()


def remote_store(path: Path, server: RemoteServer, token: str, *, online: bool) -> SyncedStore:
    store = SyncedStore(SqliteStore(path, create=True), ServerLink(server.base, token))
    store.online = online
    return store


async def all_tickets(store: Store) -> dict[str, Ticket]:
    return {ticket.id: ticket async for batch in store.iter_tickets() for ticket in batch}


async def assert_converged(store: SyncedStore, server: RemoteServer, token: str, tmp: Path) -> None:
    """Nothing lost, nothing doubled, and both replicas agree with the server.

    - a full round succeeds and leaves nothing pending;
    - every pushed op is either on the server or a conflict the agent sees: each acked op's
      message is on the server once, with the body it carried, and each acked ticket exists there;
    - a ticket no rejected or local-only op touched has, on the server, the status, department
      and priority the agent saw locally before the round (the server applied the same intents);
    - after the round, the store and a fresh replica that only pulled hold the same state for
      every server ticket (numbers aside: they are per-replica labels) and the same messages.
    """
    seen_locally = await all_tickets(store)
    ops = await store.operations(limit=1_000_000)
    await store.sync()
    assert await store.pending_operations() == []
    rejected = {conflict.op.op_id for conflict in await store.conflicts()}

    reader = remote_store(tmp / "second-replica.db", server, token, online=True)
    await reader.open()
    try:
        await reader.sync()
        on_server = await all_tickets(reader)
        untouched = set(seen_locally)
        for op in ops:
            ticket_id = op.payload.get("ticket_id")
            if op.kind in LOCAL_ONLY_KINDS or op.op_id in rejected:
                untouched.discard(str(ticket_id))
                continue
            if op.kind == "ticket.create":
                assert ticket_id in on_server, f"acked create of {ticket_id} is not on the server"
            message_id = op.payload.get("message_id")
            if message_id and op.kind != "ticket.create":
                found = [m for m in await reader.messages(str(ticket_id)) if m.id == message_id]
                assert len(found) == 1, f"{op.kind} {op.op_id}: message {message_id} x{len(found)}"
                if "body" in op.payload:
                    assert found[0].body == op.payload["body"], f"{op.kind} {op.op_id}: body"
        for ticket_id in untouched & set(on_server):
            local, remote = seen_locally[ticket_id], on_server[ticket_id]
            assert (local.status, local.department_id, local.priority) == (
                remote.status,
                remote.department_id,
                remote.priority,
            ), f"ticket {ticket_id} differs from what the agent saw"
        after = await all_tickets(store)
        for ticket_id, remote in on_server.items():
            mine = after[ticket_id]
            assert mine.__class__(**{**_fields(mine), "number": remote.number}) == remote
            # Ids and kinds: a note the server writes itself (a rule's transfer) is worded there.
            theirs = {(m.id, m.kind) for m in await reader.messages(ticket_id)}
            missing = theirs - {(m.id, m.kind) for m in await store.messages(ticket_id)}
            assert not missing, f"ticket {ticket_id}: the server's messages {missing} are not here"
    finally:
        await reader.close()


def _fields(ticket: Ticket) -> dict[str, object]:
    return {name: getattr(ticket, name) for name in ticket.__dataclass_fields__}
