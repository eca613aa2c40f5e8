"""Forced resync: the server restored from a backup, a desk with work in its outbox."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select, update

from agentdesk.server import tables as t
from agentdesk.store.base import Store
from tests.sync.test_round_trip import NOW, World, offline_ticket, world

__all__ = ["world"]


def server_file(world: World) -> Path:
    database = world.engine.url.database  # type: ignore[attr-defined]
    assert database is not None
    return Path(database)


def take_backup(world: World, tmp_path: Path) -> Path:
    backup = tmp_path / "backup.db"
    world.engine.dispose()  # type: ignore[attr-defined]
    shutil.copyfile(server_file(world), backup)
    return backup


def restore(world: World, backup: Path) -> None:
    """Put the backup back as the server's database, as an operator would: with a new lineage."""
    world.engine.dispose()  # type: ignore[attr-defined]
    shutil.copyfile(backup, server_file(world))
    with world.engine.begin() as connection:  # type: ignore[attr-defined]
        connection.execute(update(t.log_head).values(lineage="restored-from-backup"))


def server_view(world: World) -> dict[str, set[tuple[str, str]]]:
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        tickets = set(connection.execute(select(t.tickets.c.id)).scalars())
        rows = connection.execute(
            select(t.messages.c.ticket_id, t.messages.c.id, t.messages.c.body)
        )
        view: dict[str, set[tuple[str, str]]] = {ticket: set() for ticket in tickets}
        for row in rows:
            view[row.ticket_id].add((row.id, row.body))
    return view


async def desk_view(store: Store) -> dict[str, set[tuple[str, str]]]:
    view: dict[str, set[tuple[str, str]]] = {}
    async for batch in store.iter_tickets():
        for ticket in batch:
            view[ticket.id] = {(m.id, m.body) for m in await store.messages(ticket.id)}
    return view


async def test_a_restore_from_backup_loses_no_local_op_and_the_desk_converges(
    world: World, tmp_path: Path
) -> None:
    amy, bob = world.a.store, world.b.store
    ticket_id = await offline_ticket(amy)
    await world.a.sync()
    backup = take_backup(world, tmp_path)
    # After the backup: Bob's ticket, and a reply of Amy's the server acknowledged.
    lost_ticket = await offline_ticket(bob)
    await world.b.sync()
    await amy.reply(ticket_id, "Any news?", author_id="amy-local", now=NOW, internal=True)
    await world.a.sync()
    assert lost_ticket in await desk_view(amy)
    # Then, offline, more work in Amy's outbox; meanwhile the server is restored.
    await amy.reply(ticket_id, "Still on it", author_id="amy-local", now=NOW, internal=True)
    await offline_ticket(amy)
    assert (await amy.sync_status()).pending == 3
    restore(world, backup)

    report = await world.a.sync()

    status = await amy.sync_status()
    assert (status.pending, status.conflicts, status.resyncing) == (0, 0, False)
    assert status.server_epoch == "restored-from-backup"
    assert report.rejected == 0
    server = server_view(world)
    # Every op of Amy's reached the server, the one it lost in the restore included.
    bodies = {body for messages in server.values() for _id, body in messages}
    assert {"Looking into it", "Any news?", "Still on it"} <= bodies
    # Amy's replica is the server's state: Bob's ticket, gone with the restore, is gone here too.
    assert await desk_view(amy) == server
    assert lost_ticket not in server
    # A second round finds nothing to do: the cursor continues the new lineage.
    again = await world.a.sync()
    assert (again.pushed, again.pulled) == (0, 0)


async def test_a_resync_cut_short_starts_over_next_round(world: World, tmp_path: Path) -> None:
    amy = world.a.store
    await offline_ticket(amy)
    await world.a.sync()
    await amy.begin_resync()  # as if the round had stopped mid-download
    assert (await amy.sync_status()).resyncing
    await world.a.sync()
    status = await amy.sync_status()
    assert not status.resyncing and status.cursor > 0
    assert await desk_view(amy) == server_view(world)


async def test_an_idle_desk_sends_again_what_the_restored_server_lost(
    world: World, tmp_path: Path
) -> None:
    amy, bob = world.a.store, world.b.store
    await offline_ticket(amy)
    await world.a.sync()
    backup = take_backup(world, tmp_path)
    # Acknowledged after the backup was taken; Bob has nothing pending when the server is restored.
    bobs = await offline_ticket(bob)
    await world.b.sync()
    assert (await bob.sync_status()).pending == 0
    restore(world, backup)
    assert bobs not in server_view(world)

    await world.b.sync()
    await world.a.sync()

    server = server_view(world)
    assert {body for _id, body in server[bobs]} >= {"Looking into it"}
    assert await desk_view(bob) == server == await desk_view(amy)
