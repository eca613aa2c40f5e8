"""kill -9 with real processes on PostgreSQL: nothing lost, nothing doubled (SYNC.md §6.2).

- a workstation killed between a local commit and its push (the op waits in the outbox);
- `agentdesk sync` killed while the server is applying its push (applied there, not recorded
  here: the redelivery must be answered from the stored results);
- the server killed right after committing pushed ops, before answering (AGENTDESK_FAULT).

After a restart and a sync, every op the workstation logged is on the server exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, func, select

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Customer, Role
from agentdesk.domain.sync_ops import LOCAL_ONLY_KINDS
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.database import create_server_engine
from agentdesk.server.faults import FAULT_ENV
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import NOW
from tests.server.test_process import REPO_ROOT, serve_process
from tests.sync.test_process_sync import sync, sync_process


def token_for(engine: Engine, handle: str) -> str:
    with engine.begin() as connection:
        _account, token = add_agent(connection, handle, role=Role.AGENT)
    return token


def offline_notes(db: Path, count: int) -> None:
    """A workstation database with a ticket and `count` notes on it, none pushed yet."""

    async def make() -> None:
        store = SqliteStore(db, create=True)
        await store.open()
        await store.add_customers([Customer("c1", "Ann")])
        ticket = await store.create_ticket(
            NewTicket(subject="Offline", body="Made offline", customer_id="c1"), now=NOW
        )
        for number in range(1, count + 1):
            at = NOW + timedelta(seconds=number)
            await store.reply(ticket.id, f"note {number}", author_id="me", now=at, internal=True)
        await store.close()

    asyncio.run(make())


def outbox(db: Path) -> tuple[list[str], int, int]:
    """The pushable op ids in log order, how many are still pending, how many conflicts."""

    async def read() -> tuple[list[str], int, int]:
        store = SqliteStore(db)
        await store.open()
        try:
            ops = await store.operations(limit=1_000_000)
            status = await store.sync_status()
            return [op.op_id for op in ops if op.kind not in LOCAL_ONLY_KINDS], *(
                status.pending,
                status.conflicts,
            )
        finally:
            await store.close()

    return asyncio.run(read())


def applied_on_server(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t.op_results)).scalar_one())


def assert_exactly_once(engine: Engine, db: Path, notes: int) -> None:
    """Every pushable op answered once and acked; one ticket; each note's words once."""
    op_ids, pending, conflicts = outbox(db)
    assert (pending, conflicts) == (0, 0)
    with engine.connect() as connection:
        results = connection.execute(select(t.op_results.c.op_id, t.op_results.c.outcome)).all()
        tickets = connection.execute(select(t.tickets.c.id)).scalars().all()
        bodies = Counter(connection.execute(select(t.messages.c.body)).scalars())
    assert sorted(row.op_id for row in results) == sorted(op_ids)
    assert {row.outcome["outcome"] for row in results} == {"applied"}
    assert len(tickets) == 1
    expected = {f"note {number}": 1 for number in range(1, notes + 1)}
    assert {body: n for body, n in bodies.items() if body.startswith("note ")} == expected
    assert sum(bodies.values()) == notes + 1  # and the customer's first message


def test_a_workstation_killed_between_commit_and_push_loses_nothing(
    pg_only_url: str, tmp_path: Path
) -> None:
    engine = create_server_engine(pg_only_url)
    token = token_for(engine, "ann")
    db = tmp_path / "site.db"
    with serve_process(pg_only_url) as served:
        command = ["notes", str(db), served.base, token, "5", "4"]
        worker = subprocess.run(
            [sys.executable, "-m", "tests.reliability.kill_client", *command],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert worker.returncode == -signal.SIGKILL, worker.stderr
        # The ticket and notes 1-3 went out as they were written; note 4 is only local.
        assert applied_on_server(engine) == 4
        assert outbox(db)[1] == 1
        done = sync(db, tmp_path, served.base, token)
        assert done.returncode == 0, done.stderr
        again = sync(db, tmp_path, served.base, token)
        assert "pushed 0" in again.stdout
    assert_exactly_once(engine, db, notes=4)
    engine.dispose()


def test_sync_killed_mid_push_redelivers_without_doubling(pg_only_url: str, tmp_path: Path) -> None:
    engine = create_server_engine(pg_only_url)
    token = token_for(engine, "ann")
    db = tmp_path / "site.db"
    offline_notes(db, 150)
    with serve_process(pg_only_url) as served:
        process = sync_process(db, tmp_path, served.base, token)
        deadline = time.monotonic() + 60
        while applied_on_server(engine) == 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the push never reached the server"
            time.sleep(0.005)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=20)
        # Applied there, still pending here: the answers died with the process.
        op_ids, pending, _ = outbox(db)
        assert len(op_ids) - pending < applied_on_server(engine)
        done = sync(db, tmp_path, served.base, token)
        assert done.returncode == 0, done.stderr
    assert_exactly_once(engine, db, notes=150)
    engine.dispose()


def test_a_server_killed_after_commit_before_answering_loses_and_doubles_nothing(
    pg_only_url: str, tmp_path: Path
) -> None:
    engine = create_server_engine(pg_only_url)
    token = token_for(engine, "ann")
    db = tmp_path / "site.db"
    offline_notes(db, 5)
    with serve_process(pg_only_url, env={FAULT_ENV: "exit_after_commit:3"}) as crashing:
        down = sync(db, tmp_path, crashing.base, token)
        assert crashing.process.wait(timeout=20) == -signal.SIGKILL
    assert down.returncode == 3 and "unreachable" in down.stderr, down.stderr
    # The ops commit as one group (push.COMMIT_GROUP), so the ticket and all five notes are
    # committed on the server when it dies at the third; the client heard nothing.
    assert applied_on_server(engine) == 6
    assert outbox(db)[1] == 6
    with serve_process(pg_only_url) as served:
        done = sync(db, tmp_path, served.base, token)
    assert done.returncode == 0, done.stderr
    assert "pushed 6 (applied 6, rejected 0)" in done.stdout
    assert_exactly_once(engine, db, notes=5)
    engine.dispose()
