"""SLA due times, clock states and the compact countdown."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.domain import actions
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.calendar import ALWAYS_OPEN, business_time_between, office_hours
from agentdesk.domain.model import (
    Channel,
    CustomerTier,
    Priority,
    SlaPolicy,
    Ticket,
    TicketRow,
    TicketStatus,
)
from agentdesk.domain.replies import sla_timers
from agentdesk.domain.sla import (
    DEFAULT_POLICIES,
    DEFAULT_SLA,
    SlaClock,
    SlaPolicies,
    SlaState,
    clock_state,
    current_clock,
    due_times,
    follow_status,
    format_remaining,
    row_clock,
    ticket_clock,
)

CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
STANDARD = CustomerTier.STANDARD


# --- due_times -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [
        (Priority.URGENT, timedelta(minutes=30), timedelta(hours=4)),
        (Priority.HIGH, timedelta(hours=1), timedelta(hours=8)),
        (Priority.NORMAL, timedelta(hours=4), timedelta(hours=24)),
        (Priority.LOW, timedelta(hours=24), timedelta(hours=72)),
    ],
)
def test_default_due_times(
    priority: Priority, first_response: timedelta, resolution: timedelta
) -> None:
    assert due_times(priority, STANDARD, CREATED) == (
        CREATED + first_response,
        CREATED + resolution,
    )


def test_default_policies_cover_every_priority_and_answer_before_resolving() -> None:
    assert set(DEFAULT_POLICIES) == set(Priority)
    for priority, policy in DEFAULT_POLICIES.items():
        assert policy.priority is priority
        assert 0 < policy.first_response_minutes < policy.resolution_minutes


def test_custom_policies_replace_the_defaults() -> None:
    policies = {p: SlaPolicy(p, 5, 50) for p in Priority}
    for priority in Priority:
        assert due_times(priority, STANDARD, CREATED, policies) == (
            CREATED + 5 * MINUTE,
            CREATED + 50 * MINUTE,
        )


def test_policies_missing_a_priority_fall_back_to_the_default() -> None:
    policies = {Priority.URGENT: SlaPolicy(Priority.URGENT, 10, 100)}
    assert due_times(Priority.URGENT, STANDARD, CREATED, policies) == (
        CREATED + 10 * MINUTE,
        CREATED + 100 * MINUTE,
    )
    assert due_times(Priority.LOW, STANDARD, CREATED, policies) == due_times(
        Priority.LOW, STANDARD, CREATED
    )


def test_empty_policies_mean_the_defaults() -> None:
    assert due_times(Priority.HIGH, STANDARD, CREATED, {}) == due_times(
        Priority.HIGH, STANDARD, CREATED
    )


# --- clock_state -----------------------------------------------------------------------------

DUE = CREATED + 100 * MINUTE  # 75% of the span is at minute 75


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (CREATED - MINUTE, SlaState.OK),
        (CREATED, SlaState.OK),
        (CREATED + 75 * MINUTE - SECOND, SlaState.OK),
        (CREATED + 75 * MINUTE, SlaState.WARNING),
        (DUE - SECOND, SlaState.WARNING),
        (DUE, SlaState.BREACHED),
        (DUE + timedelta(days=3), SlaState.BREACHED),
    ],
)
def test_clock_state_boundaries(now: datetime, expected: SlaState) -> None:
    assert clock_state(CREATED, DUE, now) is expected


def test_clock_with_no_span_is_ok_before_and_breached_at_due() -> None:
    assert clock_state(CREATED, CREATED, CREATED - SECOND) is SlaState.OK
    assert clock_state(CREATED, CREATED, CREATED) is SlaState.BREACHED


@given(
    span_minutes=st.integers(min_value=1, max_value=10_000),
    elapsed_seconds=st.integers(min_value=-10_000, max_value=1_000_000),
)
def test_clock_state_agrees_with_the_fraction_elapsed(
    span_minutes: int, elapsed_seconds: int
) -> None:
    due = CREATED + span_minutes * MINUTE
    now = CREATED + elapsed_seconds * SECOND
    fraction = elapsed_seconds / (span_minutes * 60)
    state = clock_state(CREATED, due, now)
    if fraction >= 1:
        assert state is SlaState.BREACHED
    elif fraction >= 0.75:
        assert state is SlaState.WARNING
    else:
        assert state is SlaState.OK


# --- current_clock / ticket_clock ------------------------------------------------------------

FIRST_DUE = CREATED + 60 * MINUTE
RESOLUTION_DUE = CREATED + 480 * MINUTE


@pytest.mark.parametrize(
    "status",
    [
        TicketStatus.NEW,
        TicketStatus.OPEN,
        TicketStatus.PENDING,
        TicketStatus.AWAITING_CONFIRMATION,
    ],
)
def test_first_response_clock_runs_until_answered(status: TicketStatus) -> None:
    now = CREATED + 50 * MINUTE
    clock = current_clock(CREATED, FIRST_DUE, RESOLUTION_DUE, None, status, now)
    assert clock == SlaClock("first response", FIRST_DUE, 10 * MINUTE, SlaState.WARNING)


def test_clock_switches_to_resolution_once_answered() -> None:
    now = CREATED + 70 * MINUTE  # past the first-response target, but it was met
    answered = CREATED + 20 * MINUTE
    clock = current_clock(CREATED, FIRST_DUE, RESOLUTION_DUE, answered, TicketStatus.OPEN, now)
    assert clock == SlaClock("resolution", RESOLUTION_DUE, 410 * MINUTE, SlaState.OK)


def test_resolution_clock_measures_from_creation() -> None:
    answered = CREATED + MINUTE
    warning = CREATED + 360 * MINUTE  # 75% of 480
    clock = current_clock(CREATED, FIRST_DUE, RESOLUTION_DUE, answered, TicketStatus.OPEN, warning)
    assert clock is not None
    assert clock.state is SlaState.WARNING


def test_overdue_clock_has_negative_remaining() -> None:
    now = FIRST_DUE + 12 * MINUTE
    clock = current_clock(CREATED, FIRST_DUE, RESOLUTION_DUE, None, TicketStatus.NEW, now)
    assert clock is not None
    assert clock.state is SlaState.BREACHED
    assert clock.remaining == -12 * MINUTE


def test_closed_ticket_has_no_clock() -> None:
    assert (
        current_clock(CREATED, FIRST_DUE, RESOLUTION_DUE, None, TicketStatus.CLOSED, CREATED)
        is None
    )


def test_missing_targets() -> None:
    now = CREATED + MINUTE
    assert current_clock(CREATED, None, None, None, TicketStatus.OPEN, now) is None
    only_resolution = current_clock(CREATED, None, RESOLUTION_DUE, None, TicketStatus.OPEN, now)
    assert only_resolution is not None
    assert only_resolution.target == "resolution"
    answered_without_resolution = current_clock(
        CREATED, FIRST_DUE, None, CREATED, TicketStatus.OPEN, now
    )
    assert answered_without_resolution is None


def _ticket(**overrides: object) -> Ticket:
    values: dict[str, object] = {
        "id": "t",
        "number": 1,
        "subject": "s",
        "customer_id": "c",
        "department_id": "d",
        "status": TicketStatus.OPEN,
        "priority": Priority.HIGH,
        "channel": Channel.EMAIL,
        "intent": "",
        "created_at": CREATED,
        "updated_at": CREATED,
        "first_response_due": FIRST_DUE,
        "resolution_due": RESOLUTION_DUE,
    }
    values.update(overrides)
    return Ticket(**values)  # type: ignore[arg-type]


def test_ticket_clock_reads_the_ticket() -> None:
    now = CREATED + 30 * MINUTE
    assert ticket_clock(_ticket(), now) == SlaClock(
        "first response", FIRST_DUE, 30 * MINUTE, SlaState.OK
    )
    answered = _ticket(first_response_at=CREATED + MINUTE)
    assert ticket_clock(answered, now) == SlaClock(
        "resolution", RESOLUTION_DUE, 450 * MINUTE, SlaState.OK
    )
    assert ticket_clock(_ticket(status=TicketStatus.CLOSED), now) is None


# --- format_remaining ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "text"),
    [
        (timedelta(0), "0m"),
        (timedelta(seconds=59), "0m"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=42, seconds=59), "42m"),
        (timedelta(minutes=59), "59m"),
        (timedelta(hours=1), "1h00m"),
        (timedelta(hours=3, minutes=5), "3h05m"),
        (timedelta(hours=23, minutes=59), "23h59m"),
        (timedelta(days=1), "1d0h"),
        (timedelta(days=2, hours=4, minutes=30), "2d4h"),
        (timedelta(days=12, hours=23), "12d23h"),
        (timedelta(minutes=-12), "-12m"),
        (timedelta(hours=-3, minutes=-5), "-3h05m"),
        (timedelta(days=-2, hours=-4), "-2d4h"),
    ],
)
def test_format_remaining(remaining: timedelta, text: str) -> None:
    assert format_remaining(remaining) == text


def test_format_remaining_marks_any_overdue_time_as_negative() -> None:
    assert format_remaining(timedelta(seconds=-30)).startswith("-")


@given(st.integers(min_value=1, max_value=400 * 24 * 3600))
def test_format_remaining_is_symmetric(seconds: int) -> None:
    forward = format_remaining(timedelta(seconds=seconds))
    assert format_remaining(timedelta(seconds=-seconds)) == "-" + forward
    assert not forward.startswith("-")


# --- policies per priority and tier ----------------------------------------------------------

VIP = CustomerTier.VIP
BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = office_hours("Europe/Berlin", time(9), time(17))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)  # type: ignore[misc]


def test_issue_defaults_hold_for_every_tier() -> None:
    first_response = {
        Priority.URGENT: 30,
        Priority.HIGH: 60,
        Priority.NORMAL: 4 * 60,
        Priority.LOW: 24 * 60,
    }
    for tier in CustomerTier:
        for priority, minutes in first_response.items():
            assert DEFAULT_SLA.policy(priority, tier).first_response_minutes == minutes


def test_a_tier_override_wins_and_other_tiers_keep_the_priority_target() -> None:
    policies = SlaPolicies(
        targets={**DEFAULT_POLICIES, Priority.HIGH: SlaPolicy(Priority.HIGH, 45, 300)},
        tiers={VIP: {Priority.HIGH: SlaPolicy(Priority.HIGH, 15, 120)}},
    )
    assert policies.policy(Priority.HIGH, VIP) == SlaPolicy(Priority.HIGH, 15, 120)
    assert policies.policy(Priority.HIGH) == SlaPolicy(Priority.HIGH, 45, 300)
    assert policies.policy(Priority.LOW, VIP) == DEFAULT_POLICIES[Priority.LOW]
    assert due_times(Priority.HIGH, VIP, CREATED, policies) == (
        CREATED + 15 * MINUTE,
        CREATED + 120 * MINUTE,
    )
    assert due_times(Priority.HIGH, STANDARD, CREATED, policies) == (
        CREATED + 45 * MINUTE,
        CREATED + 300 * MINUTE,
    )


def test_policies_missing_from_the_mappings_fall_back_to_the_defaults() -> None:
    policies = SlaPolicies(targets={}, tiers={VIP: {}})
    assert policies.policy(Priority.URGENT, VIP) == DEFAULT_POLICIES[Priority.URGENT]


def test_due_times_count_business_hours() -> None:
    policies = SlaPolicies(calendar=OFFICE)
    friday = berlin(2026, 11, 20, 16, 30)
    first, resolution = due_times(Priority.HIGH, STANDARD, friday, policies)
    assert first == berlin(2026, 11, 23, 9, 30)  # 30 min on Friday, 30 on Monday
    assert resolution == berlin(2026, 11, 23, 16, 30)  # eight hours: 30 min, then 7.5 h


# --- pause and resume ------------------------------------------------------------------------


def test_entering_a_wait_pauses_and_staying_keeps_the_first_pause() -> None:
    paused = follow_status(
        _ticket(status=TicketStatus.PENDING, first_response_at=CREATED),
        now=CREATED,
        calendar=OFFICE,
    )
    assert paused.sla_paused_at == CREATED
    still = follow_status(
        replace(paused, status=TicketStatus.AWAITING_CONFIRMATION),
        now=CREATED + MINUTE,
        calendar=OFFICE,
    )
    assert still.sla_paused_at == CREATED
    assert (still.first_response_due, still.resolution_due) == (FIRST_DUE, RESOLUTION_DUE)


def test_resuming_keeps_the_business_time_left() -> None:
    # Paused Friday 16:00 with the resolution due Monday 11:00 (three business hours left);
    # resumed Tuesday 10:00, it is due three business hours later: Tuesday 13:00.
    ticket = _ticket(
        status=TicketStatus.OPEN,
        first_response_at=berlin(2026, 11, 20, 15),
        first_response_due=berlin(2026, 11, 20, 15, 30),
        resolution_due=berlin(2026, 11, 23, 11),
        sla_paused_at=berlin(2026, 11, 20, 16),
    )
    resumed = follow_status(ticket, now=berlin(2026, 11, 24, 10), calendar=OFFICE)
    assert resumed.sla_paused_at is None
    assert resumed.resolution_due == berlin(2026, 11, 24, 13)
    assert resumed.first_response_due == berlin(2026, 11, 20, 15, 30)  # answered: not moved


def test_an_unanswered_first_response_moves_too() -> None:
    ticket = _ticket(status=TicketStatus.OPEN, sla_paused_at=CREATED + 10 * MINUTE)
    resumed = follow_status(ticket, now=CREATED + 70 * MINUTE, calendar=ALWAYS_OPEN)
    assert resumed.first_response_due == FIRST_DUE + 60 * MINUTE
    assert resumed.resolution_due == RESOLUTION_DUE + 60 * MINUTE


def test_a_clock_breached_before_the_pause_stays_breached() -> None:
    paused_at = FIRST_DUE + 5 * MINUTE
    ticket = _ticket(status=TicketStatus.OPEN, sla_paused_at=paused_at)
    resumed = follow_status(ticket, now=paused_at + timedelta(days=2), calendar=ALWAYS_OPEN)
    assert resumed.first_response_due == FIRST_DUE
    assert resumed.resolution_due == RESOLUTION_DUE + timedelta(days=2)
    assert ticket_clock(resumed, paused_at + timedelta(days=2)).state is SlaState.BREACHED  # type: ignore[union-attr]


def test_a_ticket_that_never_paused_has_nothing_to_resume() -> None:
    # Tickets left pending by an older agentdesk carry no pause mark.
    ticket = _ticket(status=TicketStatus.OPEN)
    assert follow_status(ticket, now=CREATED + timedelta(days=1), calendar=OFFICE) is ticket


@settings(deadline=None, max_examples=100)
@given(
    paused=st.integers(0, 14 * 24 * 60),
    waited=st.integers(0, 30 * 24 * 60),
    due_after=st.integers(1, 10 * 24 * 60),
)
def test_resuming_preserves_business_time_left_property(
    paused: int, waited: int, due_after: int
) -> None:
    paused_at = berlin(2026, 3, 20, 8) + paused * MINUTE  # around the spring clock change
    due = paused_at + due_after * MINUTE
    ticket = _ticket(
        status=TicketStatus.OPEN,
        first_response_at=CREATED,
        resolution_due=due,
        sla_paused_at=paused_at,
    )
    now = paused_at + waited * MINUTE
    resumed = follow_status(ticket, now=now, calendar=OFFICE)
    assert resumed.resolution_due is not None
    assert business_time_between(OFFICE, now, resumed.resolution_due) == business_time_between(
        OFFICE, paused_at, due
    )


def test_a_paused_clock_shows_paused_with_the_business_time_left() -> None:
    paused_at = CREATED + 20 * MINUTE
    ticket = _ticket(status=TicketStatus.PENDING, sla_paused_at=paused_at)
    clock = ticket_clock(ticket, CREATED + timedelta(days=3))
    assert clock == SlaClock("first response", FIRST_DUE, 40 * MINUTE, SlaState.PAUSED)


def test_a_clock_breached_at_the_pause_shows_breached_while_paused() -> None:
    paused_at = FIRST_DUE + 7 * MINUTE
    ticket = _ticket(status=TicketStatus.PENDING, sla_paused_at=paused_at)
    clock = ticket_clock(ticket, paused_at + timedelta(days=1))
    assert clock == SlaClock("first response", FIRST_DUE, -7 * MINUTE, SlaState.BREACHED)


# --- warnings in business time -------------------------------------------------------------


def test_the_weekend_does_not_use_up_the_target() -> None:
    policies = SlaPolicies(calendar=OFFICE)
    created = berlin(2026, 11, 20, 16, 45)  # Friday; one hour to answer
    first, resolution = due_times(Priority.HIGH, STANDARD, created, policies)
    ticket = _ticket(created_at=created, first_response_due=first, resolution_due=resolution)

    def state(now: datetime) -> SlaState:
        clock = ticket_clock(ticket, now, policies)
        assert clock is not None
        return clock.state

    assert state(berlin(2026, 11, 21, 12)) is SlaState.OK  # Saturday: 15 of 60 minutes used
    assert state(berlin(2026, 11, 23, 9, 29)) is SlaState.OK
    assert state(berlin(2026, 11, 23, 9, 30)) is SlaState.WARNING  # 45 of 60
    assert state(berlin(2026, 11, 23, 9, 45)) is SlaState.BREACHED


def test_a_warning_can_come_before_the_weekend() -> None:
    policies = SlaPolicies(calendar=OFFICE)
    created = berlin(2026, 11, 20, 16, 5)  # Friday; due Monday 09:05
    first, resolution = due_times(Priority.HIGH, STANDARD, created, policies)
    assert first == berlin(2026, 11, 23, 9, 5)
    ticket = _ticket(created_at=created, first_response_due=first, resolution_due=resolution)
    # 45 of 60 business minutes used, though the due time is days away on the wall clock.
    clock = ticket_clock(ticket, berlin(2026, 11, 20, 16, 50), policies)
    assert clock is not None and clock.state is SlaState.WARNING


def test_after_a_pause_warnings_measure_against_the_target_not_the_stretched_span() -> None:
    # Half the hour used, then a day of waiting: 30 minutes left is not a warning.
    ticket = _ticket(
        status=TicketStatus.OPEN,
        first_response_at=None,
        first_response_due=FIRST_DUE,
        sla_paused_at=CREATED + 30 * MINUTE,
    )
    resumed_at = CREATED + timedelta(days=1)
    resumed = follow_status(ticket, now=resumed_at, calendar=ALWAYS_OPEN)
    clock = ticket_clock(resumed, resumed_at + 10 * MINUTE)
    assert clock is not None
    assert (clock.remaining, clock.state) == (20 * MINUTE, SlaState.OK)
    warned = ticket_clock(resumed, resumed_at + 15 * MINUTE)
    assert warned is not None and warned.state is SlaState.WARNING


def test_row_clock_uses_the_customers_tier() -> None:
    policies = SlaPolicies(tiers={VIP: {Priority.HIGH: SlaPolicy(Priority.HIGH, 20, 480)}})
    row = TicketRow(
        id="t",
        number=1,
        subject="s",
        status=TicketStatus.NEW,
        priority=Priority.HIGH,
        channel=Channel.EMAIL,
        intent="",
        customer_name="Ada",
        customer_tier=VIP,
        department_id="d",
        assignee_id=None,
        created_at=CREATED,
        first_response_due=CREATED + 20 * MINUTE,
        resolution_due=RESOLUTION_DUE,
        first_response_at=None,
    )
    # 15 of 20 minutes: a warning for the VIP target (it would be fine for a 60-minute one).
    assert row_clock(row, CREATED + 15 * MINUTE, policies).state is SlaState.WARNING  # type: ignore[union-attr]
    paused = replace(row, status=TicketStatus.PENDING, sla_paused_at=CREATED + MINUTE)
    assert row_clock(paused, CREATED + timedelta(hours=5), policies).state is SlaState.PAUSED  # type: ignore[union-attr]


# --- through the actions ---------------------------------------------------------------------


def _new_ticket(policies: SlaPolicies = DEFAULT_SLA) -> Ticket:
    """A high-priority ticket created at CREATED (due as FIRST_DUE, RESOLUTION_DUE), assigned."""
    new = NewTicket(subject="Help", body="Please", customer_id="c", priority=Priority.HIGH)
    created = actions.create_ticket(new, number=1, now=CREATED, policies=policies).ticket
    return actions.assign(created, "a", actor_id="a", now=CREATED).ticket


def test_waiting_on_the_customer_pauses_and_the_customer_reply_resumes() -> None:
    ticket = _new_ticket()
    asked = actions.reply(
        ticket,
        "Your order number?",
        author_id="a",
        now=CREATED + 10 * MINUTE,
        wait_on_customer=True,
    ).ticket
    assert (asked.status, asked.sla_paused_at) == (TicketStatus.PENDING, CREATED + 10 * MINUTE)
    later = CREATED + timedelta(hours=5)
    answered = actions.customer_reply(asked, "It is 123", now=later).ticket
    assert answered.status is TicketStatus.OPEN and answered.sla_paused_at is None
    assert answered.resolution_due == RESOLUTION_DUE + (later - (CREATED + 10 * MINUTE))


def test_a_note_on_a_pending_ticket_keeps_the_pause() -> None:
    ticket = _new_ticket()
    asked = actions.reply(
        ticket, "Order?", author_id="a", now=CREATED + MINUTE, wait_on_customer=True
    ).ticket
    noted = actions.reply(
        asked, "waiting", author_id="a", now=CREATED + 9 * MINUTE, internal=True
    ).ticket
    assert noted.sla_paused_at == CREATED + MINUTE


def test_asking_for_confirmation_pauses_and_closing_resumes_then_stops() -> None:
    ticket = _new_ticket()
    asked = actions.request_confirmation(
        ticket, "Fixed", "Does it work?", actor_id="a", now=CREATED + 7 * 60 * MINUTE
    ).ticket
    assert asked.sla_paused_at == CREATED + 7 * 60 * MINUTE
    closed_at = CREATED + timedelta(days=3)
    closed = actions.close_confirmed(
        asked, "Fixed", "said so on the phone", actor_id="a", now=closed_at
    ).ticket
    assert closed.sla_paused_at is None
    # One hour was left at the pause: the three days of waiting do not make it late.
    assert closed.resolution_due == closed_at + 60 * MINUTE
    _, resolution = sla_timers(closed, closed_at)
    assert resolution.state is SlaState.MET


def test_a_confirming_customer_reply_resumes_before_closing() -> None:
    ticket = _new_ticket()
    asked = actions.request_confirmation(
        ticket, "Fixed", "Works?", actor_id="a", now=CREATED + MINUTE
    ).ticket
    closed = actions.customer_reply(
        asked, "Yes", now=CREATED + timedelta(days=2), confirms_resolution=True
    ).ticket
    assert closed.status is TicketStatus.CLOSED and closed.sla_paused_at is None
    assert closed.resolution_due == RESOLUTION_DUE + timedelta(days=2) - MINUTE


def test_a_transfer_out_of_a_wait_resumes_on_the_given_calendar() -> None:
    created = berlin(2026, 11, 20, 10)  # Friday
    policies = SlaPolicies(calendar=OFFICE)
    ticket = actions.create_ticket(
        NewTicket(subject="Help", body="Please", customer_id="c", priority=Priority.HIGH),
        number=1,
        now=created,
        policies=policies,
    ).ticket
    asked = actions.reply(
        ticket, "Order?", author_id="a", now=berlin(2026, 11, 20, 11), wait_on_customer=True
    ).ticket
    moved = actions.transfer(
        asked,
        "billing",
        "theirs",
        actor_id="a",
        now=berlin(2026, 11, 23, 9),
        policies=policies,
    ).ticket
    assert moved.status is TicketStatus.OPEN and moved.sla_paused_at is None
    # Due Monday 10:00 at creation (eight business hours); seven were left at the pause.
    assert ticket.resolution_due == berlin(2026, 11, 23, 10)
    assert moved.resolution_due == berlin(2026, 11, 23, 16)


def test_a_follow_up_ticket_gets_the_customers_tier_targets() -> None:
    closed = _ticket(status=TicketStatus.CLOSED, closed_at=CREATED)
    policies = SlaPolicies(tiers={VIP: {Priority.HIGH: SlaPolicy(Priority.HIGH, 5, 50)}})
    follow = actions.customer_reply(
        closed, "again", now=CREATED, follow_up_number=2, policies=policies, tier=VIP
    ).ticket
    assert follow.first_response_due == CREATED + 5 * MINUTE


def test_the_ticket_timers_read_paused_and_breached_at_the_pause() -> None:
    answered = CREATED + 10 * MINUTE
    paused = _ticket(
        status=TicketStatus.PENDING, first_response_at=answered, sla_paused_at=answered
    )
    first, resolution = sla_timers(paused, CREATED + timedelta(days=4))
    assert (first.state, first.text) == (SlaState.MET, "met 08:10")
    assert (resolution.state, resolution.text) == (SlaState.PAUSED, "paused, 7h50m left")
    late = replace(paused, sla_paused_at=RESOLUTION_DUE + 7 * MINUTE)
    _, resolution = sla_timers(late, CREATED + timedelta(days=4))
    assert (resolution.state, resolution.text) == (SlaState.BREACHED, "overdue 7m")
