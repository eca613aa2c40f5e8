"""SVG snapshots of the ticket screen and its dialogs: fixed data, fixed clock, 120x36.

Update deliberately with `pytest tests/snapshots --snapshot-update` after reading the diff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, Select, TextArea

from agentdesk.app import AgentDeskApp
from agentdesk.domain.model import LinkKind
from agentdesk.screens.kb import KbScreen
from tests.fixtures import NOW
from tests.ui.ticket_harness import open_ticket, settle, ticket_app

SIZE = (120, 36)
SCRIPT_REPLY = (
    "Hello Ada,\n\nI have started the refund for ticket #1. It reaches you within 5 days."
    "\n\nSam Senior"
)


@pytest.fixture(autouse=True)
def instant_kb_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KbScreen, "SEARCH_DELAY", 0.0)


async def worked_on(app: AgentDeskApp) -> str:
    """The VIP refund ticket with every kind of message and a linked article."""
    ticket = await app.store.claim_next(app.agent, NOW)
    assert ticket is not None
    agent = app.agent.id
    await app.store.reply(ticket.id, SCRIPT_REPLY, author_id=agent, now=NOW)
    await app.store.reply(
        ticket.id,
        "Card ending 4242; refund desk confirmed.",
        author_id=agent,
        now=NOW,
        internal=True,
    )
    await app.store.link(
        ticket.id, LinkKind.ARTICLE, "kb-refund", "Initiate Refund", actor_id=agent, now=NOW
    )
    await app.store.customer_reply(ticket.id, "Thank you, that was quick!", now=NOW)
    return ticket.id


def snapshot(snap_compare: Any, tmp_path: Path, steps: Any) -> bool:
    app = ticket_app(tmp_path, agent_handle="senior")

    async def run_before(pilot: Pilot[Any]) -> None:
        await steps(pilot)
        # A blinking cursor would make the picture depend on when it is taken.
        for editor in pilot.app.screen.query("Input, TextArea"):
            assert isinstance(editor, Input | TextArea)
            editor.cursor_blink = False
        await settle(pilot)

    return bool(snap_compare(app, terminal_size=SIZE, run_before=run_before))


def test_ticket_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot, worked_on)

    assert snapshot(snap_compare, tmp_path, steps)


def test_composer_with_a_script_and_an_unfilled_slot(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("up")  # off the selected slot, so its highlight shows
        pilot.app.clear_notifications()

    assert snapshot(snap_compare, tmp_path, steps)


def test_script_picker(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("r", "e", "f")

    assert snapshot(snap_compare, tmp_path, steps)


def test_kb_screen(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot)
        await pilot.press("k")
        await settle(pilot)
        pilot.app.screen.query_one("#kb-query", Input).value = "refund"
        await settle(pilot)

    assert snapshot(snap_compare, tmp_path, steps)


def test_close_dialog_asking_the_customer(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot, worked_on)
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#close-resolution", TextArea).load_text("Refund issued to the card.")
        dialog.query_one("#close-ask", RadioButton).value = True

    assert snapshot(snap_compare, tmp_path, steps)


def test_close_dialog_customer_confirmed(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot, worked_on)
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#close-resolution", TextArea).load_text("Refund issued to the card.")
        await pilot.click("#close-quote")
        dialog.query_one("#close-csat", Select).value = 5

    assert snapshot(snap_compare, tmp_path, steps)


def test_transfer_dialog(snap_compare: Any, tmp_path: Path) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot)
        await pilot.press("t")
        await settle(pilot)
        dialog = pilot.app.screen
        dialog.query_one("#transfer-department", Select).value = "technical"
        dialog.query_one("#transfer-note", Input).value = "Card payment gateway error"

    assert snapshot(snap_compare, tmp_path, steps)
