"""Ticket creation over HTTP on PostgreSQL: tickets per second and request latency.

    PYTHONPATH=. python bench/server_create.py [--mode post|push] [--batch 20]
        [--pg postgresql://postgres@127.0.0.1:5432/test] [--clients 8] [--instances 2]
        [--seconds 10]

--mode post: each request is POST /tickets (one ticket). --mode push: each request is
POST /sync/push with --batch `create` ops (tickets made offline, as the sync outbox sends them;
the server applies each op in its own transaction). Same setup as server_claims.py: a throwaway
database, --instances `agentdesk serve` processes, one agent and one keep-alive connection per
client, each client waiting for its answer before the next request.

Afterwards: every acknowledged ticket is in the database (and queued), none twice, and the
change log is gap-free.
"""

from __future__ import annotations

import argparse
import json
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
from sqlalchemy import func, select

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.ids import new_id
from agentdesk.domain.sync_ops import OpEnvelope, SyncKind
from agentdesk.server import tables as t
from agentdesk.server.database import create_server_engine, upgrade

NEW_TICKET = json.dumps(
    {"subject": "Card declined", "body": "It fails at checkout", "customer_id": "c1"}
).encode()


def create_op(client_id: str, seq: int) -> dict[str, object]:
    ticket_id = new_id()
    return OpEnvelope(
        op_id=new_id(),
        client_id=client_id,
        client_seq=seq,
        hlc=Hlc(1_700_000_000_000 + seq),
        site_id=client_id,
        kind=SyncKind.CREATE,
        ticket_id=ticket_id,
        base_version=None,
        claim_epoch=None,
        payload={
            "ticket_id": ticket_id,
            "message_id": new_id(),
            "subject": "Offline ticket",
            "body": "Written with no network",
            "customer_id": "c1",
            "created_at": datetime.now(UTC).isoformat(),
        },
        action=None,
    ).to_wire()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("post", "push"), default="post")
    parser.add_argument("--batch", type=int, default=20, help="create ops per push (push mode)")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    with throwaway_database(args.pg) as url:
        engine = create_server_engine(url)
        upgrade(engine)
        tokens = add_bench_agents(engine, args.clients)
        created: list[list[str]] = [[] for _ in tokens]
        next_seq = [1] * len(tokens)

        async def post(index: int, connection: Connection) -> bool:
            status, body = await connection.request(b"POST", b"/tickets", NEW_TICKET)
            if status != 201:
                raise SystemExit(f"POST /tickets answered {status}: {body[:200]!r}")
            created[index].append(json.loads(body)["id"])
            return True

        async def push(index: int, connection: Connection) -> bool:
            client_id = f"bench-client-{index}"
            ops = [create_op(client_id, next_seq[index] + offset) for offset in range(args.batch)]
            next_seq[index] += args.batch
            body = json.dumps({"client_id": client_id, "ops": ops}).encode()
            status, answer = await connection.request(b"POST", b"/sync/push", body)
            if status != 200:
                raise SystemExit(f"POST /sync/push answered {status}: {answer[:200]!r}")
            results = json.loads(answer)["results"]
            if [result["outcome"] for result in results] != ["applied"] * args.batch:
                raise SystemExit(f"a push was not applied in full: {results[:3]}")
            created[index] += [op["ticket_id"] for op in ops]  # type: ignore[misc]
            return True

        with servers(url, args.instances) as ports, CpuMeter(url, server_pids) as cpu:
            run = run_clients(ports, tokens, args.seconds, post if args.mode == "post" else push)

        acknowledged = [ticket for per_client in created for ticket in per_client]
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(t.tickets)).scalar_one()
            queued = connection.execute(
                select(func.count()).select_from(t.routing_queue)
            ).scalar_one()
            found = connection.execute(
                select(func.count()).select_from(t.tickets).where(t.tickets.c.id.in_(acknowledged))
            ).scalar_one()
        gap_free, records = log_is_gap_free(engine)
        engine.dispose()

    per_request = "1 ticket" if args.mode == "post" else f"{args.batch} create ops"
    print(
        f"{args.mode}: {args.clients} clients, {args.instances} server instance(s), "
        f"{per_request} per request, {run.wall:.1f} s"
    )
    print(
        f"tickets: {len(acknowledged)} ({len(acknowledged) / run.wall:,.0f}/s); "
        f"requests: {len(run.latencies)} ({len(run.latencies) / run.wall:,.0f}/s)"
    )
    print("per request " + latency_line(run.latencies))
    print(
        f"acknowledged {len(acknowledged)} (distinct {len(set(acknowledged))}), found {found}, "
        f"stored {stored}, queued {queued}"
    )
    print(f"change log gap-free: {gap_free} ({records} records)")
    print(cpu.line(len(acknowledged), "ticket"))


if __name__ == "__main__":
    main()
