"""The lead board's arithmetic: SLA standing per queue, horizons, sparkline series, CSV."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from agentdesk.domain.calendar import ALWAYS_OPEN, BusinessCalendar
from agentdesk.domain.lead_board import (
    ALL_QUEUES,
    QueueClocks,
    agent_lines,
    agent_record,
    clock_standing,
    csv_text,
    export_name,
    hourly_windows,
    picker_order,
    queue_clocks,
    queue_lines,
    queue_record,
    queue_series,
    refresh_windows,
    risk_horizons,
    serves,
    slow_windows,
)
from agentdesk.domain.metrics import Period, QueueState, Tally, Window, period_window
from agentdesk.domain.model import (
    Agent,
    CustomerTier,
    Priority,
    SlaPolicy,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.sla import DEFAULT_SLA, SlaPolicies, SlaState, ticket_clock
from tests.unit.test_actions import make_ticket

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
HORIZONS = risk_horizons(DEFAULT_SLA, NOW)


def normal(**changes: object) -> Ticket:
    """A normal-priority ticket (first response target 4 h: at risk in its last hour)."""
    base = make_ticket(
        priority=Priority.NORMAL,
        status=TicketStatus.OPEN,
        first_response_at=None,
        sla_paused_at=None,
        closed_at=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_horizon_is_where_the_warning_stretch_begins() -> None:
    first, resolution = HORIZONS[(Priority.NORMAL, CustomerTier.STANDARD)]
    assert first == NOW + 60 * MIN  # 25 % of 4 h
    assert resolution == NOW + 6 * 60 * MIN  # 25 % of 24 h


def test_a_tier_override_gets_its_own_horizon() -> None:
    policies = SlaPolicies(
        tiers={CustomerTier.VIP: {Priority.NORMAL: SlaPolicy(Priority.NORMAL, 40, 400)}}
    )
    first, _ = risk_horizons(policies, NOW)[(Priority.NORMAL, CustomerTier.VIP)]
    assert first == NOW + 10 * MIN


def test_a_horizon_skips_closed_hours() -> None:
    office = ((9 * 60, 17 * 60),)
    calendar = BusinessCalendar("UTC", (office,) * 5 + ((), ()))
    late = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # a Friday, half an hour before closing
    first, _ = risk_horizons(SlaPolicies(calendar=calendar), late)[
        (Priority.NORMAL, CustomerTier.STANDARD)
    ]
    assert first == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # Monday


def test_standing_agrees_with_the_clock_shown_on_the_ticket() -> None:
    for minutes_left in (-5, 0, 30, 59, 60, 61, 200):
        ticket = normal(
            created_at=NOW - 4 * 60 * MIN + minutes_left * MIN,
            first_response_due=NOW + minutes_left * MIN,
        )
        clock = ticket_clock(ticket, NOW, DEFAULT_SLA)
        assert clock is not None
        at_risk, breached = clock_standing(ticket, CustomerTier.STANDARD, NOW, HORIZONS)
        assert at_risk == (clock.state is SlaState.WARNING), minutes_left
        assert breached == (clock.state is SlaState.BREACHED), minutes_left


def test_after_the_first_response_the_resolution_clock_counts() -> None:
    ticket = normal(
        first_response_at=NOW - 60 * MIN,
        first_response_due=NOW - 120 * MIN,  # answered late: that clock is over
        resolution_due=NOW + 5 * 60 * MIN,
    )
    assert clock_standing(ticket, CustomerTier.STANDARD, NOW, HORIZONS) == (True, False)


def test_a_paused_clock_is_breached_only_if_it_was_overdue_when_it_paused() -> None:
    overdue = normal(first_response_due=NOW - 30 * MIN, sla_paused_at=NOW - 10 * MIN)
    in_time = normal(first_response_due=NOW + 5 * MIN, sla_paused_at=NOW - 10 * MIN)
    assert clock_standing(overdue, CustomerTier.STANDARD, NOW, HORIZONS) == (False, True)
    assert clock_standing(in_time, CustomerTier.STANDARD, NOW, HORIZONS) == (False, False)


def test_queue_clocks_count_active_tickets_per_queue() -> None:
    tickets = [
        normal(department_id="billing", first_response_due=NOW - MIN),
        normal(department_id="billing", first_response_due=NOW + 30 * MIN),
        normal(department_id="billing", first_response_due=NOW + 3 * 60 * MIN),
        normal(department_id="billing", status=TicketStatus.CLOSED, first_response_due=NOW - MIN),
        normal(department_id="technical", first_response_due=None, resolution_due=None),
    ]
    board = queue_clocks(((t, CustomerTier.STANDARD) for t in tickets), NOW, HORIZONS)
    assert board == {
        "billing": QueueClocks("billing", 3, 1, 1),
        "technical": QueueClocks("technical", 1, 0, 0),
    }


def test_hourly_windows_end_now_oldest_first() -> None:
    windows = hourly_windows(NOW, 3)
    assert windows == [
        Window(NOW - 180 * MIN, NOW - 120 * MIN),
        Window(NOW - 120 * MIN, NOW - 60 * MIN),
        Window(NOW - 60 * MIN, NOW),
    ]


def test_queue_series_sums_a_queues_agents_per_window() -> None:
    tallies = [
        {("billing", "a"): Tally(arrivals=2), ("billing", None): Tally(arrivals=1)},
        {("technical", "a"): Tally(arrivals=4)},
    ]
    assert queue_series(tallies, "billing", "arrivals") == [3.0, 0.0]
    assert queue_series(tallies, None, "arrivals") == [3.0, 4.0]


def test_csv_text_quotes_and_leaves_none_empty() -> None:
    text = csv_text(["queue", "oldest"], [["Billing, EU", None], ["Tech", "5m"]])
    assert text == 'queue,oldest\n"Billing, EU",\nTech,5m\n'


def test_export_names_sort_by_time() -> None:
    assert export_name("queues", NOW) == "lead-queues-20261120-090000.csv"


def test_queue_lines_put_the_total_first_and_keep_unnamed_queues() -> None:
    states = {"billing": QueueState("billing", 2, 30 * MIN, 20 * MIN)}
    clocks = {
        "billing": QueueClocks("billing", 3, 1, 0),
        "vip": QueueClocks("vip", 1, 0, 1),  # a queue with tickets but no department record
    }
    last_hour = {("billing", None): Tally(arrivals=2), ("billing", "a"): Tally(arrivals=1)}
    lines = queue_lines({"billing": "Billing", "general": "General"}, states, clocks, last_hour)
    assert [(line.department_id, line.name) for line in lines] == [
        (ALL_QUEUES, "All queues"),
        ("billing", "Billing"),
        ("general", "General"),
        ("vip", "vip"),
    ]
    everything, billing, general, _ = lines
    assert (billing.active, billing.waiting, billing.oldest_wait) == (3, 2, 20 * MIN)
    assert (billing.at_risk, billing.breached, billing.arrivals_last_hour) == (1, 0, 3)
    assert (general.active, general.oldest_wait) == (0, timedelta(0))
    assert (everything.active, everything.breached, everything.oldest_wait) == (4, 1, 20 * MIN)
    assert queue_record(everything)[:5] == ("*", "All queues", 4, 2, 20.0)


ANN = Agent("a", "ann", "Ann", skills={"refunds": 2}, capacity=2)
BEN = Agent("b", "ben", "Ben", skills={"refunds": 4}, capacity=4, departments=("billing",))
CY = Agent("c", "cy", "Cy", skills={"refunds": 5}, available=False)


def test_agent_lines_busiest_first_with_status() -> None:
    lines = agent_lines([ANN, BEN, CY], {"a": 3, "b": 1}, {"a": 17})
    assert [(line.handle, line.status, line.current_ticket) for line in lines] == [
        ("ann", "over capacity", 17),
        ("ben", "available", None),
        ("cy", "away", None),
    ]


def test_the_picker_offers_available_skilled_and_light_agents_first() -> None:
    loads = {"a": 0, "b": 3}
    assert [a.handle for a in picker_order([ANN, BEN, CY], loads, "refunds")] == [
        "ben",
        "ann",
        "cy",
    ]
    assert [a.handle for a in picker_order([ANN, BEN, CY], loads, None)] == ["ann", "ben", "cy"]


def test_an_agent_without_departments_serves_every_queue() -> None:
    assert serves(ANN, "technical") and serves(BEN, "billing") and serves(BEN, ALL_QUEUES)
    assert not serves(BEN, "technical")


def test_a_refresh_reads_today_and_a_short_period_shown_the_week_apart() -> None:
    now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    periods, last_hour = refresh_windows(Period.SHIFT, now, ALWAYS_OPEN)
    assert periods == {
        Period.TODAY: period_window(Period.TODAY, now),
        Period.SHIFT: period_window(Period.SHIFT, now),
    }
    assert last_hour == Window(now - timedelta(hours=1), now)
    assert slow_windows(Period.SHIFT, now, ALWAYS_OPEN, 12) == (hourly_windows(now, 12), {})
    assert list(refresh_windows(Period.WEEK, now, ALWAYS_OPEN)[0]) == [Period.TODAY]
    assert slow_windows(Period.WEEK, now, ALWAYS_OPEN, 3) == (
        hourly_windows(now, 3),
        {Period.WEEK: period_window(Period.WEEK, now)},
    )


def test_agent_lines_carry_each_agents_kpis_for_the_day_over_every_queue() -> None:
    agent = Agent("ag-1", "ann", "Ann", capacity=4)
    today = {
        ("billing", "ag-1"): Tally(resolved=1, first_contact_resolved=1),
        ("logistics", "ag-1"): Tally(resolved=1, csat_responses=1, csat_satisfied=1),
        ("billing", "ag-2"): Tally(resolved=5),
    }
    (line,) = agent_lines([agent], {"ag-1": 1}, {"ag-1": 7}, today)
    assert (line.today.resolved, line.today.first_contact_resolution, line.today.csat) == (
        2,
        0.5,
        1.0,
    )
    assert agent_record(line)[-4:] == (2, None, 0.5, 1.0)
    (idle,) = agent_lines([agent], {}, {})
    assert (idle.today.resolved, idle.today.csat) == (0, None)
