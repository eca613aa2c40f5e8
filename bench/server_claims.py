"""Claim-next over HTTP on PostgreSQL: throughput, latency, and no ticket claimed twice.

    PYTHONPATH=. python bench/server_claims.py [--pg postgresql://postgres@127.0.0.1:5432/test]
        [--clients 8] [--instances 2] [--tickets 50000] [--seconds 10]

Creates a throwaway database beside the admin one given by --pg (dropped at the end), migrates
it, seeds --tickets tickets and one agent per client, and starts --instances real
`agentdesk serve` processes on free ports (they share the database, as behind a load
balancer). Each client keeps one HTTP/1.1 connection to one instance and calls
POST /tickets/claim-next in a loop for --seconds, waiting for each answer before the next
request (server_harness.py: one asyncio process, a coroutine per client). Every claim is a full
server transaction: SKIP LOCKED pick, claim upsert with a new epoch, ticket update, change-log
row through the log-head row, commit.

Afterwards the claims the clients saw are checked against each other and against the
database: no ticket id twice, one owner per ticket, the log gap-free. The servers' background
vacuums of the routing queue (agentdesk/server/queue_upkeep.py) are part of what is measured:
their database CPU counts in the per-claim figures.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import UTC, datetime

from server_harness import (
    DEFAULT_PG,
    Connection,
    CpuMeter,
    add_bench_agents,
    latency_line,
    log_is_gap_free,
    run_clients,
    server_pids,
    servers,
    throwaway_database,
)
from sqlalchemy import func, insert, select, text

from agentdesk.domain import actions
from agentdesk.server import tables as t
from agentdesk.server.database import create_server_engine, upgrade
from agentdesk.server.tickets import queue_row, ticket_values

PRIORITIES = ("urgent", "high", "normal", "low")


def seed(url: str, tickets: int, clients: int) -> list[str]:
    """Tickets straight into the tables (the API would make seeding the slow part)."""
    engine = create_server_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(insert(t.departments).values(id="general", name="general"))
        connection.execute(
            insert(t.customers).values(
                id="c1", name="c1", email="", phone="", tier="standard", language="en"
            )
        )
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
            queue.append(queue_row(change.ticket, vip=False, language="en"))
        connection.execute(insert(t.tickets), rows)
        connection.execute(insert(t.routing_queue), queue)
        connection.execute(t.counters.update().values(value=tickets))
    tokens = add_bench_agents(engine, clients)
    with engine.begin() as connection:
        # What autovacuum would soon do on a live server: give the planner row counts.
        connection.execute(text("ANALYZE"))
    engine.dispose()
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--tickets", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with throwaway_database(args.pg) as url:
        tokens = seed(url, args.tickets, args.clients)
        claimed: list[list[str]] = [[] for _ in tokens]

        async def claim_next(index: int, connection: Connection) -> bool:
            status, body = await connection.request(b"POST", b"/tickets/claim-next")
            if status != 200:
                raise SystemExit(f"claim-next answered {status}: {body[:200]!r}")
            claim = json.loads(body)["claim"]
            if claim is None:
                return False
            claimed[index].append(claim["ticket"]["id"])
            return True

        with servers(url, args.instances) as ports, CpuMeter(url, server_pids) as cpu:
            run = run_clients(ports, tokens, args.seconds, claim_next)
        report(url, claimed, run.latencies, run.wall, args)
        print(cpu.line(sum(len(per_client) for per_client in claimed), "claim"))


def report(
    url: str,
    claimed: list[list[str]],
    latencies: list[float],
    wall: float,
    args: argparse.Namespace,
) -> None:
    seen = Counter(ticket for per_client in claimed for ticket in per_client)
    engine = create_server_engine(url)
    with engine.connect() as connection:
        owners = dict(
            connection.execute(
                select(t.ticket_claims.c.ticket_id, t.ticket_claims.c.owner_agent_id).where(
                    t.ticket_claims.c.owner_agent_id.is_not(None)
                )
            ).all()
        )
        assignees = dict(
            connection.execute(
                select(t.tickets.c.id, t.tickets.c.assignee_id).where(
                    t.tickets.c.assignee_id.is_not(None)
                )
            ).all()
        )
        queued = connection.execute(select(func.count()).select_from(t.routing_queue)).scalar()
        vacuums, autovacuums = connection.execute(
            text(
                "SELECT vacuum_count, autovacuum_count FROM pg_stat_user_tables "
                "WHERE relname = 'routing_queue'"
            )
        ).one()
    gap_free, records = log_is_gap_free(engine)
    engine.dispose()
    total = sum(seen.values())
    doubles = sum(1 for count in seen.values() if count > 1)
    print(
        f"{args.clients} clients, {args.instances} server instance(s), {args.tickets} tickets, "
        f"{wall:.1f} s"
    )
    print(f"claims: {total} ({total / wall:,.0f}/s)")
    print(latency_line(latencies))
    print(
        f"tickets claimed twice: {doubles}; owned claim rows: {len(owners)} "
        f"(claims seen: {len(seen)}); claim owners = ticket assignees: {owners == assignees}; "
        f"still queued: {queued} (+ claimed = {queued + len(owners)})"
    )
    print(f"change log gap-free: {gap_free} ({records} records)")
    print(f"routing-queue vacuums: {vacuums} by the servers, {autovacuums} by autovacuum")


if __name__ == "__main__":
    main()
