"""Metric arithmetic on fixed ticket histories, with the expected numbers worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.domain import actions
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.calendar import office_hours
from agentdesk.domain.metrics import (
    EMPTY,
    Kpis,
    Period,
    ScreenClock,
    ScreenSession,
    Tally,
    TicketHistory,
    UnknownPeriod,
    Window,
    agent_loads,
    by_agent,
    by_queue,
    history_of,
    parse_period,
    period_window,
    queue_states,
    tally,
    tally_ticket,
    total,
)
from agentdesk.domain.model import Channel, Priority, Ticket, TicketStatus

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WINDOW = Window(T0, T0 + timedelta(hours=10))
MIN = timedelta(minutes=1)


def ticket(number: int, **changes: object) -> Ticket:
    base = Ticket(
        id=f"t{number}",
        number=number,
        subject="s",
        customer_id="cu",
        department_id="billing",
        status=TicketStatus.OPEN,
        priority=Priority.NORMAL,
        channel=Channel.EMAIL,
        intent="",
        created_at=T0 + MIN,
        updated_at=T0 + MIN,
        first_response_due=T0 + 61 * MIN,
        resolution_due=T0 + 241 * MIN,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def closed(number: int, at: timedelta, **changes: object) -> Ticket:
    return ticket(number, status=TicketStatus.CLOSED, closed_at=T0 + at, **changes)


# -- one ticket ------------------------------------------------------------------------------
def test_a_one_touch_ticket_closed_on_time() -> None:
    history = TicketHistory(
        closed(1, 90 * MIN, first_response_at=T0 + 31 * MIN, assignee_id="a", csat=5),
        agent_messages=2,
        handle_time=7 * MIN,
    )
    assert tally_ticket(history, WINDOW) == Tally(
        arrivals=1,
        first_responses=1,
        first_response_time=30 * MIN,
        first_response_clocks=1,
        first_response_met=1,
        resolved=1,
        resolution_clocks=1,
        resolution_met=1,
        first_contact_resolved=1,
        csat_responses=1,
        csat_satisfied=1,
        handled=1,
        handle_time=7 * MIN,
    )


def test_three_agent_messages_are_not_first_contact() -> None:
    history = TicketHistory(closed(1, 90 * MIN), agent_messages=3)
    assert tally_ticket(history, WINDOW).first_contact_resolved == 0


@pytest.mark.parametrize("reopens, follow_ups", [(1, 0), (0, 1), (2, 1)])
def test_a_reopened_ticket_counts_once_and_is_not_first_contact(
    reopens: int, follow_ups: int
) -> None:
    history = TicketHistory(
        closed(1, 90 * MIN), agent_messages=1, reopens=reopens, follow_ups=follow_ups
    )
    counted = tally_ticket(history, WINDOW)
    assert (counted.reopened, counted.first_contact_resolved) == (1, 0)


def test_late_answers_and_closures_breach_their_clocks() -> None:
    history = TicketHistory(closed(1, 300 * MIN, first_response_at=T0 + 70 * MIN, csat=3))
    counted = tally_ticket(history, WINDOW)
    assert (counted.first_response_clocks, counted.first_response_met) == (1, 0)
    assert (counted.resolution_clocks, counted.resolution_met) == (1, 0)
    assert (counted.csat_responses, counted.csat_satisfied) == (1, 0)
    assert counted.first_response_time == 69 * MIN


def test_an_unanswered_ticket_breaches_once_its_due_time_passes_in_the_window() -> None:
    before_due = Window(T0, T0 + 60 * MIN)
    after_due = Window(T0, T0 + 62 * MIN)
    open_ticket = TicketHistory(ticket(1))
    assert tally_ticket(open_ticket, before_due).first_response_clocks == 0
    assert tally_ticket(open_ticket, after_due).first_response_clocks == 1
    assert tally_ticket(open_ticket, after_due).first_response_met == 0


def test_a_ticket_closed_unanswered_before_its_due_time_breaches_nothing() -> None:
    history = TicketHistory(closed(1, 30 * MIN))
    counted = tally_ticket(history, WINDOW)
    assert counted.first_response_clocks == 0
    assert (counted.resolution_clocks, counted.resolution_met) == (1, 1)


def test_a_paused_resolution_clock_is_not_breached_yet() -> None:
    waiting = ticket(
        1, status=TicketStatus.PENDING, first_response_at=T0 + 2 * MIN, sla_paused_at=T0 + 2 * MIN
    )
    assert tally_ticket(TicketHistory(waiting), WINDOW).resolution_clocks == 0
    running = replace(waiting, status=TicketStatus.OPEN, sla_paused_at=None)
    assert tally_ticket(TicketHistory(running), WINDOW).resolution_clocks == 1


def test_events_outside_the_window_do_not_count() -> None:
    history = TicketHistory(
        closed(1, 11 * 60 * MIN, first_response_at=T0 + 31 * MIN, csat=5), handle_time=MIN
    )
    later = Window(T0 + 60 * MIN, T0 + 24 * 60 * MIN)
    counted = tally_ticket(history, later)
    assert counted.arrivals == 0 and counted.first_responses == 0
    assert counted.resolved == 1 and counted.csat_satisfied == 1
    assert tally_ticket(history, Window(T0 - 60 * MIN, T0)) == EMPTY


# -- a small desk ---------------------------------------------------------------------------
# Four tickets over the window, worked by hand:
#   t1 billing/a: answered after 30 min (on time), closed on time, one touch, CSAT 5, 10 min screen
#   t2 billing/a: answered after 90 min (late), reopened, closed late, CSAT 2, 20 min screen
#   t3 billing/b: answered after 10 min, still open (resolution due passes in the window)
#   t4 general/-: unanswered and overdue, waiting in the queue
DESK = [
    TicketHistory(
        closed(1, 100 * MIN, first_response_at=T0 + 31 * MIN, assignee_id="a", csat=5),
        agent_messages=1,
        handle_time=10 * MIN,
    ),
    TicketHistory(
        closed(2, 300 * MIN, first_response_at=T0 + 91 * MIN, assignee_id="a", csat=2),
        agent_messages=1,
        reopens=1,
        handle_time=20 * MIN,
    ),
    TicketHistory(ticket(3, first_response_at=T0 + 11 * MIN, assignee_id="b")),
    TicketHistory(ticket(4, department_id="general", status=TicketStatus.NEW)),
]


def test_kpis_of_the_desk() -> None:
    kpis = Kpis.of(total(tally(DESK, WINDOW).values()))
    assert kpis.arrivals == 4
    assert kpis.resolved == 2
    assert kpis.average_first_response == (30 + 90 + 10) * MIN / 3
    assert kpis.first_response_sla == pytest.approx(2 / 4)  # t1, t3 met; t2 late, t4 overdue
    assert kpis.resolution_sla == pytest.approx(1 / 4)  # t1 met; t2 late; t3, t4 overdue
    assert kpis.first_contact_resolution == pytest.approx(1 / 2)
    assert kpis.reopen_rate == pytest.approx(1 / 2)
    assert kpis.csat == pytest.approx(1 / 2)
    assert kpis.csat_responses == 2
    assert kpis.average_handle_time == 15 * MIN


def test_the_desk_per_queue_and_per_agent() -> None:
    groups = tally(DESK, WINDOW)
    assert set(groups) == {("billing", "a"), ("billing", "b"), ("general", None)}
    queues = {name: Kpis.of(counted) for name, counted in by_queue(groups).items()}
    assert queues["billing"].arrivals == 3 and queues["general"].arrivals == 1
    assert queues["general"].first_response_sla == 0
    agents = {name: Kpis.of(counted) for name, counted in by_agent(groups).items()}
    assert agents["a"].resolved == 2 and agents["b"].resolved == 0
    assert agents["b"].first_contact_resolution is None  # nothing resolved: no ratio
    assert agents["b"].average_first_response == 10 * MIN


def test_nothing_measured_gives_no_ratios() -> None:
    kpis = Kpis.of(EMPTY)
    assert kpis.average_first_response is None and kpis.csat is None
    assert kpis.first_response_sla is None and kpis.average_handle_time is None


def test_queue_state_and_loads() -> None:
    now = T0 + 61 * MIN
    tickets = [
        ticket(1, status=TicketStatus.NEW),
        ticket(2, status=TicketStatus.OPEN, created_at=T0 + 31 * MIN),
        ticket(3, assignee_id="a"),
        ticket(4, status=TicketStatus.PENDING),  # waits on the customer, not in the queue
        ticket(5, status=TicketStatus.PENDING, assignee_id="a"),
    ]
    (billing,) = queue_states(tickets, now).values()
    assert (billing.waiting, billing.oldest_wait) == (2, 60 * MIN)
    assert billing.average_wait == 45 * MIN
    assert agent_loads(tickets) == {"a": 1}


# -- histories from real actions -------------------------------------------------------------
def test_history_of_a_ticket_worked_through_the_actions() -> None:
    new = NewTicket("Kettle", "Broken", "cu", "billing", created_at=T0)
    change = actions.create_ticket(new, number=1, now=T0)
    events = list(change.audit)
    messages = list(change.messages)
    t = change.ticket
    for step in (
        lambda t: actions.assign(t, "a", actor_id="a", now=T0 + MIN),
        lambda t: actions.reply(t, "Hello", author_id="a", now=T0 + 2 * MIN),
        lambda t: actions.reply(t, "internal", author_id="a", now=T0 + 3 * MIN, internal=True),
        lambda t: actions.request_confirmation(
            t, "fixed", "Fixed?", actor_id="a", now=T0 + 4 * MIN
        ),
        lambda t: actions.customer_reply(t, "No, still broken", now=T0 + 5 * MIN),
        lambda t: actions.request_confirmation(t, "fixed", "Now?", actor_id="a", now=T0 + 6 * MIN),
        lambda t: actions.customer_reply(t, "Yes", now=T0 + 7 * MIN, confirms_resolution=True),
    ):
        change = step(t)
        t = change.ticket
        events += change.audit
        messages += change.messages
    sessions = [
        ScreenSession(t.id, "a", T0 + MIN, T0 + 4 * MIN),
        ScreenSession(t.id, "a", T0 + 6 * MIN, T0 + 6 * MIN + timedelta(seconds=30)),
    ]
    history = history_of(t, messages, [event.kind for event in events], sessions)
    assert (history.agent_messages, history.reopens) == (3, 1)
    assert history.handle_time == 3 * MIN + timedelta(seconds=30)
    counted = tally_ticket(history, WINDOW)
    assert (counted.resolved, counted.reopened, counted.first_contact_resolved) == (1, 1, 0)
    assert counted.first_response_time == 2 * MIN


def test_a_screen_session_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        ScreenSession("t", "a", T0, T0 - MIN)


# -- windows ---------------------------------------------------------------------------------
BERLIN_DAY = office_hours("Europe/Berlin", time(9), time(17))


def test_today_starts_at_local_midnight() -> None:
    now = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)  # 07:30 in Berlin (UTC+1)
    window = period_window(Period.TODAY, now, BERLIN_DAY)
    assert window == Window(datetime(2026, 11, 22, 23, 0, tzinfo=UTC), now)


def test_the_shift_is_the_current_or_last_opening() -> None:
    during = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday 11:00 in Berlin
    assert period_window(Period.SHIFT, during, BERLIN_DAY) == Window(
        datetime(2026, 11, 23, 8, 0, tzinfo=UTC), during
    )
    monday_morning = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # before opening: Friday's shift
    assert period_window(Period.SHIFT, monday_morning, BERLIN_DAY) == Window(
        datetime(2026, 11, 20, 8, 0, tzinfo=UTC), datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    )


def test_an_always_open_desk_has_an_eight_hour_shift_and_day_windows() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert period_window(Period.SHIFT, now).start == now - timedelta(hours=8)
    assert period_window(Period.WEEK, now).start == now - timedelta(days=7)
    assert period_window(Period.MONTH, now).start == now - timedelta(days=30)


def test_the_shift_skips_holidays() -> None:
    calendar = office_hours("UTC", time(9), time(17), holidays=[date(2026, 11, 20)])
    now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday before opening; Friday a holiday
    assert period_window(Period.SHIFT, now, calendar).start == datetime(
        2026, 11, 19, 9, 0, tzinfo=UTC
    )


@pytest.mark.parametrize("name", ["7d", " TODAY ", "shift", "30d"])
def test_periods_parse(name: str) -> None:
    assert parse_period(name).value == name.strip().lower()


def test_an_unknown_period_names_the_choices() -> None:
    with pytest.raises(UnknownPeriod, match="today, shift, 7d, 30d"):
        parse_period("fortnight")


# -- properties ------------------------------------------------------------------------------
MINUTES = st.integers(min_value=-120, max_value=900).map(lambda m: T0 + m * MIN)


@st.composite
def histories(draw: st.DrawFn) -> TicketHistory:
    created = draw(MINUTES)
    responded = draw(st.none() | st.integers(0, 600).map(lambda m: created + m * MIN))
    closed_at = draw(st.none() | st.integers(0, 900).map(lambda m: created + m * MIN))
    return TicketHistory(
        ticket(
            draw(st.integers(1, 10**6)),
            department_id=draw(st.sampled_from(["billing", "general", "tech"])),
            assignee_id=draw(st.sampled_from([None, "a", "b", "c"])),
            status=TicketStatus.CLOSED if closed_at else TicketStatus.OPEN,
            created_at=created,
            first_response_at=responded,
            first_response_due=draw(st.none() | st.just(created + 60 * MIN)),
            resolution_due=created + draw(st.integers(0, 600)) * MIN,
            closed_at=closed_at,
            csat=draw(st.none() | st.integers(1, 5)) if closed_at else None,
        ),
        agent_messages=draw(st.integers(0, 4)),
        reopens=draw(st.integers(0, 2)),
        follow_ups=draw(st.integers(0, 1)),
        handle_time=draw(st.integers(0, 3600)) * timedelta(seconds=1),
    )


PROPERTY = settings(max_examples=60, deadline=None)


@PROPERTY
@given(st.lists(histories(), max_size=30))
def test_per_agent_and_per_queue_sums_equal_the_total(desk: list[TicketHistory]) -> None:
    groups = tally(desk, WINDOW)
    everything = total(tally_ticket(history, WINDOW) for history in desk)
    assert total(by_agent(groups).values()) == everything
    assert total(by_queue(groups).values()) == everything


@PROPERTY
@given(st.lists(histories(), max_size=30), st.integers(0, 10 * 60))
def test_splitting_the_window_splits_the_counts(desk: list[TicketHistory], cut: int) -> None:
    middle = WINDOW.start + cut * MIN
    first, second = Window(WINDOW.start, middle), Window(middle, WINDOW.end)
    assert total(tally(desk, first).values()) + total(tally(desk, second).values()) == total(
        tally(desk, WINDOW).values()
    )


@PROPERTY
@given(st.lists(histories(), max_size=30))
def test_ratios_stay_between_zero_and_one(desk: list[TicketHistory]) -> None:
    kpis = Kpis.of(total(tally(desk, WINDOW).values()))
    for share in (
        kpis.first_response_sla,
        kpis.resolution_sla,
        kpis.first_contact_resolution,
        kpis.reopen_rate,
        kpis.csat,
    ):
        assert share is None or 0 <= share <= 1


def test_the_screen_clock_ignores_repeats_and_empty_stays() -> None:
    clock = ScreenClock("t1", "a")
    assert clock.hide(T0) is None  # never shown
    clock.show(T0)
    clock.show(T0 + MIN)  # already showing: the stay began at T0
    assert clock.hide(T0 + 3 * MIN) == ScreenSession("t1", "a", T0, T0 + 3 * MIN)
    assert clock.hide(T0 + 4 * MIN) is None
    clock.show(T0 + 5 * MIN)
    assert clock.hide(T0 + 5 * MIN) is None  # no time passed
