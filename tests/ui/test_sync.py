"""Sync in the TUI: the status bar's sync segment and the conflicts screen."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import DataTable

from agentdesk.app import AgentDeskApp
from agentdesk.credentials import CredentialsError, ServerCredentials
from agentdesk.domain.held_claims import ClaimKind, HeldClaim
from agentdesk.domain.outbox import PushResult
from agentdesk.domain.sync_rules import OutcomeKind
from agentdesk.screens.conflicts import ConflictsScreen
from agentdesk.screens.queue import QueueScreen
from agentdesk.store.memory import MemoryStore
from agentdesk.widgets.status_bar import StatusBar
from tests.fixtures import NOW
from tests.ui.conftest import Notes, OpenedTickets, make_settings, seeded_opener, settle
from tests.ui.test_app import run_palette
from tests.ui.test_queue import numbers_shown

SERVER = ServerCredentials("https://desk.example", "junior", "token")


def build(tmp_path: Path, store: MemoryStore, server: ServerCredentials | None) -> AgentDeskApp:
    return AgentDeskApp(
        settings=make_settings(tmp_path),
        open_store=seeded_opener(store),
        agent_handle="junior",
        clock=lambda: NOW,
        find_server=lambda: server,
    )


def status_bar(app: AgentDeskApp) -> StatusBar:
    queue = next(s for s in app.screen_stack if isinstance(s, QueueScreen))
    return queue.query_one(StatusBar)


async def reject_a_reply(store: MemoryStore, reason: str = "claim_lost") -> None:
    """The server answered everything pending; the reply on #4 was rejected."""
    ticket = await store.ticket_by_number(4)
    await store.reply(ticket.id, "On it", author_id="ag-lead", now=NOW)
    pending = await store.pending_operations(limit=1000)
    results = [PushResult(op.op_id, OutcomeKind.APPLIED, seq) for seq, op in enumerate(pending)]
    results[-1] = PushResult(pending[-1].op_id, OutcomeKind.REJECTED, reason=reason)
    await store.record_push_results(results, now=NOW - timedelta(minutes=2))


async def refreshed(pilot: Pilot[Any], app: AgentDeskApp) -> None:
    app.refresh_sync_status()
    await settle(pilot)


async def test_no_server_means_local_only(tmp_path: Path) -> None:
    app = build(tmp_path, MemoryStore(client_id="c"), None)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert status_bar(app).sync_text == "local only"


async def test_a_configured_server_shows_pending_work_and_never_synced(tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)
    async with app.run_test() as pilot:
        await settle(pilot)
        pending = (await store.sync_status()).pending
        assert pending > 0  # the fixture tickets' creation waits to be pushed
        expected = f"offline · pending {pending} · conflicts 0 · never synced"
        assert status_bar(app).sync_text == expected


async def test_conflicts_and_last_sync_time_reach_the_status_bar(tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)
    async with app.run_test() as pilot:
        await settle(pilot)
        await reject_a_reply(store)
        app.sync_online = True
        await refreshed(pilot, app)
        assert status_bar(app).sync_text == "online · pending 0 · conflicts 1 · synced 2m ago"


async def test_unreadable_credentials_warn_and_work_locally(tmp_path: Path) -> None:
    def broken() -> ServerCredentials | None:
        raise CredentialsError("server.toml line 2: bad url")

    app = AgentDeskApp(
        settings=make_settings(tmp_path),
        open_store=seeded_opener(),
        agent_handle="junior",
        clock=lambda: NOW,
        find_server=broken,
    )
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert notes.matching("bad url") == [
            ("server.toml line 2: bad url; working locally.", "warning")
        ]
        assert status_bar(app).sync_text == "local only"


async def test_the_conflicts_screen_lists_reasons_and_dismisses(tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await reject_a_reply(store)
        await run_palette(pilot, "sync: conflicts")
        screen = app.screen
        assert isinstance(screen, ConflictsScreen)
        table = screen.query_one(DataTable)
        (row,) = [table.get_row_at(index) for index in range(table.row_count)]
        assert row[1:] == ["reply", "#4 " + (await store.ticket_by_number(4)).subject, "claim lost"]

        await pilot.press("d")
        await settle(pilot)
        assert table.row_count == 0
        assert await store.conflicts() == []
        assert (await store.sync_status()).conflicts == 0
        assert status_bar(app).sync_text.endswith("conflicts 0 · synced 2m ago")
        assert not screen.check_action("dismiss_conflict", ())
        await pilot.press("escape")
        assert isinstance(app.screen, QueueScreen)


def build_syncing(tmp_path: Path, store: MemoryStore, round_: Any) -> AgentDeskApp:
    return AgentDeskApp(
        settings=make_settings(tmp_path),
        open_store=seeded_opener(store),
        agent_handle="junior",
        clock=lambda: NOW,
        find_server=lambda: SERVER,
        sync_round=round_,
    )


async def test_a_background_round_at_start_up_marks_the_app_online(tmp_path: Path) -> None:
    calls: list[ServerCredentials] = []

    async def round_(store: Any, server: ServerCredentials, now: Any) -> None:
        calls.append(server)
        await store.record_push_results([], now=now)

    app = build_syncing(tmp_path, MemoryStore(client_id="c"), round_)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert calls == [SERVER] and app.sync_online
        assert status_bar(app).sync_text.startswith("online · pending")
        assert status_bar(app).sync_text.endswith("synced just now")


async def test_a_round_that_cannot_reach_the_server_shows_offline(tmp_path: Path) -> None:
    from agentdesk.sync import Unreachable

    async def round_(store: Any, server: ServerCredentials, now: Any) -> None:
        raise Unreachable("server unreachable: ConnectError")

    app = build_syncing(tmp_path, MemoryStore(client_id="c"), round_)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert not app.sync_online
        assert status_bar(app).sync_text.startswith("offline")


async def test_a_round_that_pulled_changes_reloads_the_queue(tmp_path: Path) -> None:
    from dataclasses import replace

    from agentdesk.domain.remote import RemotePage
    from agentdesk.sync import SyncReport

    async def round_(store: Any, server: ServerCredentials, now: Any) -> SyncReport:
        template = await store.ticket_by_number(1)
        arrived = replace(template, id="from-afar", number=999, subject="Arrived by sync")
        await store.apply_remote(RemotePage(0, (arrived,), (), 2))
        return SyncReport(pulled=2, cursor=2)

    app = build_syncing(tmp_path, MemoryStore(client_id="c"), round_)
    async with app.run_test() as pilot:
        await settle(pilot)
        queue = next(s for s in app.screen_stack if isinstance(s, QueueScreen))
        assert 999 in numbers_shown(queue)


async def test_sync_now_from_the_palette_runs_another_round(tmp_path: Path) -> None:
    calls: list[object] = []

    async def round_(store: Any, server: ServerCredentials, now: Any) -> None:
        calls.append(now)

    app = build_syncing(tmp_path, MemoryStore(client_id="c"), round_)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        assert len(calls) == 1  # the start-up round
        await run_palette(pilot, "sync: now")
        await settle(pilot)
        assert len(calls) == 2


async def test_offline_pull_next_with_nothing_reserved_says_so(tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert notes.matching("Offline and no ticket reserved for you")
        # The local queue has tickets junior could take; in sync mode none was taken.
        assert (await store.ticket_by_number(2)).assignee_id is None


async def test_reserved_tickets_show_in_the_status_bar_and_pull_offline(tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)
    opened = OpenedTickets(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        two, three = await store.ticket_by_number(2), await store.ticket_by_number(3)
        until = NOW + timedelta(hours=8)
        reserved = [HeldClaim(t.id, 1, ClaimKind.RESERVATION, until) for t in (two, three)]
        await store.record_claims(reserved, now=NOW)
        await refreshed(pilot, app)
        assert "reserved 2" in status_bar(app).sync_text
        await pilot.press("n")
        await settle(pilot)
        assert opened.ids in ([two.id], [three.id])
        await refreshed(pilot, app)
        assert "reserved 1" in status_bar(app).sync_text
