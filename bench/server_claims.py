"""Claim-next over HTTP on PostgreSQL: throughput, latency, and no ticket claimed twice.

    python bench/server_claims.py [--pg postgresql://postgres@127.0.0.1:5432/test]
                                  [--clients 8] [--instances 2] [--tickets 20000] [--seconds 10]

Creates a throwaway database beside the admin one given by --pg (dropped at the end), migrates
it, seeds --tickets tickets and one agent per client, and starts --instances real
`agentdesk serve` processes on free ports (they share the database, as behind a load
balancer). Each client thread keeps one HTTP/1.1 connection to one instance and calls
POST /tickets/claim-next in a loop for --seconds. Every claim is a full server transaction:
SKIP LOCKED pick, claim upsert with a new epoch, ticket update, change-log row through the
log-head row, commit.

Afterwards the claims the clients saw are checked against each other and against the
database: no ticket id twice, one owner per ticket, the log gap-free.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from agentdesk.domain import actions
from agentdesk.domain.model import Role
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.database import create_server_engine, upgrade
from agentdesk.server.tickets import queue_values, ticket_values

REPO_ROOT = Path(__file__).resolve().parents[1]
PRIORITIES = ("urgent", "high", "normal", "low")


def seed(url: str, tickets: int, clients: int) -> list[str]:
    """Tickets straight into the tables (the API would make seeding the slow part)."""
    engine = create_server_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    tokens = []
    with engine.begin() as connection:
        connection.execute(insert(t.departments).values(id="general", name="general"))
        connection.execute(
            insert(t.customers).values(
                id="c1", name="c1", email="", phone="", tier="standard", language="en"
            )
        )
        for index in range(clients):
            _account, token = add_agent(connection, f"bench{index}", role=Role.AGENT)
            tokens.append(token)
        rows, queue = [], []
        for number in range(1, tickets + 1):
            change = actions.create_ticket(
                actions.NewTicket(
                    subject=f"ticket {number}",
                    body="help",
                    customer_id="c1",
                    priority=actions.Priority(PRIORITIES[number % 4]),
                ),
                number=number,
                now=now,
            )
            rows.append(ticket_values(change.ticket))
            queue.append(queue_values(change.ticket))
        connection.execute(insert(t.tickets), rows)
        connection.execute(insert(t.routing_queue), queue)
        connection.execute(t.counters.update().values(value=tickets))
    with engine.begin() as connection:
        # What autovacuum would soon do on a live server: give the planner row counts.
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "agentdesk", "serve", "--database-url", url, "--port", str(port)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the server did not start")


def client(port: int, token: str, until: float, results: list[tuple[float, str]]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Authorization": f"Bearer {token}", "Content-Length": "0"}
    while time.monotonic() < until:
        started = time.perf_counter()
        connection.request("POST", "/tickets/claim-next", headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise SystemExit(f"claim-next answered {response.status}: {body[:200]!r}")
        claim = json.loads(body)["claim"]
        if claim is None:
            return
        results.append((elapsed, claim["ticket"]["id"]))


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=1000)[int(share * 1000) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    admin = make_url(args.pg)
    name = f"agentdesk_bench_{secrets.token_hex(4)}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    url = admin.set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        servers: list[subprocess.Popen[bytes]] = []
        try:
            tokens = seed(url, args.tickets, args.clients)
            ports = []
            for _ in range(args.instances):
                process, port = start_server(url)
                servers.append(process)
                ports.append(port)
            results: list[list[tuple[float, str]]] = [[] for _ in range(args.clients)]
            until = time.monotonic() + args.seconds
            threads = [
                threading.Thread(
                    target=client,
                    args=(ports[index % len(ports)], tokens[index], until, results[index]),
                )
                for index in range(args.clients)
            ]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            report(url, results, wall, args)
        finally:
            for process in servers:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(
    url: str, results: list[list[tuple[float, str]]], wall: float, args: argparse.Namespace
) -> None:
    latencies = [elapsed * 1000 for per_client in results for elapsed, _ in per_client]
    claimed = Counter(ticket for per_client in results for _, ticket in per_client)
    engine = create_server_engine(url)
    with engine.connect() as connection:
        owned = connection.execute(
            select(func.count())
            .select_from(t.ticket_claims)
            .where(t.ticket_claims.c.owner_agent_id.is_not(None))
        ).scalar_one()
        seqs = (
            connection.execute(
                select(t.change_log.c.server_seq).order_by(t.change_log.c.server_seq)
            )
            .scalars()
            .all()
        )
    engine.dispose()
    doubles = sum(1 for count in claimed.values() if count > 1)
    print(
        f"{args.clients} clients, {args.instances} server instance(s), {args.tickets} tickets, {wall:.1f} s"
    )
    print(f"claims: {len(latencies)} ({len(latencies) / wall:,.0f}/s)")
    print(
        f"latency ms: p50 {statistics.median(latencies):.2f}, p95 {percentile(latencies, 0.95):.2f}, "
        f"p99 {percentile(latencies, 0.99):.2f}, max {max(latencies):.2f}"
    )
    print(
        f"tickets claimed twice: {doubles}; owned claim rows: {owned} (claims seen: {len(claimed)})"
    )
    print(f"change log gap-free: {seqs == list(range(1, len(seqs) + 1))} ({len(seqs)} records)")


if __name__ == "__main__":
    main()
