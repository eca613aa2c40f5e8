"""The outbox contract: what is pending, how the server's answers land, conflicts, status.

Seeding logs reference data (local only) and the fixture tickets' creation (pending), so a
seeded store starts with some pending ops of its own.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from agentdesk.domain.hlc import Hlc, epoch_ms
from agentdesk.domain.model import Operation
from agentdesk.domain.outbox import PushResult, SyncStatus
from agentdesk.domain.sync_ops import LOCAL_ONLY_KINDS
from agentdesk.domain.sync_rules import OutcomeKind
from agentdesk.store.base import Store
from agentdesk.store.errors import NotFound
from tests.fixtures import AGENTS, NOW

JUNIOR, SENIOR, LEAD = AGENTS

# These hand the store made-up server answers (push results, pulled pages): the remote backend
# runs them with its link down, as a replica working offline (tests/store/remote_backend.py).
pytestmark = pytest.mark.offline_replica
SYNCED_AT = NOW + timedelta(minutes=3)


def applied(op: Operation, server_seq: int) -> PushResult:
    return PushResult(op.op_id, OutcomeKind.APPLIED, server_seq)


def rejected(op: Operation, reason: str = "stale_transition") -> PushResult:
    return PushResult(op.op_id, OutcomeKind.REJECTED, reason=reason)


async def two_replies(store: Store) -> list[Operation]:
    """Log two replies on ticket #4; returns their ops."""
    ticket = await store.ticket_by_number(4)
    await store.reply(ticket.id, "One", author_id=LEAD.id, now=NOW)
    await store.reply(ticket.id, "Two", author_id=LEAD.id, now=NOW + timedelta(seconds=1))
    return (await store.operations(limit=100_000))[-2:]


async def test_pending_ops_are_the_pushable_ones_in_log_order(store: Store) -> None:
    everything = await store.operations(limit=100_000)
    pending = await store.pending_operations(limit=100_000)
    assert pending == [op for op in everything if op.kind not in LOCAL_ONLY_KINDS]
    assert pending and [op.seq for op in pending] == sorted(op.seq for op in pending)
    assert await store.pending_operations(limit=2) == pending[:2]
    assert (await store.sync_status()).pending == len(pending)


async def test_every_op_gets_a_strictly_increasing_hlc(store: Store) -> None:
    ops = await two_replies(store)
    stamps = [op.hlc for op in await store.operations(limit=100_000)]
    assert stamps == sorted(set(stamps))
    # The stamp is never behind the time the op was logged at.
    assert ops[1].hlc.physical_ms >= epoch_ms(ops[1].at)


async def test_a_clock_stepping_back_still_stamps_later(store: Store) -> None:
    ticket = await store.ticket_by_number(4)
    await store.reply(ticket.id, "Late", author_id=LEAD.id, now=NOW + timedelta(hours=3))
    await store.reply(ticket.id, "Early", author_id=LEAD.id, now=NOW - timedelta(hours=3))
    late, early = (await store.operations(limit=100_000))[-2:]
    assert early.hlc == Hlc(late.hlc.physical_ms, late.hlc.counter + 1)


async def test_acked_ops_leave_the_outbox(store: Store) -> None:
    first, second = await two_replies(store)
    before = await store.sync_status()
    await store.record_push_results([applied(first, 10)], now=SYNCED_AT)
    pending = await store.pending_operations(limit=100_000)
    assert first not in pending and second in pending
    status = await store.sync_status()
    assert (status.pending, status.conflicts) == (before.pending - 1, 0)
    assert status.last_sync_at == SYNCED_AT
    assert await store.conflicts() == []


async def test_a_rejection_is_a_visible_conflict_never_dropped(store: Store) -> None:
    first, second = await two_replies(store)
    await store.record_push_results(
        [applied(first, 10), rejected(second, "claim_lost")], now=SYNCED_AT
    )
    (conflict,) = await store.conflicts()
    assert (conflict.op, conflict.reason, conflict.at) == (second, "claim_lost", SYNCED_AT)
    assert second not in await store.pending_operations(limit=100_000)
    assert (await store.sync_status()).conflicts == 1
    # The op stays in the log.
    assert second in await store.operations(limit=100_000)


async def test_dismissing_hides_the_conflict_and_keeps_the_op(store: Store) -> None:
    first, second = await two_replies(store)
    await store.record_push_results([rejected(first), rejected(second)], now=SYNCED_AT)
    await store.dismiss_conflict(first.op_id, now=SYNCED_AT)
    await store.dismiss_conflict(first.op_id, now=SYNCED_AT)  # twice is harmless
    assert [conflict.op for conflict in await store.conflicts()] == [second]
    assert (await store.sync_status()).conflicts == 1
    assert first in await store.operations(limit=100_000)


async def test_only_conflicts_can_be_dismissed(store: Store) -> None:
    first, _ = await two_replies(store)
    with pytest.raises(NotFound):
        await store.dismiss_conflict(first.op_id, now=SYNCED_AT)
    with pytest.raises(NotFound):
        await store.dismiss_conflict("no-such-op", now=SYNCED_AT)


async def test_the_first_answer_is_final(store: Store) -> None:
    first, _ = await two_replies(store)
    await store.record_push_results([applied(first, 10)], now=SYNCED_AT)
    await store.record_push_results([rejected(first)], now=SYNCED_AT)
    assert await store.conflicts() == []


async def test_results_for_unknown_ops_record_nothing(store: Store) -> None:
    first, _ = await two_replies(store)
    before = await store.sync_status()
    ghost = PushResult("no-such-op", OutcomeKind.APPLIED, 11)
    with pytest.raises(NotFound):
        await store.record_push_results([applied(first, 10), ghost], now=SYNCED_AT)
    assert await store.sync_status() == before
    assert first in await store.pending_operations(limit=100_000)


async def test_a_transport_failure_keeps_the_op_pending(store: Store) -> None:
    first, _ = await two_replies(store)
    await store.record_push_failure(first.op_id, "connection refused")
    assert first in await store.pending_operations(limit=100_000)
    with pytest.raises(NotFound):
        await store.record_push_failure("no-such-op", "timeout")


async def test_a_fresh_store_has_nothing_to_sync(empty_store: Store) -> None:
    assert await empty_store.sync_status() == SyncStatus()
    assert await empty_store.pending_operations() == []
    assert await empty_store.conflicts() == []


def test_a_rejection_without_a_reason_is_refused() -> None:
    with pytest.raises(ValueError, match="reason"):
        PushResult("op-1", OutcomeKind.REJECTED)


async def test_a_resync_keeps_the_fresh_tickets_and_those_with_pending_work(store: Store) -> None:
    everything = await store.pending_operations(limit=100_000)
    await store.record_push_results(
        [applied(op, index) for index, op in enumerate(everything, start=1)], now=SYNCED_AT
    )
    fresh, (reply, _) = await store.ticket_by_number(1), await two_replies(store)
    await store.begin_resync()
    status = await store.sync_status()
    assert (status.cursor, status.server_epoch, status.resyncing) == (0, None, True)
    before = len({ticket.id async for batch in store.iter_tickets() for ticket in batch})

    dropped = await store.finish_resync({fresh.id})

    kept = {ticket.id async for batch in store.iter_tickets() for ticket in batch}
    assert kept == {fresh.id, reply.payload["ticket_id"]}
    assert dropped == before - 2
    assert not (await store.sync_status()).resyncing
    assert reply in await store.pending_operations(limit=100_000)
