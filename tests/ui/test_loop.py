"""The whole working loop through the real app, asserting on what the store recorded.

pull -> reply with a script -> link a KB article -> close by asking the customer -> customer
says it is not solved (reopens) -> close on the customer's confirmation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import RadioButton, TextArea

from agentdesk.domain.model import LinkKind, MessageKind, TicketLink, TicketStatus
from agentdesk.screens.close_ticket import CloseDialog
from agentdesk.screens.customer_message import CustomerMessageDialog
from agentdesk.screens.kb import KbScreen
from agentdesk.screens.queue import QueueScreen
from agentdesk.screens.script_picker import ScriptPicker
from tests.ui.ticket_harness import settle, ticket_app, ticket_screen

SCRIPT_LINK = TicketLink(LinkKind.SCRIPT, "sc-refund", "Refund started")
ARTICLE_LINK = TicketLink(LinkKind.ARTICLE, "kb-refund", "Initiate Refund")


async def test_pull_reply_link_ask_reopen_and_close_on_confirmation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(KbScreen, "SEARCH_DELAY", 0.0)  # the debounce is not under test here
    app = ticket_app(tmp_path, agent_handle="senior")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)

        # Pull: the senior agent gets the urgent refund ticket of the VIP customer.
        await pilot.press("n")
        screen = await ticket_screen(pilot)
        ticket_id = screen.ticket_id
        pulled = await app.store.ticket(ticket_id)
        assert (pulled.number, pulled.assignee_id) == (1, app.agent.id)

        # Reply with the refund script; its one unfilled slot is selected, "5" fills it.
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, ScriptPicker)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("5", "ctrl+s")
        await settle(pilot)

        # Link the suggested KB article into a second reply.
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, KbScreen)
        await pilot.press("down", "l")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)

        # Close by asking the customer to confirm.
        await pilot.press("c")
        await settle(pilot)
        close = app.screen
        assert isinstance(close, CloseDialog)
        close.query_one("#close-resolution", TextArea).load_text("Refund issued")
        close.query_one("#close-ask", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await app.store.ticket(ticket_id)).status is TicketStatus.AWAITING_CONFIRMATION

        # The customer answers that it is not solved: the ticket reopens.
        await pilot.press("m")
        await settle(pilot)
        message = app.screen
        assert isinstance(message, CustomerMessageDialog)
        message.query_one("#customer-message-body", TextArea).load_text("No refund yet")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await app.store.ticket(ticket_id)).status is TicketStatus.OPEN

        # They confirm by phone later; the agent closes with that evidence and a CSAT.
        await pilot.press("c")
        await settle(pilot)
        close = app.screen
        assert isinstance(close, CloseDialog)
        assert close.query_one("#close-resolution", TextArea).text == "Refund issued"
        close.query_one("#close-evidence", TextArea).load_text("Confirmed by phone")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen

    ticket = await app.store.ticket(ticket_id)
    assert ticket.status is TicketStatus.CLOSED
    assert ticket.resolution == "Refund issued"
    assert ticket.links == (SCRIPT_LINK, ARTICLE_LINK)
    assert ticket.closed_at == app.now()

    messages = await app.store.messages(ticket_id)
    kinds = [m.kind for m in messages]
    assert kinds == [
        MessageKind.CUSTOMER,
        MessageKind.REPLY,  # the script
        MessageKind.REPLY,  # the article reference
        MessageKind.REPLY,  # the confirmation request
        MessageKind.CUSTOMER,  # not solved
        MessageKind.SYSTEM,  # closed on confirmation
    ]
    assert "within 5 days" in messages[1].body and "{{" not in messages[1].body
    assert '"Initiate Refund"' in messages[2].body
    assert messages[3].body.startswith("Hello Ada,")
    assert messages[5].body == "Customer confirmed the fix: Confirmed by phone"

    operations = [op.kind for op in await app.store.operations() if op.kind.startswith("ticket.")]
    assert operations[-7:] == [
        "ticket.assign",
        "ticket.reply",
        "ticket.link",
        "ticket.reply",
        "ticket.request_confirmation",
        "ticket.customer_reply",
        "ticket.close",
    ]
    audit = [event.kind for event in await app.store.audit_events(ticket_id)]
    assert "ticket.reopened" in audit
