"""Throughput of `agentdesk route simulate`: a week of real requests through the routing rules.

Builds (once, cached beside the output) a history of Bitext customer requests with arrival
times drawn as a Poisson process that follows office hours, and a roster of agents with mixed
tiers and skills; then runs the simulation the command runs, in pull and in push mode, and
reports load time, simulation time and simulated tickets per second.

    python bench/simulate.py [--tickets 20000] [--agents 60] [--dir /tmp/agentdesk-sim]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentdesk.cli_simulate import load_inputs, simulate_history
from agentdesk.config import load_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
SKILL_SETS = [
    {"orders": 2, "delivery": 2, "feedback": 2},
    {"orders": 3, "accounts": 2, "delivery": 2},
    {"billing": 3, "refunds": 2},
    {"accounts": 3, "orders": 2},
    {"orders": 4, "refunds": 4, "complaints": 4, "billing": 3},
    {"delivery": 4, "orders": 4, "complaints": 3},
]
DEPARTMENT_SETS = ["general,logistics", "general", "billing", "technical", "general,billing"]


def office_rate(moment: datetime) -> float:
    """Relative arrival rate: busy weekday office hours, a trickle at night and at weekends."""
    hour = moment.hour + moment.minute / 60
    day = 0.25 if moment.weekday() >= 5 else 1.0
    return day * (0.1 + math.exp(-(((hour - 13) / 4) ** 2)))


def make_history(path: Path, tickets: int, rng: random.Random) -> None:
    with (SHARED / "bitext_customer_support" / "train.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    span = timedelta(days=7).total_seconds()
    peak = 1.1
    mean_gap = span / tickets / 0.45  # thinning keeps ~45 % of candidate arrivals
    moment, written = START, 0
    with path.open("w", encoding="utf-8") as out:
        while written < tickets:
            moment += timedelta(seconds=rng.expovariate(1 / mean_gap))
            if rng.random() * peak > office_rate(moment):
                continue
            row = rows[rng.randrange(len(rows))]
            record = {
                "subject": row["text"][:80],
                "body": row["text"],
                "customer_name": f"Customer {rng.randrange(5000)}",
                "customer_tier": "vip" if rng.random() < 0.03 else "standard",
                "intent": row["intent"],
                "channel": rng.choice(["email", "chat", "web", "phone"]),
                "created_at": moment.isoformat(),
                "handle_minutes": round(rng.lognormvariate(math.log(10), 0.6), 1),
            }
            out.write(json.dumps(record) + "\n")
            written += 1


def make_roster(path: Path, agents: int, rng: random.Random) -> None:
    with path.open("w", encoding="utf-8") as out:
        for index in range(agents):
            tier = rng.choices(["junior", "senior", "expert"], weights=[6, 3, 1])[0]
            skills = dict(rng.choice(SKILL_SETS))
            if tier != "junior":
                skills = {name: min(5, level + 1) for name, level in skills.items()}
            record = {
                "handle": f"agent{index:03d}",
                "tier": tier,
                "skills": skills,
                "departments": rng.choice(DEPARTMENT_SETS).split(","),
                "capacity": rng.choice([2, 3, 4]),
            }
            out.write(json.dumps(record) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=60)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/agentdesk-sim"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    history = args.dir / f"history-{args.tickets}.jsonl"
    roster = args.dir / f"agents-{args.agents}.jsonl"
    rng = random.Random(7)
    if not history.exists():
        make_history(history, args.tickets, rng)
    if not roster.exists():
        make_roster(roster, args.agents, rng)
    settings = load_settings(args.dir / "absent.toml", env={"AGENTDESK_DATA_DIR": str(args.dir)})

    import asyncio

    started = time.perf_counter()
    tickets, agents = asyncio.run(load_inputs(history, roster, settings))
    loaded = time.perf_counter() - started
    print(f"history: {len(tickets)} tickets, {len(agents)} agents, loaded in {loaded:.1f} s")
    for push in (False, True):
        started = time.perf_counter()
        result = simulate_history(tickets, agents, settings, push=push)
        seconds = time.perf_counter() - started
        busiest = max(result.queues, key=lambda queue: queue.p90_wait)
        print(
            f"{'push' if push else 'pull'}: simulated in {seconds:.2f} s = "
            f"{result.tickets / seconds:,.0f} tickets/s; breaches: "
            f"{result.first_response_breaches} first response, "
            f"{result.resolution_breaches} resolution, {result.never_picked} never picked; "
            f"worst queue p90 wait {busiest.department} "
            f"{busiest.p90_wait.total_seconds() / 60:.0f} min"
        )


if __name__ == "__main__":
    main()
