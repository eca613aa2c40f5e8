"""Build a benchmark store: the demo roster plus 100,000 tickets and 100,000 KB articles.

Texts are real (Bitext customer messages and responses, ABCD guidelines from ../shared/data),
recombined deterministically so every ticket and article differs.

    python bench/make_store.py --db /tmp/agentdesk-bench.db [--tickets 100000] [--articles 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentdesk.demo import seed_demo
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Channel, Customer, CustomerTier, KbArticle, Priority
from agentdesk.store.sqlite import SqliteStore

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FIRST = [
    "Ada",
    "Bo",
    "Chen",
    "Dara",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jun",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
]
LAST = [
    "Ng",
    "Okafor",
    "Patel",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Vogel",
    "Weiss",
    "Xu",
    "Young",
]
DEPARTMENTS = ["general", "billing", "technical", "logistics"]


def load_bitext() -> list[dict[str, str]]:
    with (SHARED / "bitext_customer_support" / "train.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def load_abcd() -> list[dict[str, object]]:
    with (SHARED / "abcd" / "kb_articles.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


async def build(db: Path, tickets: int, articles: int, now: datetime) -> None:
    rng = random.Random(42)
    store = SqliteStore(db, create=True)
    await store.open()
    started = time.perf_counter()
    await seed_demo(store, now=now, tickets=200)
    customers = [
        Customer(
            f"bench-cu-{i}",
            f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            f"customer{i}@example.com",
            tier=CustomerTier.VIP if i % 40 == 0 else CustomerTier.STANDARD,
        )
        for i in range(5000)
    ]
    await store.add_customers(customers)
    rows = load_bitext()
    batch: list[NewTicket] = []
    priorities = list(Priority)
    for i in range(tickets):
        row = rows[i % len(rows)]
        batch.append(
            NewTicket(
                subject=row["text"][:80],
                body=row["text"],
                customer_id=customers[rng.randrange(len(customers))].id,
                department_id=rng.choice(DEPARTMENTS),
                priority=rng.choices(priorities, weights=[5, 15, 60, 20])[0],
                channel=rng.choice(list(Channel)),
                intent=row["intent"],
                created_at=now - timedelta(minutes=rng.randrange(0, 3 * 24 * 60)),
            )
        )
        if len(batch) == 10_000:
            await store.add_tickets(batch, now=now)
            batch.clear()
            print(f"tickets: {i + 1}", file=sys.stderr)
    if batch:
        await store.add_tickets(batch, now=now)
    guides = load_abcd()
    paragraphs = [r["response"] for r in rows] + [str(g["body"]) for g in guides]
    kb: list[KbArticle] = []
    for i in range(articles):
        guide = guides[i % len(guides)]
        body = "\n\n".join(rng.sample(paragraphs, 3))
        kb.append(
            KbArticle(
                f"bench-kb-{i}",
                f"{guide['title']} ({i})",
                f"# {guide['title']}\n\n{body}",
                str(guide["subflow"]),
            )
        )
        if len(kb) == 10_000:
            await store.add_articles(kb)
            kb.clear()
            print(f"articles: {i + 1}", file=sys.stderr)
    if kb:
        await store.add_articles(kb)
    await store.close()
    print(f"built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args()
    if args.db.exists():
        sys.exit(f"{args.db} exists; remove it first")
    asyncio.run(build(args.db, args.tickets, args.articles, datetime.now(UTC)))


if __name__ == "__main__":
    main()
