"""The outbox's pure side: initial states, push results, the status bar's sync words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentdesk.domain.outbox import (
    DeliveryState,
    PushResult,
    SyncStatus,
    SyncView,
    ago,
    initial_state,
    sync_parts,
)
from agentdesk.domain.sync_ops import KIND_RULES, LOCAL_ONLY_KINDS
from agentdesk.domain.sync_rules import OutcomeKind

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_pushed_kinds_start_pending_and_local_ones_stay_local() -> None:
    assert {initial_state(kind) for kind in KIND_RULES} == {DeliveryState.PENDING}
    assert {initial_state(kind) for kind in LOCAL_ONLY_KINDS} == {DeliveryState.LOCAL}
    # An unknown kind waits to be pushed, where sync_ops refuses it loudly.
    assert initial_state("ticket.teleport") is DeliveryState.PENDING


@pytest.mark.parametrize(
    ("outcome", "state"),
    [
        (OutcomeKind.APPLIED, DeliveryState.ACKED),
        (OutcomeKind.APPLIED_LOST_LWW, DeliveryState.ACKED),
        (OutcomeKind.DUPLICATE, DeliveryState.ACKED),
        (OutcomeKind.REJECTED, DeliveryState.REJECTED),
    ],
)
def test_every_outcome_is_final(outcome: OutcomeKind, state: DeliveryState) -> None:
    assert PushResult("op-1", outcome, reason="claim_lost").state is state


@pytest.mark.parametrize(
    ("elapsed", "text"),
    [
        (timedelta(seconds=59), "just now"),
        (timedelta(minutes=2), "2m ago"),
        (timedelta(minutes=59, seconds=59), "59m ago"),
        (timedelta(hours=3, minutes=5), "3h ago"),
        (timedelta(days=4, hours=1), "4d ago"),
        (timedelta(minutes=-5), "just now"),  # a clock that stepped back
    ],
)
def test_ago(elapsed: timedelta, text: str) -> None:
    assert ago(NOW - elapsed, NOW) == text


def test_sync_parts() -> None:
    assert sync_parts(None) == ["local only"]
    never = SyncView(False, SyncStatus(pending=3), NOW)
    assert sync_parts(never) == ["offline", "pending 3", "conflicts 0", "never synced"]
    synced = SyncStatus(pending=0, conflicts=2, last_sync_at=NOW - timedelta(minutes=2))
    assert sync_parts(SyncView(True, synced, NOW)) == [
        "online",
        "pending 0",
        "conflicts 2",
        "synced 2m ago",
    ]


def test_a_resync_under_way_shows_next_to_the_link_state() -> None:
    status = SyncStatus(pending=1, last_sync_at=NOW, resyncing=True)
    assert sync_parts(SyncView(True, status, NOW)) == [
        "online",
        "resyncing…",
        "pending 1",
        "conflicts 0",
        "synced just now",
    ]
