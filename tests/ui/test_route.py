"""Pull-next from the queue opens the top-ranked ticket and shows why it was chosen."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from agentdesk.domain import routing
from agentdesk.domain.routing import DEFAULT_POLICY, TicketFacts
from agentdesk.screens.ticket import TicketScreen
from agentdesk.store.base import Store
from agentdesk.store.memory import MemoryStore
from agentdesk.widgets.route_panel import RoutePanel
from tests.fixtures import AGENTS, CUSTOMERS, NOW, seed
from tests.ui.conftest import Notes, build_app, settle
from tests.ui.ticket_harness import ticket_screen

JUNIOR = AGENTS[0]


async def top_ranked(store: MemoryStore) -> int:
    customers = {customer.id: customer for customer in CUSTOMERS}
    tickets = [ticket async for batch in store.iter_tickets() for ticket in batch]
    facts = [TicketFacts.of(t, customers.get(t.customer_id)) for t in tickets]
    chosen = routing.pick(facts, JUNIOR, 0, NOW, DEFAULT_POLICY)
    assert chosen is not None
    return chosen.facts.number


async def test_n_opens_the_top_ranked_ticket_with_its_explanation(
    tmp_path: Path, store: MemoryStore
) -> None:
    app = build_app(tmp_path, store=store)
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        expected = await top_ranked(store)
        await pilot.press("n")
        screen = await ticket_screen(pilot)
        assert isinstance(screen, TicketScreen) and screen.ticket is not None
        assert screen.ticket.number == expected == 2
        assert screen.ticket.assignee_id == JUNIOR.id
        panel = screen.query_one(RoutePanel)
        assert panel.display and panel.has_class("-shown")
        recorded = await store.route_explanation(screen.ticket.id)
        assert recorded is not None
        headline = str(panel.query_one("#route-headline").render())
        assert headline == recorded.headline() and "pulled by junior" in headline
        parts = str(panel.query_one("#route-parts").render())
        for label in ("SLA risk", "Priority", "Waiting", "Skill fit"):
            assert label in parts
        assert "Skill fit  25/25  orders 2, needs 2" in parts


async def test_a_ticket_routing_did_not_assign_shows_no_explanation(
    tmp_path: Path, store: MemoryStore
) -> None:
    app = build_app(tmp_path, store=store)
    async with app.run_test(size=(130, 40)) as pilot:
        await settle(pilot)
        ticket = await store.ticket_by_number(3)
        await store.assign(ticket.id, JUNIOR.id, actor_id=JUNIOR.id, now=NOW)
        app.open_ticket(ticket.id)
        screen = await ticket_screen(pilot)
        assert not screen.query_one(RoutePanel).display


async def test_an_unavailable_agent_is_told_why_nothing_was_pulled(tmp_path: Path) -> None:
    store = MemoryStore()

    async def open_store() -> Store:
        await seed(store)
        await store.add_agents([replace(JUNIOR, available=False)])
        return store

    app = build_app(tmp_path, open_store=open_store)
    notes = Notes(app)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert notes.matching("you are marked unavailable") != []
        assert not isinstance(app.screen, TicketScreen)
        assert await store.active_load(JUNIOR.id) == 0
