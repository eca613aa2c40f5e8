"""The cost of logging an operation (the outbox's write path), below the store's async API.

    python bench/oplog.py [--folder /dev/shm]

Measures, on a fresh database in `--folder` (default: a temporary folder; /dev/shm takes the
disk's fsync out of the figure, leaving what the code costs):
- one transaction logging one op, the shape of every ticket action (best of 3 runs of 3,000);
- one transaction logging 100,000 ops, the shape of a bulk import.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agentdesk.store.sqlite import SqliteStore

SINGLE_RUNS = 3
SINGLE_OPS = 3_000
BULK_OPS = 100_000
START = datetime(2026, 11, 20, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        database = SqliteStore(Path(folder) / "bench.db", create=True)._open_database()
        best = float("inf")
        for _ in range(SINGLE_RUNS):
            started = time.perf_counter()
            for index in range(SINGLE_OPS):
                with database.writing() as tx:
                    at = START + timedelta(milliseconds=index)
                    tx.log([("ticket.note", {"ticket_id": "t-1"}, at)])
            best = min(best, (time.perf_counter() - started) / SINGLE_OPS)
        entries = [("ticket.create", {"ticket_id": "t-1"}, START) for _ in range(BULK_OPS)]
        started = time.perf_counter()
        with database.writing() as tx:
            tx.log(entries)
        bulk = time.perf_counter() - started
        database.close()
    print(f"one op per transaction: {best * 1e6:.0f} µs")
    print(f"{BULK_OPS:,} ops in one transaction: {bulk:.2f} s")


if __name__ == "__main__":
    main()
