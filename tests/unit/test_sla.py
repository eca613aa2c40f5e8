"""SLA due times, clock states and the compact countdown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.model import Channel, Priority, SlaPolicy, Ticket, TicketStatus
from agentdesk.domain.sla import (
    DEFAULT_POLICIES,
    SlaClock,
    SlaState,
    clock_state,
    current_clock,
    due_times,
    format_remaining,
    ticket_clock,
)

CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


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
    assert due_times(priority, CREATED) == (CREATED + first_response, CREATED + resolution)


def test_default_policies_cover_every_priority_and_answer_before_resolving() -> None:
    assert set(DEFAULT_POLICIES) == set(Priority)
    for priority, policy in DEFAULT_POLICIES.items():
        assert policy.priority is priority
        assert 0 < policy.first_response_minutes < policy.resolution_minutes


def test_custom_policies_replace_the_defaults() -> None:
    policies = {p: SlaPolicy(p, 5, 50) for p in Priority}
    for priority in Priority:
        assert due_times(priority, CREATED, policies) == (
            CREATED + 5 * MINUTE,
            CREATED + 50 * MINUTE,
        )


def test_policies_missing_a_priority_fall_back_to_the_default() -> None:
    policies = {Priority.URGENT: SlaPolicy(Priority.URGENT, 10, 100)}
    assert due_times(Priority.URGENT, CREATED, policies) == (
        CREATED + 10 * MINUTE,
        CREATED + 100 * MINUTE,
    )
    assert due_times(Priority.LOW, CREATED, policies) == due_times(Priority.LOW, CREATED)


def test_empty_policies_mean_the_defaults() -> None:
    assert due_times(Priority.HIGH, CREATED, {}) == due_times(Priority.HIGH, CREATED)


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
