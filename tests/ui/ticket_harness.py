"""The real AgentDeskApp with a ticket open: seeded MemoryStore, a clock tests can move.

`open_ticket(pilot, prepare)` waits for the queue, lets `prepare` put the store in the state a
test needs (returning the ticket id), opens that ticket through the app's own `open_ticket` and
waits until the screen has loaded it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from agentdesk.app import AgentDeskApp
from agentdesk.screens.ticket import TicketScreen
from agentdesk.store.memory import MemoryStore
from tests.fixtures import NOW
from tests.ui.conftest import make_settings, seeded_opener, settle

Prepare = Callable[[AgentDeskApp], Awaitable[str]]


class Clock:
    """A fixed clock a test can move forward."""

    def __init__(self, now: datetime = NOW) -> None:
        self.value = now

    def __call__(self) -> datetime:
        return self.value


def ticket_app(
    directory: Path,
    *,
    agent_handle: str = "senior",
    store: MemoryStore | None = None,
    clock: Clock | None = None,
) -> AgentDeskApp:
    return AgentDeskApp(
        settings=make_settings(directory),
        open_store=seeded_opener(store),
        agent_handle=agent_handle,
        clock=clock or Clock(),
    )


async def claim_next(app: AgentDeskApp) -> str:
    """The ticket the agent would pull next from the queue (assigned to them)."""
    ticket = await app.store.claim_next(app.agent, app.now())
    assert ticket is not None
    return ticket.id


async def open_ticket(pilot: Pilot[Any], prepare: Prepare = claim_next) -> TicketScreen:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, AgentDeskApp) and app.ready
    app.open_ticket(await prepare(app))
    return await ticket_screen(pilot)


async def ticket_screen(pilot: Pilot[Any]) -> TicketScreen:
    """Wait until the top screen is a ticket screen with its ticket loaded."""
    for _ in range(20):
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, TicketScreen) and screen.view is not None:
            return screen
    raise AssertionError(f"no ticket screen loaded; the top screen is {pilot.app.screen!r}")


__all__ = ["Clock", "claim_next", "open_ticket", "settle", "ticket_app", "ticket_screen"]
