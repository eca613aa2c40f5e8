"""Pull-next latency with 100,000 open tickets and 500 agents.

    python bench/pull_next.py [--db /tmp/agentdesk-pull-bench.db] [--pulls 1000] [--rebuild]

The store is built once (about a minute) and reused while the file exists: tickets are real
Bitext requests (../shared/data), routed by the shipped routing table (department, skill,
complexity, priority), from 5,000 customers (VIPs and other languages among them) over the
last three days; the 500 agents have random tiers, departments, skills, capacities,
languages and availability. Each run works on a copy, so every run starts from the same state.

Each pull picks a random available agent and measures
- decision: what pull-next decides (the agent's load, the candidates from the routing index,
  ranked by the domain) on a read transaction of a connection of its own;
- claim: `store.claim_next` end to end: the hop to the store's thread, BEGIN IMMEDIATE, the
  decision, the assignment with its audit event and operation-log entry, and the commit
  (synchronous=FULL, so an fsync);
- reply: for comparison, `store.reply` on 200 of the pulled tickets: any single write costs
  about as much as a claim here, the commit being most of either.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import random
import shutil
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentdesk.config_routing import default_policy
from agentdesk.demo import DEPARTMENTS
from agentdesk.domain import routing
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import PRIORITY_ORDER, Agent, AgentTier, Channel, Customer, CustomerTier
from agentdesk.store.sqlite import SqliteStore
from agentdesk.store.sqlite import connection as sqlite_connection
from agentdesk.store.sqlite import routing as routing_queries

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_DB = Path("/tmp/agentdesk-pull-bench.db")
TICKETS = 100_000
AGENTS = 500
CUSTOMERS = 5_000
OTHER_LANGUAGES = ("fr", "de", "es")
LEVELS = {AgentTier.JUNIOR: (1, 2), AgentTier.SENIOR: (2, 4), AgentTier.EXPERT: (4, 5)}


def load_requests() -> list[tuple[str, str]]:
    with (SHARED / "bitext_customer_support" / "train.csv").open(encoding="utf-8") as handle:
        return [(row["text"], row["intent"]) for row in csv.DictReader(handle)]


def make_agents(rng: random.Random) -> list[Agent]:
    policy = default_policy()
    skills_of: dict[str, set[str]] = {}
    for route in policy.routes.values():
        if route.skill:
            skills_of.setdefault(route.department, set()).add(route.skill)
    names = [department.id for department in DEPARTMENTS]
    agents = []
    for index in range(AGENTS):
        tier = rng.choices(list(LEVELS), weights=[6, 3, 1])[0]
        departments = () if rng.random() < 0.1 else tuple(rng.sample(names, rng.choice([1, 2])))
        skills = {
            skill: rng.randint(*LEVELS[tier])
            for department in departments or names
            for skill in sorted(skills_of.get(department, ()))
            if rng.random() < 0.8
        }
        extra = (rng.choice(OTHER_LANGUAGES),) if rng.random() < 0.25 else ()
        agents.append(
            Agent(
                f"bench-ag-{index}",
                f"agent{index}",
                f"Agent {index}",
                tier=tier,
                skills=skills,
                departments=departments,
                capacity=rng.randint(4, 8),
                available=rng.random() < 0.9,
                languages=("en", *extra),
            )
        )
    return agents


async def build(db: Path, now: datetime) -> None:
    rng = random.Random(4)
    policy = default_policy()
    started = time.perf_counter()
    store = SqliteStore(db, create=True)
    await store.open()
    await store.add_departments(DEPARTMENTS)
    await store.add_agents(make_agents(rng))
    customers = [
        Customer(
            f"bench-cu-{index}",
            f"Customer {index}",
            f"customer{index}@example.com",
            tier=CustomerTier.VIP if rng.random() < 0.05 else CustomerTier.STANDARD,
            language="en" if rng.random() < 0.9 else rng.choice(OTHER_LANGUAGES),
        )
        for index in range(CUSTOMERS)
    ]
    await store.add_customers(customers)
    requests = [(text, intent) for text, intent in load_requests() if intent in policy.routes]
    batch: list[NewTicket] = []
    for index in range(TICKETS):
        text, intent = requests[index % len(requests)]
        route = policy.routes[intent]
        # Most tickets keep their intent's priority; some are bumped up or down a step.
        rank = route.priority.rank + rng.choices([-1, 0, 1], weights=[1, 6, 1])[0]
        batch.append(
            NewTicket(
                subject=text[:80],
                body=text,
                customer_id=rng.choice(customers).id,
                department_id=route.department,
                priority=PRIORITY_ORDER[min(max(rank, 0), len(PRIORITY_ORDER) - 1)],
                channel=rng.choice(list(Channel)),
                intent=intent,
                required_skill=route.skill,
                complexity=route.complexity,
                created_at=now - timedelta(minutes=rng.uniform(1, 3 * 24 * 60)),
            )
        )
        if len(batch) == 10_000:
            await store.add_tickets(batch, now=now)
            batch.clear()
            print(f"tickets: {index + 1}", file=sys.stderr)
    await store.close()
    print(f"built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "p99_ms": round(percentile(samples, 0.99), 2),
        "max_ms": round(max(samples), 2),
    }


def decide(connection: sqlite3.Connection, agent: Agent, now: datetime) -> float:
    """Milliseconds to decide what the agent would pull (nothing is written)."""
    policy = routing.DEFAULT_POLICY
    started = time.perf_counter()
    connection.execute("BEGIN")
    try:
        load = routing_queries.active_load(connection, agent.id)
        candidates = routing_queries.candidates(connection, agent, now, policy)
        with contextlib.suppress(routing.CannotPull):  # at capacity: decided all the same
            routing.pick(candidates, agent, load, now, policy)
    finally:
        connection.execute("COMMIT")
    return (time.perf_counter() - started) * 1000


async def measure(db: Path, pulls: int) -> dict[str, object]:
    rng = random.Random(9)
    store = SqliteStore(db)
    await store.open()
    agents = [agent for agent in await store.agents() if agent.available]
    reader = sqlite_connection.connect(db)
    now = datetime.now(UTC)
    decisions: list[float] = []
    claims: list[float] = []
    replies: list[float] = []
    pulled: list[tuple[str, str]] = []
    outcomes = {"claimed": 0, "nothing": 0, "at_capacity": 0}
    for _ in range(pulls):
        agent = rng.choice(agents)
        decisions.append(decide(reader, agent, now))
        started = time.perf_counter()
        try:
            ticket = await store.claim_next(agent, now)
        except routing.CannotPull:
            outcomes["at_capacity"] += 1
            continue
        finally:
            claims.append((time.perf_counter() - started) * 1000)
        outcomes["claimed" if ticket is not None else "nothing"] += 1
        if ticket is not None:
            pulled.append((ticket.id, agent.id))
    for ticket_id, agent_id in pulled[:200]:
        started = time.perf_counter()
        await store.reply(ticket_id, "Looking into it now.", author_id=agent_id, now=now)
        replies.append((time.perf_counter() - started) * 1000)
    reader.close()
    await store.close()
    return {
        "decision": summary(decisions),
        "claim": summary(claims),
        "reply": summary(replies),
        "outcomes": outcomes,
        "agents_available": len(agents),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--pulls", type=int, default=1000)
    parser.add_argument("--rebuild", action="store_true", help="build the store anew")
    args = parser.parse_args()
    if args.rebuild:
        for path in (args.db, *(args.db.with_name(args.db.name + s) for s in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
    if not args.db.exists():
        asyncio.run(build(args.db, datetime.now(UTC)))
    work = args.db.with_name(args.db.name + ".run")
    shutil.copyfile(args.db, work)
    try:
        result = asyncio.run(measure(work, args.pulls))
    finally:
        for path in (work, *(work.with_name(work.name + s) for s in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
