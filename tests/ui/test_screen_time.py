"""Screen time: a ticket's handle time is recorded from when it is really in front of the agent."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from agentdesk.screens.queue import QueueScreen
from agentdesk.screens.script_picker import ScriptPicker
from agentdesk.screens.ticket import TicketScreen
from agentdesk.store.base import Store
from tests.fixtures import NOW
from tests.ui.ticket_harness import Clock, open_ticket, settle, ticket_app, ticket_screen

SIZE = (120, 36)
MIN = timedelta(minutes=1)


async def stays(store: Store, ticket_id: str) -> list[tuple[int, int, str]]:
    """The ticket's screen sessions as (start, end) minutes after NOW, and whose screen."""
    return [
        ((s.started_at - NOW) // MIN, (s.ended_at - NOW) // MIN, s.agent_id)
        for s in await store.screen_sessions(ticket_id)
    ]


async def test_time_in_front_counts_dialogs_but_not_blur_or_another_ticket(
    tmp_path: Path,
) -> None:
    clock = Clock()
    app = ticket_app(tmp_path, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        first = screen.ticket_id
        clock.value = NOW + 3 * MIN
        await pilot.press("s")  # a script picker over the ticket: still working on it
        await settle(pilot)
        assert isinstance(app.screen, ScriptPicker)
        clock.value = NOW + 5 * MIN
        await pilot.press("escape")
        await settle(pilot)
        app.app_focus = False  # the terminal lost focus: the agent is elsewhere
        await settle(pilot)
        clock.value = NOW + 20 * MIN
        app.app_focus = True
        await settle(pilot)
        clock.value = NOW + 21 * MIN
        other = (await app.store.ticket_by_number(3)).id
        app.push_screen(TicketScreen(other))  # from the customer's history, say
        await ticket_screen(pilot)
        clock.value = NOW + 30 * MIN
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        clock.value = NOW + 32 * MIN
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)

        assert await stays(app.store, first) == [
            (0, 5, "ag-senior"),
            (20, 21, "ag-senior"),
            (30, 32, "ag-senior"),
        ]
        assert await stays(app.store, other) == [(21, 30, "ag-senior")]


async def test_a_suspended_app_stops_the_clock(tmp_path: Path) -> None:
    clock = Clock()
    app = ticket_app(tmp_path, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        clock.value = NOW + 2 * MIN
        app.app_suspend_signal.publish(app)
        await settle(pilot)
        clock.value = NOW + 60 * MIN
        app.app_resume_signal.publish(app)
        await settle(pilot)
        clock.value = NOW + 61 * MIN
        await pilot.press("escape")
        await settle(pilot)
        assert await stays(app.store, screen.ticket_id) == [
            (0, 2, "ag-senior"),
            (60, 61, "ag-senior"),
        ]
