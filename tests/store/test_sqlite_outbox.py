"""The outbox in the SQLite file: migrating old logs, stamping across processes, attempts."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.domain.hlc import ZERO, Hlc, epoch_ms, ticks
from agentdesk.domain.outbox import PushResult
from agentdesk.domain.sync_ops import LOCAL_ONLY_KINDS
from agentdesk.domain.sync_rules import OutcomeKind
from agentdesk.store.sqlite import SqliteStore, oplog
from tests.fixtures import NOW
from tests.store.test_sqlite import downgrade, open_database, seeded, sqlite_rows


async def test_an_old_log_migrates_as_pending_with_increasing_stamps(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    ticket = await store.ticket_by_number(4)
    # Out of order on purpose: the stamps must follow the log, not the clock.
    await store.reply(ticket.id, "Later", author_id="ag-lead", now=NOW + timedelta(hours=1))
    await store.reply(ticket.id, "Earlier", author_id="ag-lead", now=NOW)
    before = await store.operations(limit=100_000)
    await store.close()
    downgrade(path, "0003")

    store = SqliteStore(path)
    await store.open()
    after = await store.operations(limit=100_000)
    pending = await store.pending_operations(limit=100_000)
    status = await store.sync_status()
    await store.reply(ticket.id, "After the upgrade", author_id="ag-lead", now=NOW)
    newest = (await store.operations(after_seq=len(after)))[0]
    await store.close()

    assert [(op.op_id, op.seq, op.kind, op.at) for op in after] == [
        (op.op_id, op.seq, op.kind, op.at) for op in before
    ]
    stamps = [op.hlc for op in after]
    assert stamps == sorted(set(stamps))
    # Exactly what logging them would stamp: ticked in log order from each op's time.
    assert stamps == ticks(ZERO, [epoch_ms(op.at) for op in before])
    assert stamps == [op.hlc for op in before]
    assert newest.hlc > stamps[-1]  # the migrated clock carries on
    assert pending == [op for op in after if op.kind not in LOCAL_ONLY_KINDS]
    assert (status.pending, status.conflicts, status.cursor) == (len(pending), 0, 0)


async def test_failures_count_attempts_and_an_answer_clears_the_error(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    op = (await store.pending_operations(limit=1))[0]
    await store.record_push_failure(op.op_id, "timeout")
    await store.record_push_failure(op.op_id, "connection refused")
    sql = f"SELECT state, attempts, last_error FROM operations WHERE op_id = '{op.op_id}'"
    assert sqlite_rows(path, sql) == [("pending", 2, "connection refused")]
    await store.record_push_results([PushResult(op.op_id, OutcomeKind.APPLIED, 7)], now=NOW)
    await store.close()
    sql = f"SELECT state, attempts, last_error, server_seq, outcome FROM operations WHERE op_id = '{op.op_id}'"
    assert sqlite_rows(path, sql) == [("acked", 2, None, 7, "applied")]


# Wall-clock offsets in ms, per transaction: jumps of up to a day either way, repeats included.
_JUMPS = st.lists(
    st.lists(st.integers(-86_400_000, 86_400_000), min_size=1, max_size=5), min_size=1, max_size=8
)


@settings(max_examples=40, deadline=None)
@given(batches=_JUMPS, writers=st.lists(st.sampled_from([0, 1]), min_size=8, max_size=8))
def test_stamps_strictly_increase_across_writers_and_clock_jumps(
    batches: list[list[int]], writers: list[int]
) -> None:
    """Two connections on one file take turns logging: each one's remembered clock goes stale."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "desk.db"
        databases = [open_database(path), open_database(path)]
        try:
            for batch, writer in zip(batches, writers, strict=False):
                with databases[writer].writing() as tx:
                    tx.log([("ticket.note", {}, NOW + timedelta(milliseconds=ms)) for ms in batch])
            with databases[0].reading() as connection:
                ops = oplog.after(connection, 0, 10_000)
        finally:
            for database in databases:
                database.close()
    stamps = [op.hlc for op in ops]
    assert len(stamps) == sum(len(batch) for batch in batches)
    assert stamps == sorted(set(stamps))
    assert max(stamps).physical_ms >= epoch_ms(NOW) + max(max(batch) for batch in batches)


def test_a_rolled_back_log_does_not_skip_or_reuse_stamps(tmp_path: Path) -> None:
    database = open_database(tmp_path / "desk.db")
    with database.writing() as tx:
        tx.log([("ticket.note", {}, NOW)])
    try:
        with database.writing() as tx:
            tx.log([("ticket.note", {}, NOW)])
            raise RuntimeError("the action failed after logging")
    except RuntimeError:
        pass
    with database.writing() as tx:
        tx.log([("ticket.note", {}, NOW)])
    with database.reading() as connection:
        ops = oplog.after(connection, 0, 10)
    database.close()
    assert [op.seq for op in ops] == [1, 2]
    assert [op.hlc for op in ops] == [Hlc(epoch_ms(NOW), 0), Hlc(epoch_ms(NOW), 1)]
