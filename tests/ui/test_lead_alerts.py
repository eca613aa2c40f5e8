"""The lead view's alert strip, list and toasts over the seeded store at 09:00."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from agentdesk.app import AgentDeskApp
from agentdesk.domain.lead_alerts import AlertKind, AlertPolicy
from agentdesk.screens.help import HelpScreen
from agentdesk.screens.lead import LeadScreen
from agentdesk.store.memory import MemoryStore
from tests.ui.conftest import Notes, build_app, settle

SIZE = (150, 40)
# Only breaches and agents over capacity: the seeded desk has two queues with breached tickets.
BREACHES = AlertPolicy(
    queue_length=0,
    queue_wait=timedelta(0),
    breach_coming=0,
    breached=1,
    over_capacity=1,
    quiet_idle_agents=0,
)


async def open_lead_view(pilot: Pilot[Any]) -> LeadScreen:
    await settle(pilot)
    await pilot.press("L")
    await settle(pilot)
    assert isinstance(pilot.app.screen, LeadScreen)
    return pilot.app.screen


def strip(lead: object) -> str:
    assert isinstance(lead, LeadScreen)
    return str(lead.query_one("#alert-strip", Static).render())


def toasts(notes: Notes) -> list[tuple[str, str]]:
    return notes.matching("past an SLA deadline") + notes.matching("over capacity")


async def test_a_breached_queue_is_raised_on_the_strip_and_told_once(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=BREACHES)
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        assert lead.alert_panel.display
        assert strip(lead) == (
            "2 alerts: Logistics: 2 tickets past an SLA deadline · "
            "Billing: 1 ticket past an SLA deadline  (w: list)"
        )
        assert toasts(notes) == [
            (
                "Logistics: 2 tickets past an SLA deadline\nBilling: 1 ticket past an SLA deadline",
                "error",
            )
        ]
        lead.refresh_board()
        await settle(pilot)
        assert len(toasts(notes)) == 1  # still raised, not told again
        assert strip(lead).startswith("2 alerts: Logistics")
        await pilot.press("escape", "L")  # leave the view and come back
        await settle(pilot)
        assert pilot.app.screen is not lead and strip(pilot.app.screen).startswith("2 alerts")
        assert len(toasts(notes)) == 1


async def test_an_agent_going_over_capacity_is_told_and_enter_shows_them(
    tmp_path: Path,
) -> None:
    store = MemoryStore(client_id="test-client")
    app = build_app(tmp_path, store=store, agent_handle="lead", lead_alerts=BREACHES)
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        junior = next(agent for agent in await store.agents() if agent.handle == "junior")
        for number in range(1, junior.capacity + 2):
            ticket = await store.ticket_by_number(number)
            await store.assign(ticket.id, junior.id, actor_id="ag-lead", now=app.now())
        lead.refresh_board()
        await settle(pilot)
        assert notes.matching("over capacity") == [
            ("Jamie Junior: 1 ticket over capacity", "warning")
        ]
        await pilot.press("w")
        assert app.focused is lead.alert_panel.options
        kinds = [alert.kind for alert in lead.alert_panel.found.alerts]
        await pilot.press(*["down"] * kinds.index(AlertKind.AGENT_OVER_CAPACITY), "enter")
        await settle(pilot)
        assert not lead.alert_panel.expanded
        assert lead.showing_agents and lead.queue == ""
        assert app.focused is lead.agent_table
        assert lead.agent_lines[lead.agent_table.cursor_row].handle == "junior"


async def test_enter_on_a_queue_alert_shows_that_queue(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=BREACHES)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        await pilot.press("w", "down", "enter")  # the second alert: Billing
        await settle(pilot)
        assert lead.queue == "billing"
        assert lead.queues.cursor_row == 1
        assert app.focused is lead.tickets
        title = str(lead.query_one("#lead-list-title", Static).render())
        assert title == "Billing: 2 active tickets"


async def test_w_closes_the_list_and_escape_too_before_leaving(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=BREACHES)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        await pilot.press("w")
        assert lead.alert_panel.expanded and lead.alert_panel.options.display
        await pilot.press("w")
        assert not lead.alert_panel.expanded and app.focused is lead.queues
        await pilot.press("w", "escape")
        assert not lead.alert_panel.expanded
        assert isinstance(app.screen, LeadScreen)


async def test_a_quiet_desk_suggests_training(tmp_path: Path) -> None:
    quiet = replace(AlertPolicy.off(), quiet_arrivals=5, quiet_idle_agents=3)
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=quiet)
    notes = Notes(app)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        suggestion = (
            "Quiet period: a good time to schedule training (3 agents idle, "
            "2 in during the last hour)"
        )
        assert strip(lead) == suggestion
        assert notes.matching("Quiet period") == [(suggestion, "information")]


async def test_with_nothing_to_tell_the_strip_is_hidden(tmp_path: Path) -> None:
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=AlertPolicy.off())
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        assert not lead.alert_panel.display
        await pilot.press("w")
        assert lead.alert_panel.display
        assert strip(lead) == "No alerts  (w: close)"


async def test_the_alert_key_is_in_the_help_and_can_be_rebound(tmp_path: Path) -> None:
    app: AgentDeskApp = build_app(
        tmp_path, agent_handle="lead", lead_alerts=BREACHES, keymap={"lead.alerts": "b"}
    )
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        assert strip(lead).endswith("(b: list)")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        entries = {entry.binding_id: entry for entry in app.screen.entries}
        assert entries["lead.alerts"].keys == ("b",)
        assert entries["lead.alerts"].section == "Lead view"
        await pilot.press("escape", "b")
        assert lead.alert_panel.expanded


async def test_new_limits_from_a_settings_reload_apply_at_the_next_refresh(
    tmp_path: Path,
) -> None:
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=BREACHES)
    async with app.run_test(size=SIZE) as pilot:
        lead = await open_lead_view(pilot)
        assert lead.alert_panel.display
        app.settings = replace(app.settings, lead_alerts=AlertPolicy.off())
        lead.refresh_board()
        await settle(pilot)
        assert lead.alert_panel.found.alerts == ()
        assert not lead.alert_panel.display
