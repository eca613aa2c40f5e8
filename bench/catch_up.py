"""Catch-up after a long offline period: push 5,000 local ops, pull 100,000 remote changes.

    python bench/catch_up.py [--pg postgresql://postgres@127.0.0.1:5432/test]
                             [--remote 100000] [--local 5000] [--folder /tmp]

Creates a throwaway PostgreSQL database beside the admin one given by --pg (dropped at the
end), migrates it and fills its change log with --remote records: a few hundred tickets are
made by the server's own code (`tickets.create_ticket`: ticket state, first message, audit),
and their records are copied with fresh ids, numbers and subjects until the log holds
--remote records (straight into `change_log`, which is all a pull reads; made through the API
the seeding would take minutes). A real `agentdesk serve` process serves it.

The workstation is a fresh SQLite replica (in --folder) holding --local ops made offline:
tickets, then replies and notes on them, none pushed. The measured round is one
`SyncedStore.sync()`: push everything in order, then pull every page and apply it with the
cursor, end to end over loopback HTTP. Push and pull are timed apart, and so is the time the
replica spends applying pages (`apply_remote`). Afterwards: nothing pending, every remote
ticket and message present, the cursor at the head.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Customer, Role
from agentdesk.domain.remote import RemotePage
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.database import create_server_engine, upgrade
from agentdesk.server.tickets import create_ticket
from agentdesk.store.remote import ServerLink, SyncedStore
from agentdesk.store.sqlite import SqliteStore

REPO_ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_TICKETS = 300
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def seed_server(url: str, remote: int) -> tuple[str, int, int]:
    """Returns a token for the workstation's agent, the log head and the tickets logged."""
    engine = create_server_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        _account, token = add_agent(connection, "bench", role=Role.AGENT)
        for index in range(TEMPLATE_TICKETS):
            new = NewTicket(f"Remote {index}", f"Help with {index}", f"rc{index % 50}")
            create_ticket(connection, new, customer_name=None, now=NOW)
    with engine.begin() as connection:
        log = t.change_log.c
        template = list(connection.execute(select(t.change_log).order_by(log.server_seq)))
        seq = len(template)
        number = TEMPLATE_TICKETS
        tickets = TEMPLATE_TICKETS
        while seq < remote:
            rows, renamed = [], {}
            for row in template:
                if seq >= remote:
                    break
                payload = _renamed(row.payload, renamed)
                if row.kind == "ticket_state":
                    number += 1
                    tickets += 1
                    payload.update(number=number, subject=f"Remote {number}")
                seq += 1
                rows.append(
                    {
                        "server_seq": seq,
                        "at": row.at,
                        "kind": row.kind,
                        "ticket_id": renamed.get(row.ticket_id, row.ticket_id),
                        "payload": payload,
                        "tx_last_seq": seq,
                    }
                )
            connection.execute(insert(t.change_log), rows)
        connection.execute(update(t.log_head).values(seq=seq))
        connection.execute(update(t.counters).values(value=number))
        head = connection.execute(select(func.max(log.server_seq))).scalar_one()
    engine.dispose()
    return token, head, tickets


def _renamed(payload: object, renamed: dict[str, str]) -> dict[str, object]:
    """`payload` with every ticket/message/event id swapped for a fresh one (same per copy)."""

    def swap(value: object, key: str = "") -> object:
        if isinstance(value, dict):
            return {k: swap(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        if isinstance(value, str) and (key == "id" or key.endswith("_id")) and _is_id(value):
            if value not in renamed:
                renamed[value] = str(uuid.uuid4())
            return renamed[value]
        return value

    result = swap(payload)
    assert isinstance(result, dict)
    return result


def _is_id(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def offline_workstation(db: Path, local: int) -> None:
    """`local` ops logged offline: a fifth of them tickets, the rest replies and notes."""
    store = SqliteStore(db, create=True)
    await store.open()
    await store.add_customers([Customer("lc1", "Local customer")])
    made = await store.add_tickets(
        [NewTicket(f"Local {i}", "Offline work", "lc1") for i in range(local // 5)], now=NOW
    )
    for index in range(local - len(made)):
        ticket = made[index % len(made)]
        at = NOW + timedelta(seconds=index)
        await store.reply(
            ticket.id, f"reply {index}", author_id="me", now=at, internal=bool(index % 2)
        )
    await store.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentdesk",
            "serve",
            "--database-url",
            url,
            "--port",
            str(port),
            "--rate-limit",
            "100000",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return process, base
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not come up in 30 s") from None
            time.sleep(0.1)


class TimedReplica(SqliteStore):
    """The replica, counting the time spent applying pulled pages."""

    applying = 0.0

    async def apply_remote(self, page: RemotePage) -> None:
        started = time.perf_counter()
        await super().apply_remote(page)
        self.applying += time.perf_counter() - started


async def catch_up(db: Path, base: str, token: str, local: int, head: int, tickets: int) -> None:
    replica = TimedReplica(db)
    store = SyncedStore(replica, ServerLink(base, token, timeout=60))
    await store.open()
    try:
        started = time.perf_counter()
        pushed = await store.push()
        pushing = time.perf_counter() - started
        assert pushed is not None, store.last_failure
        report = await store.sync()  # pages of the default size (`sync.engine.PULL_PAGE`)
        total = time.perf_counter() - started
        status = await store.sync_status()
        assert (pushed.pushed, pushed.rejected) == (local, 0), pushed
        assert (status.pending, status.cursor) == (0, report.cursor)
        assert report.cursor >= head
        count = await store.count_tickets(_everything())
        assert count == tickets + local // 5, (count, tickets + local // 5)
    finally:
        await store.close()
    pulling = total - pushing
    print(f"push {local:,} ops:            {pushing:6.2f} s")
    print(
        f"pull {report.pulled:,} changes:    {pulling:6.2f} s  (applying pages {replica.applying:.2f} s)"
    )
    print(f"catch-up round, end to end: {total:6.2f} s  (target <= 30 s)")


def _everything() -> object:
    from agentdesk.store.base import Scope, TicketQuery

    return TicketQuery(scope=Scope.ALL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--remote", type=int, default=100_000)
    parser.add_argument("--local", type=int, default=5_000)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    admin = make_url(args.pg)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"agentdesk_bench_{secrets.token_hex(4)}"
    folder = Path(tempfile.mkdtemp(prefix="catch-up-", dir=args.folder))
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        server: subprocess.Popen[bytes] | None = None
        try:
            url = admin.set(database=name).render_as_string(hide_password=False)
            started = time.perf_counter()
            token, head, tickets = seed_server(url, args.remote)
            db = folder / "replica.db"
            asyncio.run(offline_workstation(db, args.local))
            print(
                f"seeded {head:,} remote changes ({tickets:,} tickets) and {args.local:,} "
                f"local ops in {time.perf_counter() - started:.0f} s"
            )
            server, base = start_server(url)
            asyncio.run(catch_up(db, base, token, args.local, head, tickets))
        finally:
            if server is not None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
