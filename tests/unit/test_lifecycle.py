"""The ticket state machine, checked against a table written out by hand.

The expected table is deliberately not derived from `TRANSITIONS`: a change to the rules must
change this file too, so it is reviewed twice.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.errors import DomainError, IllegalTransition
from agentdesk.domain.lifecycle import (
    ACTIVE_STATUSES,
    Action,
    allowed_actions,
    next_status,
)
from agentdesk.domain.model import TicketStatus

NEW = TicketStatus.NEW
OPEN = TicketStatus.OPEN
PENDING = TicketStatus.PENDING
AWAITING = TicketStatus.AWAITING_CONFIRMATION
CLOSED = TicketStatus.CLOSED

A = Action
ILLEGAL = None

# status -> action -> expected next status (None: the action is refused).
EXPECTED: dict[TicketStatus, dict[Action, TicketStatus | None]] = {
    NEW: {
        A.ASSIGN: OPEN,
        A.AGENT_REPLY: OPEN,
        A.ASK_CUSTOMER: PENDING,
        A.CUSTOMER_REPLY: NEW,
        A.REQUEST_CONFIRMATION: ILLEGAL,
        A.CONFIRM_CLOSE: ILLEGAL,
        A.TRANSFER: NEW,
    },
    OPEN: {
        A.ASSIGN: OPEN,
        A.AGENT_REPLY: OPEN,
        A.ASK_CUSTOMER: PENDING,
        A.CUSTOMER_REPLY: OPEN,
        A.REQUEST_CONFIRMATION: AWAITING,
        A.CONFIRM_CLOSE: CLOSED,
        A.TRANSFER: OPEN,
    },
    PENDING: {
        A.ASSIGN: PENDING,
        A.AGENT_REPLY: PENDING,
        A.ASK_CUSTOMER: PENDING,
        A.CUSTOMER_REPLY: OPEN,
        A.REQUEST_CONFIRMATION: AWAITING,
        A.CONFIRM_CLOSE: CLOSED,
        A.TRANSFER: OPEN,
    },
    AWAITING: {
        A.ASSIGN: AWAITING,
        A.AGENT_REPLY: AWAITING,
        A.ASK_CUSTOMER: ILLEGAL,
        A.CUSTOMER_REPLY: OPEN,
        A.REQUEST_CONFIRMATION: AWAITING,
        A.CONFIRM_CLOSE: CLOSED,
        A.TRANSFER: OPEN,
    },
    CLOSED: {action: ILLEGAL for action in Action},
}

ALL_PAIRS = list(itertools.product(TicketStatus, Action))


def test_expected_table_covers_every_status_and_action() -> None:
    assert set(EXPECTED) == set(TicketStatus)
    for status, row in EXPECTED.items():
        assert set(row) == set(Action), status


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_next_status_matches_the_table(status: TicketStatus, action: Action) -> None:
    expected = EXPECTED[status][action]
    if expected is ILLEGAL:
        with pytest.raises(IllegalTransition) as raised:
            next_status(status, action)
        assert raised.value.status == status.value
        assert raised.value.action == action.value
        assert isinstance(raised.value, DomainError)
    else:
        assert next_status(status, action) is expected


@pytest.mark.parametrize("status", list(TicketStatus))
def test_allowed_actions_are_exactly_the_legal_ones(status: TicketStatus) -> None:
    legal = {action for action, target in EXPECTED[status].items() if target is not ILLEGAL}
    assert allowed_actions(status) == legal


def test_closed_is_terminal() -> None:
    assert allowed_actions(CLOSED) == frozenset()
    for action in Action:
        with pytest.raises(IllegalTransition):
            next_status(CLOSED, action)


def test_active_statuses_are_all_but_closed() -> None:
    assert {NEW, OPEN, PENDING, AWAITING} == ACTIVE_STATUSES


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS, ids=lambda v: str(v))
def test_new_is_only_kept_never_reentered(status: TicketStatus, action: Action) -> None:
    """Only a customer reply or a transfer on a new ticket leaves it new; nothing goes back."""
    try:
        target = next_status(status, action)
    except IllegalTransition:
        return
    if target is NEW:
        assert status is NEW
        assert action in {A.CUSTOMER_REPLY, A.TRANSFER}


def test_illegal_transition_message_reads_as_a_sentence() -> None:
    with pytest.raises(IllegalTransition, match="cannot confirm close a ticket that is new"):
        next_status(NEW, A.CONFIRM_CLOSE)


def _walk(actions: list[Action]) -> list[TicketStatus]:
    """Apply actions from a new ticket, skipping the ones the rules refuse."""
    history = [NEW]
    for action in actions:
        try:
            history.append(next_status(history[-1], action))
        except IllegalTransition:
            continue
    return history


@given(st.lists(st.sampled_from(list(Action)), max_size=40))
def test_random_action_sequences_give_a_valid_history(actions: list[Action]) -> None:
    history = _walk(actions)
    for before, after in itertools.pairwise(history):
        # Every step is one the hand-written table allows.
        assert after in {target for target in EXPECTED[before].values() if target is not None}
        assert before is not CLOSED, "closed was left"
    # New can only be a prefix of the history: once left, never re-entered.
    first_not_new = next((i for i, status in enumerate(history) if status is not NEW), None)
    if first_not_new is not None:
        assert NEW not in history[first_not_new:]
    # Closed, once reached, is the last status.
    if CLOSED in history:
        assert history.index(CLOSED) == len(history) - 1


@given(st.lists(st.sampled_from(list(Action)), max_size=40))
def test_skipped_actions_are_exactly_the_illegal_ones(actions: list[Action]) -> None:
    status = NEW
    for action in actions:
        expected = EXPECTED[status][action]
        if expected is ILLEGAL:
            with pytest.raises(IllegalTransition):
                next_status(status, action)
        else:
            status = next_status(status, action)
            assert status is expected
