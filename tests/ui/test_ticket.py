"""Pilot tests of the ticket screen and its dialogs, asserting on what the store recorded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Checkbox, Input, RadioButton, Select, TextArea

from agentdesk.app import AgentDeskApp
from agentdesk.domain.model import LinkKind, MessageKind, Ticket, TicketLink, TicketStatus
from agentdesk.screens.close_ticket import CloseDialog
from agentdesk.screens.csat import CsatDialog
from agentdesk.screens.customer_message import CustomerMessageDialog
from agentdesk.screens.help import help_entries
from agentdesk.screens.kb import KbScreen
from agentdesk.screens.queue import QueueScreen
from agentdesk.screens.script_picker import ScriptPicker
from agentdesk.screens.ticket import TicketScreen
from agentdesk.screens.transfer import TransferDialog
from agentdesk.store.errors import Unavailable
from agentdesk.widgets.composer import Composer
from tests.fixtures import NOW
from tests.ui.ticket_harness import Clock, open_ticket, settle, ticket_app, ticket_screen

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def instant_kb_search(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KbScreen, "SEARCH_DELAY", 0.0)


async def stored(app: AgentDeskApp, screen: TicketScreen) -> Ticket:
    return await app.store.ticket(screen.ticket_id)


async def type_into_composer(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Typed text goes through the TextArea's own key handling; keep it short."""
    await pilot.press(*text)


# -- replies and notes ------------------------------------------------------------------------
async def test_reply_is_sent_with_ctrl_s_and_the_composer_empties(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("r")
        assert screen.composer.is_open and not screen.composer.internal
        await type_into_composer(pilot, "hi")
        await pilot.press("ctrl+s")
        await settle(pilot)

        messages = await app.store.messages(screen.ticket_id)
        assert [(m.kind, m.body) for m in messages[1:]] == [(MessageKind.REPLY, "hi")]
        ticket = await stored(app, screen)
        assert ticket.first_response_at == NOW and ticket.status is TicketStatus.OPEN
        assert screen.composer.draft == "" and not screen.composer.display


async def test_note_is_internal_and_does_not_count_as_first_response(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("i")
        assert screen.composer.internal
        await type_into_composer(pilot, "vip")
        await pilot.press("ctrl+s")
        await settle(pilot)

        messages = await app.store.messages(screen.ticket_id)
        assert (messages[-1].kind, messages[-1].body) == (MessageKind.NOTE, "vip")
        assert (await stored(app, screen)).first_response_at is None


async def test_send_and_wait_sets_the_ticket_pending(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("r", "o", "k", "ctrl+g")
        await settle(pilot)
        assert (await stored(app, screen)).status is TicketStatus.PENDING


async def test_wait_checkbox_makes_ctrl_s_wait_for_the_customer(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("r", "o", "k")
        screen.composer.query_one("#composer-wait", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await stored(app, screen)).status is TicketStatus.PENDING


async def test_escape_leaves_the_composer_keeping_the_draft_and_back_asks_first(
    tmp_path: Path,
) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("r", "h", "i", "escape")
        assert not screen.composer.is_open and screen.composer.display
        assert screen.composer.draft == "hi"
        await pilot.press("escape")  # would lose the draft: only warns
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("r", "!")
        assert screen.composer.draft == "hi!"
        await pilot.press("escape", "escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_a_failed_send_keeps_the_text_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)

        async def unavailable(*args: object, **kwargs: object) -> Ticket:
            raise Unavailable("database is locked")

        monkeypatch.setattr(app.store, "reply", unavailable)
        await pilot.press("r", "h", "i", "ctrl+s")
        await settle(pilot)
        assert screen.composer.draft == "hi" and screen.composer.is_open
        assert any("database is locked" in n.message for n in app._notifications)


# -- scripts ----------------------------------------------------------------------------------
async def test_script_with_an_unfilled_required_slot_is_blocked_then_sent_after_editing(
    tmp_path: Path,
) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("s")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ScriptPicker)
        await pilot.press("r", "e", "f", "enter")
        await settle(pilot)

        composer = screen.composer
        assert composer.draft.startswith("Hello Ada,")
        assert "ticket #1." in composer.draft and composer.draft.endswith("Sam Senior")
        assert composer.unfilled == ["Refund Days"]
        assert composer.has_class("-has-slots")
        assert screen.pending_links == (TicketLink(LinkKind.SCRIPT, "sc-refund", "Refund started"),)

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(await app.store.messages(screen.ticket_id)) == 1  # nothing sent
        assert "{{Refund Days}}" in composer.draft
        assert any("Fill in {{Refund Days}}" in n.message for n in app._notifications)

        await pilot.press("5")  # the slot is selected: typing replaces it
        assert composer.unfilled == []
        await pilot.press("ctrl+s")
        await settle(pilot)

        messages = await app.store.messages(screen.ticket_id)
        assert "within 5 days" in messages[-1].body
        ticket = await stored(app, screen)
        assert ticket.links == (TicketLink(LinkKind.SCRIPT, "sc-refund", "Refund started"),)
        assert screen.pending_links == ()


async def test_script_picker_lists_intent_matches_first_with_their_steps(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_ticket(pilot)
        await pilot.press("s")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, ScriptPicker)
        assert picker.highlighted_script is not None
        assert picker.highlighted_script.id == "sc-refund"  # the ticket's intent
        await pilot.press("o", "r", "d")
        assert picker.highlighted_script.id == "sc-track"
        steps = str(picker.query_one("#script-steps").render())
        assert "1. Look up order" in steps
        await pilot.press("escape")
        assert isinstance(app.screen, TicketScreen)


# -- knowledge base ---------------------------------------------------------------------------
async def test_kb_search_inserts_a_link_and_records_the_article(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("k")
        await settle(pilot)
        kb = app.screen
        assert isinstance(kb, KbScreen)
        await pilot.press("p", "a", "s", "s")
        await settle(pilot)
        assert kb.article is not None and kb.article.id == "kb-password"
        await pilot.press("down", "l")
        await settle(pilot)

        assert app.screen is screen
        assert 'See our help article "Reset a Password"' in screen.composer.draft
        ticket = await stored(app, screen)
        assert ticket.links == (TicketLink(LinkKind.ARTICLE, "kb-password", "Reset a Password"),)


async def test_kb_suggests_articles_for_the_intent_and_inserts_an_excerpt(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("k")
        await settle(pilot)
        kb = app.screen
        assert isinstance(kb, KbScreen)
        assert kb.article is not None and kb.article.id == "kb-refund"  # get_refund suggestion
        await pilot.press("down", "e")
        await settle(pilot)
        assert screen.composer.draft == (
            "Ask for the refund reason, validate the purchase, then offer the refund."
        )
        assert (await stored(app, screen)).links[0].ref_id == "kb-refund"


async def test_kb_drops_results_of_a_query_the_agent_already_changed(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await open_ticket(pilot)
        await pilot.press("k", "t", "r", "a", "c", "k")
        await settle(pilot)
        kb = app.screen
        assert isinstance(kb, KbScreen)
        assert kb.article is not None and kb.article.id == "kb-track"
        kb.search("password")  # an answer for a query no longer in the box
        await settle(pilot)
        assert kb.article.id == "kb-track"


# -- transfer ---------------------------------------------------------------------------------
async def test_transfer_needs_a_note_then_moves_the_ticket_and_returns_to_the_queue(
    tmp_path: Path,
) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        await pilot.press("t")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TransferDialog)
        department = dialog.query_one("#transfer-department", Select)
        offered = [value for _, value in department._options if isinstance(value, str)]
        assert "billing" not in offered and "technical" in offered
        department.value = "technical"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # the note is required
        assert "note" in str(dialog.query_one("#dialog-error").render())

        dialog.query_one("#transfer-note", Input).value = "needs a technician"
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert isinstance(app.screen, QueueScreen)
        ticket = await app.store.ticket(screen.ticket_id)
        assert (ticket.department_id, ticket.assignee_id) == ("technical", None)
        messages = await app.store.messages(ticket.id)
        assert messages[-1].body.endswith("needs a technician")


# -- closing ----------------------------------------------------------------------------------
async def answered(app: AgentDeskApp) -> str:
    """A ticket the senior agent claimed and answered, ready to close."""
    ticket = await app.store.claim_next(app.agent, app.now())
    assert ticket is not None
    await app.store.reply(ticket.id, "Refund started.", author_id=app.agent.id, now=app.now())
    await app.store.customer_reply(ticket.id, "Got it, thanks, all good!", now=app.now())
    return ticket.id


async def test_close_with_the_customers_confirmation_records_evidence_and_csat(
    tmp_path: Path,
) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, answered)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CloseDialog)
        dialog.query_one("#close-resolution", TextArea).load_text("Refunded")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is dialog  # evidence is required
        await pilot.click("#close-quote")
        assert '"Got it, thanks, all good!"' in dialog.query_one("#close-evidence", TextArea).text
        dialog.query_one("#close-csat", Select).value = 5
        await pilot.press("ctrl+s")
        await settle(pilot)

        assert app.screen is screen
        ticket = await stored(app, screen)
        assert (ticket.status, ticket.resolution, ticket.csat) == (
            TicketStatus.CLOSED,
            "Refunded",
            5,
        )
        last = (await app.store.messages(ticket.id))[-1]
        assert last.kind is MessageKind.SYSTEM and "all good" in last.body
        assert screen.check_action("reply", ()) is None
        assert screen.check_action("close", ()) is None
        assert screen.check_action("csat", ()) is True


async def test_close_by_asking_the_customer_sends_the_prefilled_request(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, answered)
        await pilot.press("c")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CloseDialog)
        dialog.query_one("#close-resolution", TextArea).load_text("Refund issued")
        dialog.query_one("#close-ask", RadioButton).value = True
        await settle(pilot)
        request = dialog.query_one("#close-request", TextArea).text
        assert request.startswith("Hello Ada,") and "What we did: Refund issued" in request
        await pilot.press("ctrl+s")
        await settle(pilot)

        ticket = await stored(app, screen)
        assert (ticket.status, ticket.resolution) == (
            TicketStatus.AWAITING_CONFIRMATION,
            "Refund issued",
        )
        last = (await app.store.messages(ticket.id))[-1]
        assert (last.kind, last.body) == (MessageKind.REPLY, request)


async def test_close_is_disabled_on_a_new_ticket(tmp_path: Path) -> None:
    async def unanswered_new(app: AgentDeskApp) -> str:
        rows = await app.store.customer_tickets("cu-cy")
        return rows[0].id

    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, unanswered_new)
        assert screen.ticket is not None and screen.ticket.status is TicketStatus.NEW
        assert screen.check_action("close", ()) is None
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen
        # Help lists the ticket keys by id, the close key shown as not applying here.
        entries = {entry.binding_id: entry for entry in help_entries(screen)}
        assert entries["ticket.reply"].enabled and not entries["ticket.close"].enabled
        assert entries["ticket.reply"].keys == ("r",)


# -- customer messages and CSAT ---------------------------------------------------------------
async def awaiting(app: AgentDeskApp) -> str:
    ticket_id = await answered(app)
    await app.store.request_confirmation(
        ticket_id, "Refunded", "Please confirm.", actor_id=app.agent.id, now=app.now()
    )
    return ticket_id


async def closed(app: AgentDeskApp) -> str:
    ticket_id = await answered(app)
    await app.store.close_confirmed(
        ticket_id, "Refunded", "said so", actor_id=app.agent.id, now=app.now()
    )
    return ticket_id


async def test_customer_says_not_solved_reopens_an_awaiting_ticket(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, awaiting)
        assert screen.composer.check_action("send_wait", ()) is None  # awaiting: no "pending"
        await pilot.press("m")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerMessageDialog)
        dialog.query_one("#customer-message-body", TextArea).load_text("Still no money")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await stored(app, screen)).status is TicketStatus.OPEN
        assert screen.ticket is not None and screen.ticket.status is TicketStatus.OPEN
        assert screen.composer.check_action("send_wait", ()) is True


async def test_customer_confirmation_closes_an_awaiting_ticket(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, awaiting)
        await pilot.press("m")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerMessageDialog)
        dialog.query_one("#customer-message-body", TextArea).load_text("Works now")
        dialog.query_one("#customer-message-confirms", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await stored(app, screen)).status is TicketStatus.CLOSED


async def test_customer_message_on_a_closed_ticket_opens_the_follow_up(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, closed)
        old_id = screen.ticket_id
        assert screen.check_action("customer_message", ()) is True
        await pilot.press("m")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CustomerMessageDialog)
        assert dialog.query_one("#customer-message-confirms", Checkbox).disabled
        dialog.query_one("#customer-message-body", TextArea).load_text("It broke again")
        await pilot.press("ctrl+s")
        follow_screen = await ticket_screen(pilot)

        assert follow_screen.ticket_id != old_id
        follow = await app.store.ticket(follow_screen.ticket_id)
        assert follow.follow_up_of == old_id and follow.subject == "Re: Refund for broken kettle"
        assert (await app.store.ticket(old_id)).status is TicketStatus.CLOSED
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)  # replaced, not stacked


async def test_csat_can_be_recorded_after_closing(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot, closed)
        await pilot.press("f")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CsatDialog)
        dialog.query_one("#csat-4", RadioButton).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (await stored(app, screen)).csat == 4


# -- what the screen shows --------------------------------------------------------------------
async def test_sla_timers_follow_the_clock(tmp_path: Path) -> None:
    clock = Clock()
    app = ticket_app(tmp_path, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        first = screen.query_one("#sla-first")
        assert "10m left" in str(first.render()) and first.has_class("-ok")
        clock.value = NOW + timedelta(minutes=15)
        screen._tick()
        assert "overdue 5m" in str(first.render()) and first.has_class("-breached")


async def test_previous_tickets_of_the_customer_open_on_enter(tmp_path: Path) -> None:
    app = ticket_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_ticket(pilot)
        history = screen.query_one("#customer-tickets")
        history.focus()
        await pilot.press("enter")
        other = await ticket_screen(pilot)
        assert other is not screen
        assert other.ticket is not None and other.ticket.subject == "Change delivery address"
        assert isinstance(screen.composer, Composer)
