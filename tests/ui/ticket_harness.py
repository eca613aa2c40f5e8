"""A tiny App that provides what the ticket screens need (`store`, `agent`, `now()`).

It seeds a MemoryStore with the shared fixtures, lets a test choose the ticket, and pushes
`TicketScreen` over a stand-in queue screen, so ticket-side tests do not depend on the real
app's start-up.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Label

from agentdesk.domain.model import Agent
from agentdesk.screens.ticket import TicketScreen
from agentdesk.store.memory import MemoryStore
from tests.fixtures import NOW, seed

Prepare = Callable[["TicketHarness"], Awaitable[str]]


class QueueStandIn(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Label("queue")


async def claim_next(app: TicketHarness) -> str:
    """The ticket the agent would pull next from the queue."""
    ticket = await app.store.claim_next(app.agent, app.now())
    assert ticket is not None
    return ticket.id


class TicketHarness(App[None]):
    def __init__(
        self,
        *,
        agent_handle: str = "senior",
        prepare: Prepare = claim_next,
        store: MemoryStore | None = None,
    ) -> None:
        super().__init__()
        self.store = store or MemoryStore(client_id="test-client")
        self.agent_handle = agent_handle
        self.prepare = prepare
        self.clock: datetime = NOW
        self.agent: Agent

    def now(self) -> datetime:
        return self.clock

    def compose(self) -> ComposeResult:
        yield Label("starting")

    async def on_mount(self) -> None:
        await seed(self.store)
        self.agent = await self.store.agent_by_handle(self.agent_handle)
        ticket_id = await self.prepare(self)
        await self.push_screen(QueueStandIn())
        await self.push_screen(TicketScreen(ticket_id))


async def settle(pilot: Pilot[None]) -> None:
    """Let pending messages, timers and workers finish (no sleeping)."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def ticket_screen(pilot: Pilot[None]) -> TicketScreen:
    """Wait until the ticket screen is up with its ticket loaded."""
    for _ in range(50):
        await settle(pilot)
        screen = pilot.app.screen
        if isinstance(screen, TicketScreen) and screen.view is not None:
            return screen
    raise AssertionError(f"ticket screen never loaded; top screen is {pilot.app.screen!r}")
