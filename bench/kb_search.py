"""KB search latency on a benchmark store (see make_store.py): p50/p95 for word and prefix queries.

python bench/kb_search.py --db /tmp/agentdesk-bench.db
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

from agentdesk.store.sqlite import SqliteStore

WORD_QUERIES = [
    "refund",
    "password reset",
    "invoice",
    "shipping address",
    "cancel order",
    "gift card",
    "promo code",
    "account",
    "delivery",
    "payment method",
    "subscription",
    "credit card",
    "order status",
    "membership",
    "return policy",
    "email",
    "username",
    "tracking",
]
# Search runs as you type: a word followed by a space is finished and matched whole, the last
# word without one is a prefix. "word" queries are finished words, as the KB screen sends them
# once the space is typed; "prefix" queries are half-typed words.
WORD_QUERIES = [f"{query} " for query in WORD_QUERIES]
PREFIX_QUERIES = [
    "refu",
    "pass",
    "inv",
    "ship",
    "canc",
    "gif",
    "pro",
    "acc",
    "del",
    "pay",
    "sub",
    "cre",
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(store: SqliteStore, queries: list[str], rounds: int) -> dict[str, float]:
    timings: list[float] = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            await store.search_kb(query, limit=20)
            timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "n": len(timings),
    }


async def main_async(db: Path, rounds: int) -> None:
    store = SqliteStore(db)
    await store.open()
    await store.search_kb("warm up", limit=20)
    result = {
        "word": await measure(store, WORD_QUERIES, rounds),
        "prefix": await measure(store, PREFIX_QUERIES, rounds),
    }
    await store.close()
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main_async(args.db, args.rounds))


if __name__ == "__main__":
    main()
