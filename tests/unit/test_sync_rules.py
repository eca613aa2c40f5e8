"""Merge rules of the sync server: convergence properties and the status scenarios of SYNC.md."""

from __future__ import annotations

import itertools
import random
from functools import reduce

from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.lifecycle import Action
from agentdesk.domain.model import TicketStatus
from agentdesk.domain.sync_rules import (
    APPLIED,
    DUPLICATE,
    LOST_LWW,
    Claim,
    Event,
    FieldWrite,
    OutcomeKind,
    Reason,
    StatusState,
    TransitionOp,
    add_event,
    apply_field_writes,
    apply_transition,
    in_display_order,
    is_allowed_step,
    join_fields,
    merge_events,
    merge_field,
    present_tags,
    rejected,
)

NEW = TicketStatus.NEW
OPEN = TicketStatus.OPEN
PENDING = TicketStatus.PENDING
AWAITING = TicketStatus.AWAITING_CONFIRMATION
CLOSED = TicketStatus.CLOSED

small_hlcs = st.builds(Hlc, st.integers(0, 20), st.integers(0, 3))
sites = st.sampled_from(["site-a", "site-b", "site-c"])
field_names = st.sampled_from(["subject", "priority", "type"])
writes = st.builds(FieldWrite, st.text(max_size=3), small_hlcs, sites)
named_writes = st.tuples(field_names, writes)


def _fold(pairs: list[tuple[str, FieldWrite[str]]]) -> dict[str, FieldWrite[str]]:
    return apply_field_writes({}, pairs)[0]


def test_a_later_write_wins_and_an_earlier_one_is_recorded_as_lost() -> None:
    older = FieldWrite("low", Hlc(100), "site-a")
    newer = FieldWrite("urgent", Hlc(200), "site-b")
    assert merge_field(older, newer) == (newer, APPLIED)
    assert merge_field(newer, older) == (newer, LOST_LWW)
    assert merge_field(None, older) == (older, APPLIED)
    assert merge_field(newer, newer) == (newer, DUPLICATE)


def test_equal_clocks_are_broken_by_site_id() -> None:
    a = FieldWrite("from a", Hlc(100, 1), "site-a")
    b = FieldWrite("from b", Hlc(100, 1), "site-b")
    assert merge_field(a, b)[0] == b
    assert merge_field(b, a)[0] == b


def test_an_offline_edit_from_days_ago_does_not_overwrite_a_fresher_one() -> None:
    # Arrival order would let the stale edit win; HLC order does not.
    fresh = FieldWrite("high", Hlc(9_000_000), "online")
    stale_arriving_later = FieldWrite("low", Hlc(1_000), "offline")
    winner, outcome = merge_field(fresh, stale_arriving_later)
    assert winner == fresh
    assert outcome.kind is OutcomeKind.APPLIED_LOST_LWW


@given(st.lists(named_writes, max_size=30), st.randoms(use_true_random=False))
def test_lww_converges_under_any_order_and_duplication(
    pairs: list[tuple[str, FieldWrite[str]]], rng: random.Random
) -> None:
    shuffled = list(pairs) + list(pairs[: len(pairs) // 2])
    rng.shuffle(shuffled)
    assert _fold(shuffled) == _fold(pairs)


@given(st.lists(named_writes, max_size=10), st.lists(named_writes, max_size=10))
def test_lww_join_is_commutative(
    left: list[tuple[str, FieldWrite[str]]], right: list[tuple[str, FieldWrite[str]]]
) -> None:
    a, b = _fold(left), _fold(right)
    assert join_fields(a, b) == join_fields(b, a)


@given(*(st.lists(named_writes, max_size=8) for _ in range(3)))
def test_lww_join_is_associative(
    x: list[tuple[str, FieldWrite[str]]],
    y: list[tuple[str, FieldWrite[str]]],
    z: list[tuple[str, FieldWrite[str]]],
) -> None:
    a, b, c = _fold(x), _fold(y), _fold(z)
    assert join_fields(join_fields(a, b), c) == join_fields(a, join_fields(b, c))


@given(st.lists(named_writes, max_size=10))
def test_lww_join_is_idempotent(pairs: list[tuple[str, FieldWrite[str]]]) -> None:
    a = _fold(pairs)
    assert join_fields(a, a) == a


@given(st.lists(named_writes, min_size=1, max_size=20))
def test_every_write_but_the_winner_is_reported(pairs: list[tuple[str, FieldWrite[str]]]) -> None:
    state, outcomes = apply_field_writes({}, pairs)
    for (name, write), outcome in zip(pairs, outcomes, strict=True):
        if outcome.kind is OutcomeKind.APPLIED_LOST_LWW:
            assert state[name].wins_over(write)
    assert set(state.values()) <= {write for _, write in pairs}


def test_tag_add_and_remove_compare_by_clock_per_tag() -> None:
    tags, _ = apply_field_writes(
        {},
        [
            ("vip", FieldWrite(True, Hlc(10), "a")),
            ("vip", FieldWrite(False, Hlc(5), "b")),  # older remove loses
            ("refund", FieldWrite(True, Hlc(1), "a")),
            ("refund", FieldWrite(False, Hlc(2), "b")),  # newer remove wins
        ],
    )
    assert present_tags(tags) == {"vip"}


events = st.builds(
    Event,
    op_id=st.sampled_from([f"op-{n}" for n in range(12)]),
    server_seq=st.integers(1, 1000),
    kind=st.sampled_from(["reply", "note"]),
    body=st.just("text"),
    author=st.just("ana"),
)


def _unique_events(drawn: list[Event]) -> list[Event]:
    # One op id is one event: a server never assigns two payloads to the same op.
    return list({event.op_id: event for event in drawn}.values())


@given(st.lists(events, max_size=12), st.randoms(use_true_random=False))
def test_event_sets_converge_under_reordering_and_duplication(
    drawn: list[Event], rng: random.Random
) -> None:
    unique = _unique_events(drawn)
    delivered = unique + unique[::2]
    rng.shuffle(delivered)
    log: dict[str, Event] = {}
    duplicates = 0
    for event in delivered:
        log, outcome = add_event(log, event)
        duplicates += outcome is DUPLICATE
    reference = reduce(lambda acc, event: add_event(acc, event)[0], unique, {})
    assert in_display_order(log) == in_display_order(reference)
    assert duplicates == len(delivered) - len(unique)
    seqs = [event.server_seq for event in in_display_order(log)]
    assert seqs == sorted(seqs)


@given(st.lists(events, max_size=8), st.lists(events, max_size=8))
def test_event_merge_is_a_union(left: list[Event], right: list[Event]) -> None:
    everything = _unique_events(left + right)
    a = {e.op_id: e for e in everything if e in left}
    b = {e.op_id: e for e in everything if e in right}
    assert merge_events(a, b) == merge_events(b, a) == merge_events(a, b, a)


# --- status -------------------------------------------------------------------------------


def _op(state: StatusState, action: Action, actor: str = "ana") -> TransitionOp:
    epoch = state.claim.epoch if state.claim else None
    return TransitionOp(action, actor, state.status, state.status_version, epoch)


def test_a_customer_reply_reopens_and_an_older_offline_close_is_rejected_as_stale() -> None:
    waiting = StatusState(AWAITING, status_version=3, claim=Claim("ana", 1))
    offline_close = _op(waiting, Action.CONFIRM_CLOSE)  # made offline against version 3
    reopened, outcome = apply_transition(
        waiting, TransitionOp(Action.CUSTOMER_REPLY, "customer", by_server=True)
    )
    assert outcome == APPLIED
    assert reopened.status is OPEN
    assert reopened.status_version == 4
    after, outcome = apply_transition(reopened, offline_close)
    assert outcome == rejected(Reason.STALE_TRANSITION)
    assert outcome.for_conflict_list
    assert after == reopened


def test_a_current_transition_by_the_owner_applies() -> None:
    state = StatusState(OPEN, status_version=2, claim=Claim("ana", 5))
    after, outcome = apply_transition(state, _op(state, Action.ASK_CUSTOMER))
    assert outcome == APPLIED
    assert (after.status, after.status_version) == (PENDING, 3)


def test_closed_is_terminal_even_for_the_server() -> None:
    closed = StatusState(CLOSED, status_version=9, claim=Claim("ana", 1))
    reply = TransitionOp(Action.CUSTOMER_REPLY, "customer", by_server=True)
    assert apply_transition(closed, reply) == (closed, rejected(Reason.INVALID_TRANSITION))
    assert apply_transition(closed, _op(closed, Action.AGENT_REPLY))[1] == rejected(
        Reason.INVALID_TRANSITION
    )


def test_an_action_the_state_machine_forbids_is_invalid() -> None:
    state = StatusState(NEW, claim=Claim("ana", 1))
    assert apply_transition(state, _op(state, Action.CONFIRM_CLOSE))[1] == rejected(
        Reason.INVALID_TRANSITION
    )


def test_a_client_cannot_pose_as_the_customer() -> None:
    state = StatusState(PENDING, claim=Claim("ana", 1))
    assert apply_transition(state, _op(state, Action.CUSTOMER_REPLY))[1] == rejected(
        Reason.NOT_AUTHORISED
    )


def test_another_agent_or_an_old_epoch_loses_the_claim() -> None:
    state = StatusState(OPEN, claim=Claim("ana", 4))
    by_bob = _op(state, Action.ASK_CUSTOMER, actor="bob")
    assert apply_transition(state, by_bob)[1] == rejected(Reason.CLAIM_LOST)
    old_epoch = TransitionOp(Action.ASK_CUSTOMER, "ana", OPEN, 0, claim_epoch=3)
    assert apply_transition(state, old_epoch)[1] == rejected(Reason.CLAIM_LOST)
    unclaimed = StatusState(OPEN)
    assert apply_transition(unclaimed, _op(unclaimed, Action.ASK_CUSTOMER))[1] == rejected(
        Reason.CLAIM_LOST
    )


def test_assigning_needs_no_claim_but_still_compares_the_status() -> None:
    state = StatusState(NEW)
    after, outcome = apply_transition(state, _op(state, Action.ASSIGN))
    assert (after.status, outcome) == (OPEN, APPLIED)
    stale = TransitionOp(Action.ASSIGN, "bob", NEW, 0)
    assert apply_transition(after, stale)[1] == rejected(Reason.STALE_TRANSITION)


statuses = st.sampled_from(list(TicketStatus))
random_ops = st.builds(
    TransitionOp,
    action=st.sampled_from(list(Action)),
    actor=st.sampled_from(["ana", "bob", "customer"]),
    from_status=st.none() | statuses,
    base_version=st.none() | st.integers(0, 6),
    claim_epoch=st.none() | st.integers(0, 3),
    by_server=st.booleans(),
)


@given(st.lists(st.tuples(random_ops, st.booleans()), max_size=40))
def test_no_op_sequence_produces_a_history_the_state_machine_forbids(
    steps: list[tuple[TransitionOp, bool]],
) -> None:
    state = StatusState(NEW, claim=Claim("ana", 1))
    history = [state.status]
    for op, rebase in steps:
        # Half the ops are rebased onto the current state, so accepted paths get explored too.
        if rebase and not op.by_server:
            op = TransitionOp(op.action, "ana", state.status, state.status_version, 1)
        state, outcome = apply_transition(state, op)
        if outcome.kind is OutcomeKind.APPLIED and state.status is not history[-1]:
            history.append(state.status)
    for before, after in itertools.pairwise(history):
        assert is_allowed_step(before, after)
        assert before is not CLOSED
        assert after is not NEW
    assert state.status_version == len(history) - 1


FENCED_ACTIONS = [a for a in Action if a not in {Action.ASSIGN, Action.CUSTOMER_REPLY}]


@given(
    st.sampled_from(FENCED_ACTIONS),
    statuses,
    st.integers(0, 6),
    st.integers(0, 3),
    st.none() | st.integers(-3, 3).filter(bool),
)
def test_a_stale_epoch_op_is_always_rejected(
    action: Action, status: TicketStatus, version: int, current_epoch: int, offset: int | None
) -> None:
    # The op is otherwise perfect (right owner, current status and version): only the epoch is off.
    state = StatusState(status, version, Claim("ana", current_epoch))
    epoch = None if offset is None else current_epoch + offset
    op = TransitionOp(action, "ana", status, version, epoch)
    after, outcome = apply_transition(state, op)
    assert outcome == rejected(Reason.CLAIM_LOST)
    assert after == state
