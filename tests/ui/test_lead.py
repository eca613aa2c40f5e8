"""The lead view over the seeded store at 09:00: role check, queues, tickets, actions, export."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static

from agentdesk.app import AgentDeskApp
from agentdesk.domain.lead_board import Horizons
from agentdesk.domain.metrics import Period, Window
from agentdesk.domain.model import Priority, TicketRow
from agentdesk.screens.help import HelpScreen
from agentdesk.screens.lead import LEADS_ONLY, SPARK_HOURS, LeadScreen
from agentdesk.screens.lead_dialogs import AgentPicker, ExportDialog, PriorityPicker
from agentdesk.screens.queue import QueueScreen
from agentdesk.screens.transfer import TransferDialog
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.errors import Unavailable
from agentdesk.store.memory import MemoryStore
from tests.ui.conftest import Notes, build_app, settle

SIZE = (150, 40)


def lead_of(app: AgentDeskApp) -> LeadScreen:
    assert isinstance(app.screen, LeadScreen)
    return app.screen


def shown(screen: LeadScreen) -> list[int]:
    table = screen.tickets
    return [row.number for i in range(table.row_count) if (row := table.row_at(i))]


async def open_lead_view(pilot: Pilot[Any], *queue_moves: str) -> LeadScreen:
    await settle(pilot)
    await pilot.press("L", *queue_moves)
    await settle(pilot)
    return lead_of(pilot.app)  # type: ignore[arg-type]


async def test_a_lead_sees_every_queue_with_its_sla_standing(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        lines = [
            (line.name, line.active, line.waiting, line.at_risk, line.breached)
            for line in lead.board.lines  # type: ignore[union-attr]
        ]
        assert lines == [
            ("All queues", 6, 6, 1, 3),
            ("Billing", 2, 2, 0, 1),
            ("General", 0, 0, 0, 0),
            ("Logistics", 3, 3, 1, 2),
            ("Technical", 1, 1, 0, 0),
        ]
        assert lead.queues.row_count == 5
        assert shown(lead) == [1, 4, 2, 6, 3, 5]  # all queues, in pull order
        assert app.focused is lead.queues


async def test_an_agent_is_told_the_view_is_for_leads_and_it_does_not_open(
    tmp_path: Path,
) -> None:
    app = build_app(tmp_path, agent_handle="junior")
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert notes.matching(LEADS_ONLY) == [(LEADS_ONLY, "warning")]


async def test_choosing_a_queue_shows_its_tickets_and_kpis(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down")  # All queues, then Billing
        await settle(pilot)
        assert lead.queue == "billing"
        assert shown(lead) == [1, 5]
        title = str(lead.query_one("#lead-list-title", Static).render())
        assert title == "Billing: 2 active tickets"

        def kpis() -> str:
            return str(lead.query_one("#lead-kpis", Static).render())

        assert kpis().startswith("Today: 1 in · 0 resolved")  # #5 came in yesterday
        await pilot.press("m", "m")
        await settle(pilot)  # a period not on screen before is read when it is shown
        assert kpis().startswith("7 days: 2 in · 0 resolved")


async def test_enter_opens_the_ticket_beside_the_list(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down", "enter")  # Billing; enter moves to its list
        assert app.focused is lead.tickets
        await pilot.press("enter")
        await settle(pilot)
        assert lead.query_one("#lead-detail").has_class("-open")
        head = str(lead.query_one("#lead-detail-head", Static).render())
        assert head.startswith("#1 Refund for broken kettle")
        assert isinstance(app.screen, LeadScreen)  # still in the view
        await pilot.press("escape")
        assert not lead.query_one("#lead-detail").has_class("-open")
        assert isinstance(app.screen, LeadScreen)


async def test_reassigning_writes_the_new_assignee(tmp_path: Path) -> None:
    store = MemoryStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down", "enter")
        await pilot.press("a")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, AgentPicker)
        # #1 needs refunds: the most skilled first (the lead 5, Sam 4), Jamie (none) last.
        assert [agent.handle for agent in picker.agents] == ["lead", "senior", "junior"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert lead_of(app) is lead
        assert (await store.ticket_by_number(1)).assignee_id == "ag-senior"
        assert lead.board is not None and lead.board.snapshot.loads == {"ag-senior": 1}


async def test_changing_the_priority_reorders_the_queue(tmp_path: Path) -> None:
    store = MemoryStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down", "enter", "down")  # Billing, #5 (low)
        assert lead.tickets.highlighted is not None
        assert lead.tickets.highlighted.number == 5
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PriorityPicker)
        app.screen.query_one(OptionList).highlighted = 0  # urgent
        await pilot.press("enter")
        await settle(pilot)
        assert (await store.ticket_by_number(5)).priority is Priority.URGENT
        assert shown(lead) == [5, 1]  # both urgent now; #5 was due long ago


async def test_the_agent_list_shows_load_and_current_ticket(tmp_path: Path) -> None:
    store = MemoryStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        four = await store.ticket_by_number(4)
        await store.assign(four.id, "ag-junior", actor_id="ag-lead", now=app.now())
        lead = await open_lead_view(pilot, "g")
        await settle(pilot)
        assert [(line.handle, line.load, line.current_ticket) for line in lead.agent_lines] == [
            ("junior", 1, 4),
            ("lead", 0, None),
            ("senior", 0, None),
        ]
        assert lead.agent_table.row_count == 3
        assert app.focused is lead.agent_table


async def test_a_refresh_keeps_the_queue_and_the_cursor(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down", "down", "down", "enter", "down")
        assert (lead.queue, lead.tickets.cursor_row) == ("logistics", 1)
        lead.refresh_board()
        await settle(pilot)
        assert (lead.queue, lead.queues.cursor_row, lead.tickets.cursor_row) == ("logistics", 3, 1)
        assert app.focused is lead.tickets


async def test_export_writes_the_list_in_focus_to_the_data_dir(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        await open_lead_view(pilot)
        await pilot.press("x")  # the queue list has the focus
        assert isinstance(app.screen, ExportDialog)
        queues = tmp_path / "lead-queues-20261120-090000.csv"
        assert app.screen.query_one(Input).value == str(queues)  # the default, prefilled
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        with queues.open(encoding="utf-8") as file:
            rows = list(csv.reader(file))
        assert rows[0][:3] == ["queue", "name", "active"]
        assert rows[1][:7] == ["*", "All queues", "6", "6", "1800.0", "1", "3"]
        assert notes.matching(str(queues))
        await pilot.press("down", "enter", "x", "enter")  # Billing's tickets
        await settle(pilot)
        tickets = tmp_path / "lead-tickets-20261120-090000.csv"
        lines = tickets.read_text(encoding="utf-8").splitlines()
        assert [line.split(",")[0] for line in lines] == ["number", "1", "5"]


async def test_help_lists_the_lead_keys_and_a_rebound_one_works(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead", keymap={"lead.export": "e"})
    async with app.run_test(size=SIZE) as pilot:
        await open_lead_view(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        entries = {entry.binding_id: entry for entry in app.screen.entries}
        assert entries["lead.reassign"].keys == ("a",)
        assert entries["lead.reassign"].section == "Lead view"
        assert entries["lead.export"].keys == ("e",)
        assert {"lead.toggle_list", "lead.priority", "lead.transfer", "lead.period"} <= set(entries)
        await pilot.press("escape", "e", "enter")
        await settle(pilot)
        assert (tmp_path / "lead-queues-20261120-090000.csv").exists()


async def test_a_failing_refresh_is_reported_once_and_the_board_stays(tmp_path: Path) -> None:
    class FlakyStore(MemoryStore):
        failing = False

        async def queue_clocks(self, *, now: datetime, horizons: Horizons) -> dict[str, Any]:
            if self.failing:
                raise Unavailable("the disk went away")
            return await super().queue_clocks(now=now, horizons=horizons)

    store = FlakyStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down")
        store.failing = True
        for _ in range(2):
            lead.refresh_board()
            await settle(pilot)
        assert len(notes.matching("the disk went away")) == 1
        title = str(lead.query_one("#lead-title", Static).render())
        assert title == "Lead view · not refreshed since 09:00:00 UTC: the disk went away"
        assert (lead.queue, lead.queues.row_count, shown(lead)) == ("billing", 5, [1, 5])


async def test_transferring_moves_the_ticket_out_of_the_queue(tmp_path: Path) -> None:
    store = MemoryStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot, "down", "enter")  # Billing, #1
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TransferDialog)
        dialog.query_one("#transfer-department", Select).value = "technical"
        dialog.query_one("#transfer-note", Input).value = "a broken kettle is technical"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert lead_of(app) is lead
        assert (await store.ticket_by_number(1)).department_id == "technical"
        assert shown(lead) == [5]
        billing = next(line for line in lead.board.lines if line.department_id == "billing")  # type: ignore[union-attr]
        assert billing.active == 1


async def test_export_to_a_path_that_cannot_be_written_keeps_the_dialog(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    notes = Notes(app)
    (tmp_path / "a-file").write_text("not a folder", encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        await open_lead_view(pilot)
        await pilot.press("x")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        field = dialog.query_one(Input)
        bad = tmp_path / "a-file" / "queues.csv"
        field.value = str(bad)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is dialog  # nothing lost: the dialog and the typed path stay
        assert field.value == str(bad)
        error = str(dialog.query_one("#dialog-error", Static).render())
        assert error.startswith(f"Cannot write {bad}: Not a directory")
        assert notes.matching("Cannot write")
        field.value = "exports/queues.csv"  # relative: from the data directory
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        written = tmp_path / "exports" / "queues.csv"
        assert written.read_text(encoding="utf-8").startswith("queue,name,active")
        assert notes.matching(str(written))


async def test_escape_cancels_the_export(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        await open_lead_view(pilot)
        await pilot.press("x")
        assert isinstance(app.screen, ExportDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, LeadScreen)
        assert not list(tmp_path.glob("lead-*.csv"))


async def test_the_agent_list_shows_todays_kpis_read_in_one_query(tmp_path: Path) -> None:
    class CountingStore(MemoryStore):
        mine_reads = 0
        current_reads = 0

        async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
            # The agents' queues, not the lead's own (the queue screen behind reads that).
            self.mine_reads += query.scope is Scope.MINE and query.agent_id != "ag-lead"
            return await super().ticket_rows(query, offset, limit)

        async def current_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]:
            self.current_reads += 1
            return await super().current_tickets(agent_ids)

    store = CountingStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        now = app.now() - timedelta(minutes=10)  # in today's window, which ends at 09:00
        for number in (2, 4):
            ticket = await store.ticket_by_number(number)
            await store.assign(ticket.id, "ag-junior", actor_id="ag-lead", now=now)
        one = await store.ticket_by_number(1)  # resolved by the senior this morning
        await store.assign(one.id, "ag-senior", actor_id="ag-lead", now=now)
        await store.reply(one.id, "Refunded", author_id="ag-senior", now=now)
        await store.request_confirmation(one.id, "Refunded", "ok?", actor_id="ag-senior", now=now)
        await store.customer_reply(one.id, "yes", now=now, confirms_resolution=True)
        await store.record_csat(one.id, 5, actor_id="ag-senior", now=now)
        store.mine_reads = store.current_reads = 0
        lead = await open_lead_view(pilot, "g")
        await settle(pilot)
        lines = {line.handle: line for line in lead.agent_lines}
        assert (lines["junior"].load, lines["junior"].current_ticket) == (2, 4)
        senior = lines["senior"].today
        assert (senior.resolved, senior.first_contact_resolution, senior.csat) == (1, 1.0, 1.0)
        assert lines["junior"].today.resolved == 0
        table = lead.agent_table
        assert table.ordered_columns[4].label.plain == "Resolved"
        senior_row = table.get_row("ag-senior")
        assert senior_row[4:] == ["1", "—", "100%", "100%"]  # no screen time: no AHT
        assert (store.current_reads, store.mine_reads) == (1, 0)


async def test_a_refresh_reads_today_and_a_short_period_the_week_once_a_minute(
    tmp_path: Path,
) -> None:
    class RecordingStore(MemoryStore):
        reads: list[int] = []

        async def metrics_snapshot(self, windows: Sequence[Window], *, now: datetime) -> Any:
            self.reads.append(len(windows))
            return await super().metrics_snapshot(windows, now=now)

    store = RecordingStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead")
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        assert sorted(store.reads) == [2, SPARK_HOURS]  # today + last hour; the sparkline
        assert set(lead.board.periods) == {Period.TODAY}  # type: ignore[union-attr]
        await pilot.press("m")  # this shift: read at once, and with every refresh from now on
        await settle(pilot)
        assert store.reads[-1] == 3
        store.reads.clear()
        await pilot.press("m")  # 7 days: read at once with the sparkline, not with a refresh
        await settle(pilot)
        assert store.reads == [SPARK_HOURS + 1]
        lead.refresh_board()
        await settle(pilot)
        assert store.reads[-1] == 2
        assert set(lead.board.periods) == {Period.TODAY, Period.SHIFT, Period.WEEK}  # type: ignore[union-attr]
