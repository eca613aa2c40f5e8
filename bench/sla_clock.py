"""SLA clock arithmetic: business time over long spans, and a queue screen's clocks per tick.

    python bench/sla_clock.py

Measures, on a Berlin 09:00-17:00 Monday-Friday calendar with holidays:
- `business_time_between` over spans from a day to ten years, with the per-day cache cold
  (each run on a fresh calendar) and warm;
- `add_business_time` of the default targets (30 min to 72 h);
- `row_clock` for 50 queue lines, what the queue computes on each minute tick.
"""

from __future__ import annotations

import statistics
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from agentdesk.domain.calendar import (
    BusinessCalendar,
    _day_openings,
    add_business_time,
    business_time_between,
    office_hours,
)
from agentdesk.domain.model import Channel, CustomerTier, Priority, TicketRow, TicketStatus
from agentdesk.domain.sla import SlaPolicies, due_times, row_clock

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
HOLIDAYS = [date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)]


def calendar() -> BusinessCalendar:
    return office_hours("Europe/Berlin", time(9), time(17), holidays=HOLIDAYS)


def timed(work: Callable[[], object], *, cold: bool, rounds: int = 7) -> float:
    """Median milliseconds of `work`; cold runs clear the per-day cache first."""
    samples = []
    for _ in range(rounds):
        if cold:
            _day_openings.cache_clear()
        began = clock.perf_counter()
        work()
        samples.append((clock.perf_counter() - began) * 1000)
    return statistics.median(samples)


def main() -> None:
    office = calendar()
    for label, span in [
        ("1 day", timedelta(days=1)),
        ("1 month", timedelta(days=30)),
        ("1 year", timedelta(days=365)),
        ("10 years", timedelta(days=3650)),
    ]:
        end = START + span
        cold = timed(lambda end=end: business_time_between(office, START, end), cold=True)
        warm = timed(lambda end=end: business_time_between(office, START, end), cold=False)
        print(f"between, {label:>8}: cold {cold:8.3f} ms   warm {warm:8.3f} ms")
    for minutes in (30, 60, 240, 1440, 4320):
        cold = timed(lambda m=minutes: add_business_time(office, START, m), cold=True)
        warm = timed(lambda m=minutes: add_business_time(office, START, m), cold=False)
        print(f"add {minutes:>5} min:      cold {cold:8.3f} ms   warm {warm:8.3f} ms")

    policies = SlaPolicies(calendar=office)
    rows = []
    for index in range(50):
        created = START + timedelta(minutes=37 * index)
        priority = list(Priority)[index % 4]
        first, resolution = due_times(priority, CustomerTier.STANDARD, created, policies)
        rows.append(
            TicketRow(
                id=f"t{index}",
                number=index,
                subject="s",
                status=TicketStatus.OPEN,
                priority=priority,
                channel=Channel.EMAIL,
                intent="",
                customer_name="c",
                customer_tier=CustomerTier.STANDARD,
                department_id="d",
                assignee_id=None,
                created_at=created,
                first_response_due=first,
                resolution_due=resolution,
                first_response_at=None,
            )
        )
    now = START + timedelta(hours=30)
    ticks = timed(lambda: [row_clock(row, now, policies) for row in rows], cold=False)
    print(f"row_clock x 50 (one queue tick): {ticks:.3f} ms")


if __name__ == "__main__":
    main()
