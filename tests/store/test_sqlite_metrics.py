"""Metrics in the SQLite file: the work counts a migration fills in and the triggers keep."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import NOW
from tests.store.test_contract_metrics import LATER, WINDOW, work_the_morning
from tests.store.test_sqlite import downgrade, seeded, sqlite_rows

WORK = "SELECT number, agent_messages, reopens, follow_ups FROM tickets ORDER BY number"


async def test_an_upgrade_counts_the_history_already_there(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    ids = await work_the_morning(store)
    await store.customer_reply(ids[1], "Broken again", now=NOW + timedelta(minutes=50))
    kept = sqlite_rows(path, WORK)
    await store.close()
    downgrade(path, "0005")
    columns = [row[1] for row in sqlite_rows(path, "PRAGMA table_info(tickets)")]
    assert "agent_messages" not in columns

    store = SqliteStore(path)
    await store.open()
    snapshot = await store.metrics_snapshot([WINDOW], now=LATER)
    await store.close()

    assert sqlite_rows(path, WORK) == kept
    # Screen time went with the table on the way down; everything else is counted again.
    # #1 answered, asked to confirm and followed up (#7); #2 rejected a fix once.
    assert kept[:2] == [(1, 2, 0, 1), (2, 3, 1, 0)]
    assert all(row[1:] == (0, 0, 0) for row in kept[2:])
    (groups,) = snapshot.tallies
    assert sum(counted.reopened for counted in groups.values()) == 2


async def test_messages_arriving_by_sync_are_counted_too(tmp_path: Path) -> None:
    from agentdesk.domain.model import Message, MessageKind
    from agentdesk.domain.remote import RemotePage

    store = await seeded(tmp_path / "desk.db")
    ticket = await store.ticket_by_number(3)
    reply = Message("m-remote", ticket.id, MessageKind.REPLY, "From the server", NOW, "ag-lead")
    note = Message("m-note", ticket.id, MessageKind.NOTE, "internal", NOW, "ag-lead")
    await store.apply_remote(RemotePage(0, (), (reply, note, reply), 3))
    await store.close()
    assert sqlite_rows(
        tmp_path / "desk.db",
        f"SELECT agent_messages FROM tickets WHERE id = '{ticket.id}'",
    ) == [(1,)]


async def test_a_pulled_copy_of_a_ticket_keeps_its_counts(tmp_path: Path) -> None:
    # A pulled ticket is upserted with the columns a Ticket has; the counts the triggers keep
    # are not among them and must survive the update.
    from dataclasses import replace

    from agentdesk.domain.model import Message, MessageKind
    from agentdesk.domain.remote import RemotePage

    store = await seeded(tmp_path / "desk.db")
    ticket = await store.ticket_by_number(3)
    reply = Message("m-remote", ticket.id, MessageKind.REPLY, "From the server", NOW, "ag-lead")
    await store.apply_remote(RemotePage(0, (), (reply,), 1))
    copy = replace(ticket, subject="Renamed on the server", version=ticket.version + 1)
    await store.apply_remote(RemotePage(1, (copy,), (), 2))
    assert (await store.ticket(ticket.id)).subject == "Renamed on the server"
    await store.close()
    assert sqlite_rows(
        tmp_path / "desk.db",
        f"SELECT agent_messages FROM tickets WHERE id = '{ticket.id}'",
    ) == [(1,)]
