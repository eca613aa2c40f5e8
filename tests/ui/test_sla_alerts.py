"""SLA in the app: the throttled alert digest, and paused clocks in the queue and ticket views."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

from agentdesk.app import AgentDeskApp
from agentdesk.domain.calendar import office_hours
from agentdesk.domain.sla import SlaPolicies
from agentdesk.screens.queue import QueueScreen
from agentdesk.widgets.ticket_table import row_cells
from tests.fixtures import NOW
from tests.ui.conftest import Notes, make_settings, seeded_opener, settle
from tests.ui.ticket_harness import Clock, open_ticket, ticket_app

SIZE = (120, 36)


def sla_notes(notes: Notes) -> list[tuple[str, str]]:
    return [note for note in notes.seen if "breached:" in note[0] or "at risk:" in note[0]]


async def assign(app: AgentDeskApp, number: int) -> str:
    ticket = await app.store.ticket_by_number(number)
    await app.store.assign(ticket.id, app.agent.id, actor_id=app.agent.id, now=app.now())
    return ticket.id


async def test_two_reviews_inside_the_interval_give_one_notification(tmp_path: Path) -> None:
    # #1 is urgent, 20 minutes old at NOW: at NOW + 5 min it has used 25 of its 30 minutes.
    # #2 is high, 50 minutes old at NOW: 55 of its 60 minutes used at NOW + 5 min.
    clock = Clock(NOW + timedelta(minutes=5))
    app = ticket_app(tmp_path, agent_handle="junior", clock=clock)

    async def review_at(seconds_later: int) -> None:
        clock.value = NOW + timedelta(minutes=5, seconds=seconds_later)
        app.watch_sla()
        await settle(pilot)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        notes = Notes(app)
        await assign(app, 1)
        await review_at(0)
        assert sla_notes(notes) == [("1 at risk: #1", "warning")]

        await assign(app, 2)
        await review_at(20)
        await review_at(40)
        assert len(sla_notes(notes)) == 1  # #2 is news, but the last digest is too recent

        await review_at(60)
        await review_at(70)
        assert sla_notes(notes) == [("1 at risk: #1", "warning"), ("1 at risk: #2", "warning")]

        await review_at(300)  # both due by now
        assert sla_notes(notes)[2:] == [("2 breached: #1, #2", "error")]


async def test_only_the_agents_own_tickets_are_watched(tmp_path: Path) -> None:
    app = ticket_app(tmp_path, agent_handle="junior", clock=Clock(NOW + timedelta(hours=6)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        notes = Notes(app)
        app.watch_sla()  # every fixture ticket is breached by now, none is the junior's
        await settle(pilot)
        assert sla_notes(notes) == []


async def test_the_configured_policies_reach_the_store(tmp_path: Path) -> None:
    policies = SlaPolicies(calendar=office_hours("Europe/Berlin", time(9), time(17)))
    app = AgentDeskApp(
        settings=make_settings(tmp_path, sla=policies),
        open_store=seeded_opener(),
        agent_handle="junior",
        clock=lambda: NOW,
    )
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.store.policies is policies
        assert isinstance(app.screen, QueueScreen)
        assert app.screen.table.sla_policies is policies


async def test_a_pending_ticket_reads_paused_in_the_queue_and_the_ticket(tmp_path: Path) -> None:
    clock = Clock()
    app = ticket_app(tmp_path, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        assert screen.ticket is not None
        await app.store.reply(
            screen.ticket.id,
            "Could you send the order number?",
            author_id=app.agent.id,
            now=NOW + timedelta(minutes=1),
            wait_on_customer=True,
        )
        clock.value = NOW + timedelta(days=2)
        screen.load_ticket()
        await settle(pilot)
        resolution = screen.query_one("#sla-resolution")
        assert "paused," in str(resolution.render()) and resolution.has_class("-paused")

        await pilot.press("escape")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        table = queue.table
        rows = [table.row_at(index) for index in range(table.row_count)]
        pending = [row for row in rows if row is not None and row.id == screen.ticket.id]
        assert len(pending) == 1 and pending[0].sla_paused_at == NOW + timedelta(minutes=1)
        cell = row_cells(pending[0], table.now, table.sla_policies)[2]
        assert (cell.text, cell.component) == ("paused", "ticket-table--sla-paused")
