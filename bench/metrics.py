"""A lead's metrics refresh with 100,000 tickets and 500 agents.

    python bench/metrics.py [--db /tmp/agentdesk-metrics-bench.db] [--rounds 30] [--rebuild]
                            [--tickets 100000]

The store is built once (a couple of minutes) and reused while the file exists. Its 100,000
tickets arrive over the last 30 days in the routed departments, from 5,000 customers; 500
agents (pull_next's generator) work them: most are answered (first response a few minutes to
hours after arrival, some late), those older than a day are nearly all closed, some after a
rejected fix; a few percent come back as follow-ups; a third of closures carry a CSAT score;
handled tickets were on screen about once per reply for a few minutes. Ticket states, their
messages and screen sessions are written in bulk with the store's own converters, so the
triggers keep the work counts as they do for a pulled page.

A refresh is `store.metrics_snapshot` for today, this shift and the last 7 days (the lead view's
three windows) plus the queues and agent loads, end to end from the event loop: the hop to the
store's thread, the SQL, and turning the rows into domain values. "Cold" is the first refresh
after opening the file (the SQLAlchemy side already imported, the OS page cache as left by the
previous run); "warm" repeats it. A 30-day refresh is timed too. That the SQL counts exactly what
`domain.metrics` defines is the contract suite's job (tests/store/test_contract_metrics.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from pull_next import CUSTOMERS, load_requests, make_agents  # type: ignore[import-not-found]

from agentdesk.config_routing import default_policy
from agentdesk.demo import DEPARTMENTS
from agentdesk.domain import sla
from agentdesk.domain.metrics import (
    Kpis,
    Period,
    ScreenSession,
    Window,
    period_window,
    total,
)
from agentdesk.domain.model import (
    PRIORITY_ORDER,
    Channel,
    Customer,
    CustomerTier,
    Message,
    MessageKind,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.store.sqlite import SqliteStore, convert, tables
from agentdesk.store.sqlite.database import bulk_insert
from agentdesk.store.sqlite.metrics import record_sessions

DEFAULT_DB = Path("/tmp/agentdesk-metrics-bench.db")
TICKETS = 100_000
DAYS = 30
PAGE = 10_000
MIN = timedelta(minutes=1)
Worked = tuple[Ticket, list[Message], list[ScreenSession]]
# Fixed, so every build and run sees the same desk.
NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def minutes(rng: random.Random, mean: float) -> timedelta:
    return rng.expovariate(1 / mean) * MIN


def make_ticket(
    rng: random.Random,
    number: int,
    agents: list[str],
    customers: list[str],
    request: tuple[str, str],
    policy: RoutingPolicy,
) -> Worked:
    text, intent = request
    route = policy.routes[intent]
    rank = route.priority.rank + rng.choices([-1, 0, 1], weights=[1, 6, 1])[0]
    priority = PRIORITY_ORDER[min(max(rank, 0), len(PRIORITY_ORDER) - 1)]
    created = NOW - rng.uniform(1, DAYS * 24 * 60) * MIN
    first_due, resolution_due = sla.due_times(priority, CustomerTier.STANDARD, created)
    age = NOW - created
    ticket_id = f"bench-t-{number}"
    messages = [Message(f"{ticket_id}-m0", ticket_id, MessageKind.CUSTOMER, text, created)]
    sessions: list[ScreenSession] = []
    status, assignee = TicketStatus.NEW, None
    responded = closed = None
    csat = None
    taken_up = 0.998 if age > timedelta(hours=4) else 0.6
    if rng.random() < taken_up:
        assignee = rng.choice(agents)
        status = TicketStatus.OPEN
        answer = created + minutes(rng, 90)
        if answer < NOW:
            responded = answer
            replies = rng.choices([1, 2, 3, 4], weights=[5, 3, 1, 1])[0]
            moment = answer
            for index in range(replies):
                messages.append(
                    Message(
                        f"{ticket_id}-r{index}",
                        ticket_id,
                        MessageKind.REPLY,
                        "Thanks for writing; here is what we found.",
                        moment,
                        assignee,
                    )
                )
                opened = moment - 6 * MIN
                sessions.append(
                    ScreenSession(ticket_id, assignee, opened, opened + minutes(rng, 5))
                )
                moment += minutes(rng, 120)
            finish = moment
            if finish < NOW and (age > timedelta(days=1) or rng.random() < 0.5):
                closed = finish
                status = TicketStatus.CLOSED
                if rng.random() < 0.33:
                    csat = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 6])[0]
            elif rng.random() < 0.3:
                status = TicketStatus.PENDING
    ticket = Ticket(
        id=ticket_id,
        number=number,
        subject=text[:80],
        customer_id=rng.choice(customers),
        department_id=route.department,
        status=status,
        priority=priority,
        channel=rng.choice(list(Channel)),
        intent=intent,
        created_at=created,
        updated_at=closed or responded or created,
        required_skill=route.skill,
        complexity=route.complexity,
        first_response_due=first_due,
        resolution_due=resolution_due,
        first_response_at=responded,
        sla_paused_at=(responded if status is TicketStatus.PENDING else None),
        assignee_id=assignee,
        csat=csat,
        closed_at=closed,
    )
    return ticket, messages, sessions


def follow_up(rng: random.Random, number: int, of: Ticket) -> tuple[Ticket, list[Message]]:
    assert of.closed_at is not None
    created = of.closed_at + minutes(rng, 600)
    ticket_id = f"bench-t-{number}"
    first_due, resolution_due = sla.due_times(of.priority, CustomerTier.STANDARD, created)
    ticket = Ticket(
        id=ticket_id,
        number=number,
        subject=f"Re: {of.subject}",
        customer_id=of.customer_id,
        department_id=of.department_id,
        status=TicketStatus.NEW,
        priority=of.priority,
        channel=of.channel,
        intent=of.intent,
        created_at=min(created, NOW),
        updated_at=min(created, NOW),
        first_response_due=first_due,
        resolution_due=resolution_due,
        follow_up_of=of.id,
    )
    body = Message(f"{ticket_id}-m0", ticket_id, MessageKind.CUSTOMER, "Still broken.", created)
    return ticket, [body]


def generate(count: int, agent_ids: list[str], customer_ids: list[str]) -> Iterator[Worked]:
    """The desk's history, ticket by ticket (a follow-up right after the ticket it follows)."""
    rng = random.Random(6)
    policy = default_policy()
    requests = [(text, intent) for text, intent in load_requests() if intent in policy.routes]
    number = 0
    while number < count:
        number += 1
        request = requests[number % len(requests)]
        ticket, said, seen = make_ticket(rng, number, agent_ids, customer_ids, request, policy)
        yield ticket, said, seen
        if ticket.closed_at is not None and rng.random() < 0.04 and number < count:
            again, said = follow_up(rng, number + 1, ticket)
            if again.created_at < NOW:
                number += 1
                yield again, said, []


async def build(db: Path, count: int) -> None:
    """Reference data through the store; the history in bulk, as the store's converters write
    it, so the triggers count it as they count a pulled page (a pull would take an hour)."""
    rng = random.Random(6)
    started = time.perf_counter()
    store = SqliteStore(db, create=True)
    await store.open()
    await store.add_departments(DEPARTMENTS)
    agents = make_agents(rng)
    await store.add_agents(agents)
    customers = [
        Customer(f"bench-cu-{index}", f"Customer {index}", f"customer{index}@example.com")
        for index in range(CUSTOMERS)
    ]
    await store.add_customers(customers)
    await store.close()
    names = {customer.id: customer.name for customer in customers}
    database = SqliteStore(db)._open_database()
    history = generate(count, [agent.id for agent in agents], list(names))
    done = 0
    while True:
        page = list(islice(history, PAGE))
        if not page:
            break
        with database.writing() as tx:
            tickets = [
                convert.ticket_values(ticket, names[ticket.customer_id]) for ticket, _, _ in page
            ]
            bulk_insert(tx.connection, tables.tickets, tickets)
            messages = [convert.message_values(m) for _, said, _ in page for m in said]
            bulk_insert(tx.connection, tables.messages, messages)
            record_sessions(tx, [session for _, _, seen in page for session in seen])
            done = page[-1][0].number
            tx.next_numbers(len(page))
        print(f"tickets: {done}", file=sys.stderr)
    database.close()
    print(f"built {db} in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def measure(db: Path, rounds: int) -> None:
    store = SqliteStore(db)
    await store.open()
    await store.agents()  # the SQLAlchemy side, as a running app has it by then
    windows = [period_window(period, NOW) for period in (Period.TODAY, Period.SHIFT, Period.WEEK)]
    month = [period_window(Period.MONTH, NOW)]

    async def timed(chosen: list[Window]) -> tuple[float, float]:
        """Wall and CPU milliseconds (CPU of every thread: the loop's and the store's)."""
        wall, cpu = time.perf_counter(), time.process_time()
        await store.metrics_snapshot(chosen, now=NOW)
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000

    cold = await timed(windows)
    warm = [await timed(windows) for _ in range(rounds)]
    month_times = [await timed(month) for _ in range(max(rounds // 3, 3))]
    snapshot = await store.metrics_snapshot(windows, now=NOW)
    week = snapshot.tallies[2]
    kpis = Kpis.of(total(week.values()))
    await store.close()
    print(f"groups (queue, agent) in 7 days: {len(week)}; 7-day KPIs: {kpis}")
    print(
        f"waiting per queue: {sorted((q.department_id, q.waiting) for q in snapshot.queues.values())}"
    )
    print(f"load average (1 min) after the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"refresh today+shift+7d, cold: {cold[0]:.1f} ms wall, {cold[1]:.1f} ms CPU")
    for name, runs in (("today+shift+7d", warm), ("30d", month_times)):
        walls, cpus = [run[0] for run in runs], [run[1] for run in runs]
        print(
            f"refresh {name}, warm ({len(runs)} rounds): wall p50 {statistics.median(walls):.1f} ms, "
            f"p95 {percentile(walls, 0.95):.1f} ms; CPU p50 {statistics.median(cpus):.1f} ms, "
            f"p95 {percentile(cpus, 0.95):.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=DEFAULT_DB)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--tickets", type=int, default=TICKETS)
    args = parser.parse_args()
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
    if not args.db.exists():
        asyncio.run(build(args.db, args.tickets))
    asyncio.run(measure(args.db, args.rounds))


if __name__ == "__main__":
    main()
