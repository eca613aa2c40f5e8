"""The lead view's refresh with 100,000 tickets and 500 agents: everything one timer tick reads.

    python bench/lead_view.py [--db /tmp/agentdesk-metrics-bench.db] [--rounds 20]

Uses (and builds once, if missing) the store of bench/metrics.py. One refresh is what
`LeadScreen.refresh_board` awaits: `metrics_snapshot` for the windows `lead_board.refresh_windows`
names (today, the period on screen unless it is 7 days, the last hour); `queue_clocks` (SLA risk
per queue); departments and agents; then the first page of the "All queues" ticket list (count +
100 rows). Timed with each KPI period on screen: Today (the default), This shift, 7 days.
Timed apart: what is read about once a minute (`refresh_trend`, `lead_board.slow_windows`: the
sparkline's 12 hourly windows, and the 7-day window when that is on screen), and the agent
list's one query for every agent's current ticket (`current_tickets`). End to end from the event
loop; CPU is the process's, every thread, as the machine is shared. That the SQL counts what
`domain.lead_board` defines is the contract suite's job
(tests/store/test_contract_lead_board.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from pathlib import Path

from metrics import DEFAULT_DB, NOW, TICKETS, build, percentile  # type: ignore[import-not-found]

from agentdesk.domain.calendar import ALWAYS_OPEN
from agentdesk.domain.lead_board import refresh_windows, risk_horizons, slow_windows
from agentdesk.domain.metrics import Period
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.sqlite import SqliteStore
from agentdesk.widgets.ticket_table import PAGE_SIZE

PERIODS = (Period.TODAY, Period.SHIFT, Period.WEEK)


async def measure(db: Path, rounds: int) -> None:
    store = SqliteStore(db)
    await store.open()
    await store.agents()  # the SQLAlchemy side, as a running app has it by then
    every_agent = [agent.id for agent in await store.agents()]

    async def refresh(shown: Period) -> dict[str, float]:
        periods, last_hour = refresh_windows(shown, NOW, ALWAYS_OPEN)
        windows = [*periods.values(), last_hour]
        parts: dict[str, float] = {}
        start = wall = time.perf_counter()
        cpu = time.process_time()
        await store.metrics_snapshot(windows, now=NOW)
        parts["snapshot"] = time.perf_counter() - wall
        wall = time.perf_counter()
        clocks = await store.queue_clocks(now=NOW, horizons=risk_horizons(store.policies, NOW))
        parts["queue_clocks"] = time.perf_counter() - wall
        await store.departments()
        await store.agents()
        departments = tuple(sorted(clocks))
        query = TicketQuery(scope=Scope.TEAM, departments=departments)
        wall = time.perf_counter()
        await store.count_tickets(query)
        await store.ticket_rows(query, 0, PAGE_SIZE)
        parts["first_page"] = time.perf_counter() - wall
        parts["total"] = time.perf_counter() - start
        parts["cpu"] = time.process_time() - cpu
        hours, slow = slow_windows(shown, NOW, ALWAYS_OPEN, 12)
        wall = time.perf_counter()
        await store.metrics_snapshot([*hours, *slow.values()], now=NOW)
        parts["once a minute (apart)"] = time.perf_counter() - wall
        wall = time.perf_counter()
        await store.current_tickets(every_agent)
        parts["agents' current tickets (apart)"] = time.perf_counter() - wall
        return {name: seconds * 1000 for name, seconds in parts.items()}

    cold = await refresh(Period.TODAY)
    shown = {period: [await refresh(period) for _ in range(rounds)] for period in PERIODS}
    clocks = await store.queue_clocks(now=NOW, horizons=risk_horizons(store.policies, NOW))
    await store.close()
    print(
        f"queues: {sorted((c.department_id, c.active, c.at_risk, c.breached) for c in clocks.values())}"
    )
    print(f"load average (1 min) after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("cold: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in cold.items()))
    for period, warm in shown.items():
        print(f"-- {period.value} on screen")
        for name in cold:
            values = [run[name] for run in warm]
            print(
                f"warm {name} ({rounds} rounds): p50 {statistics.median(values):.1f} ms, "
                f"p95 {percentile(values, 0.95):.1f} ms"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    if not args.db.exists():
        asyncio.run(build(args.db, TICKETS))
    asyncio.run(measure(args.db, args.rounds))


if __name__ == "__main__":
    main()
