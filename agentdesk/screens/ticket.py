"""Work one ticket: read the conversation, reply, use scripts and articles, transfer or close.

Open with `app.push_screen(TicketScreen(ticket_id))`. Every store call runs in a worker; a
refused write is shown as a notification and the typed text stays where it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Label

from agentdesk.domain.lifecycle import Action, allowed_actions
from agentdesk.domain.model import (
    Customer,
    CustomerTier,
    LinkKind,
    Message,
    Script,
    Ticket,
    TicketLink,
    TicketRow,
    TicketStatus,
)
from agentdesk.domain.replies import merge_links, placeholder_values, sla_timers
from agentdesk.domain.reviews import CaseReview, is_lead
from agentdesk.domain.route_explain import RouteExplanation
from agentdesk.domain.scripts import render
from agentdesk.keymap import bind
from agentdesk.screens.close_ticket import CloseDialog
from agentdesk.screens.csat import CsatDialog
from agentdesk.screens.customer_message import CustomerMessageDialog
from agentdesk.screens.desk import EXPECTED_ERRORS, Desk, desk, report_error
from agentdesk.screens.intent_picker import IntentPicker
from agentdesk.screens.kb import KbInsert, KbScreen
from agentdesk.screens.review import ReviewDialog, ReviewDraft
from agentdesk.screens.script_picker import ScriptPicker
from agentdesk.screens.transfer import TransferDialog
from agentdesk.store.errors import Conflict, NotFound
from agentdesk.widgets.composer import Composer
from agentdesk.widgets.conversation import Conversation
from agentdesk.widgets.customer_panel import CustomerPanel
from agentdesk.widgets.route_panel import RoutePanel
from agentdesk.widgets.sla_timers import SlaTimers
from agentdesk.widgets.ticket_links import TicketLinks

TIMER_TICK_SECONDS = 15.0

# Which lifecycle action each screen action needs; the screen action is disabled otherwise.
_NEEDS: dict[str, Action] = {
    "reply": Action.AGENT_REPLY,
    "note": Action.AGENT_REPLY,
    "script": Action.AGENT_REPLY,
    "kb": Action.AGENT_REPLY,
    "transfer": Action.TRANSFER,
    "close": Action.CONFIRM_CLOSE,
}


@dataclass(frozen=True, slots=True)
class TicketView:
    """Everything the screen shows, read in one worker run."""

    ticket: Ticket
    messages: list[Message]
    customer: Customer | None
    history: list[TicketRow]
    department_names: dict[str, str]
    agent_names: dict[str, str]
    route: RouteExplanation | None = None


class TicketScreen(Screen[None]):
    HELP_TITLE = "Ticket"

    DEFAULT_CSS = """
    TicketScreen #ticket-header {
        height: auto;
        padding: 0 1;
        background: $panel;
    }
    TicketScreen #ticket-title {
        height: 1;
    }
    TicketScreen #ticket-number {
        text-style: bold;
        color: $accent;
        width: auto;
        margin-right: 1;
    }
    TicketScreen #ticket-subject {
        text-style: bold;
        width: 1fr;
    }
    TicketScreen #ticket-facts {
        height: 1;
    }
    TicketScreen #ticket-facts Label {
        width: auto;
        margin-right: 2;
        color: $text-muted;
    }
    TicketScreen #ticket-facts #ticket-status {
        color: $text;
        text-style: bold;
        background: $primary 30%;
        padding: 0 1;
    }
    TicketScreen #ticket-status.-closed {
        background: $success 30%;
    }
    TicketScreen #ticket-status.-awaiting_confirmation, TicketScreen #ticket-status.-pending {
        background: $warning 30%;
    }
    TicketScreen #ticket-facts #ticket-priority.-urgent {
        color: $priority-urgent;
        text-style: bold;
    }
    TicketScreen #ticket-facts #ticket-priority.-high {
        color: $priority-high;
        text-style: bold;
    }
    TicketScreen #ticket-body {
        height: 1fr;
    }
    TicketScreen Conversation {
        width: 1fr;
    }
    TicketScreen #ticket-side {
        width: 40;
        height: 1fr;
    }
    """

    BINDINGS = [
        bind("ticket.reply", "r", "reply", "Reply", "Write a public reply to the customer"),
        bind("ticket.note", "i", "note", "Note", "Write an internal note the customer never sees"),
        bind(
            "ticket.script",
            "s",
            "script",
            "Script",
            "Pick a standard script and fill it in for this ticket",
        ),
        bind(
            "ticket.kb",
            "k",
            "kb",
            "Knowledge base",
            "Search articles; insert a link or an excerpt into the reply",
        ),
        bind(
            "ticket.transfer",
            "t",
            "transfer",
            "Transfer",
            "Move the ticket to another department with a note",
        ),
        bind(
            "ticket.intent",
            "y",
            "intent",
            "Intent",
            "Change the intent: its route and the transfer rules apply, and may move the ticket",
            show=False,  # the footer is full; `?` lists it
        ),
        bind(
            "ticket.close",
            "c",
            "close",
            "Close",
            "Close on the customer's confirmation, or ask them to confirm",
        ),
        bind(
            "ticket.customer_message",
            "m",
            "customer_message",
            "Customer msg",
            "Log a message the customer sent by phone or email",
        ),
        bind(
            "ticket.csat",
            "f",
            "csat",
            "CSAT",
            "Record the satisfaction score the customer gave after closing",
        ),
        bind(
            "ticket.review",
            "v",
            "review",
            "Review",
            "Case review (leads): score the handling of this closed ticket 1-5 with a comment",
            show=False,  # the footer is full; `?` lists it
        ),
        bind(
            "ticket.reload",
            "ctrl+r",
            "reload",
            "Reload",
            "Read the ticket again from the store",
            show=False,
        ),
        bind(
            "ticket.back",
            "escape",
            "back",
            "Back",
            "Back to the queue (asks again if a draft would be lost)",
        ),
    ]

    def __init__(self, ticket_id: str) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.view: TicketView | None = None
        # Links chosen for the reply being written (a script), recorded when it is sent.
        self.pending_links: tuple[TicketLink, ...] = ()
        self._sending = False
        self._leave_armed = False
        # Case-review drafts kept when the lead pressed escape in the review dialog.
        self.review_drafts: dict[str, ReviewDraft] = {}

    @property
    def desk(self) -> Desk:
        return desk(self)

    @property
    def ticket(self) -> Ticket | None:
        return self.view.ticket if self.view else None

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    # -- layout ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="ticket-header"):
            with Horizontal(id="ticket-title"):
                yield Label("#…", id="ticket-number", markup=False)
                yield Label("loading…", id="ticket-subject", markup=False)
            with Horizontal(id="ticket-facts"):
                for name in ("status", "priority", "channel", "intent", "department", "assignee"):
                    yield Label(id=f"ticket-{name}", markup=False)
        with Horizontal(id="ticket-body"):
            yield Conversation(id="conversation")
            with VerticalScroll(id="ticket-side"):
                yield CustomerPanel(id="customer-panel")
                yield SlaTimers(id="sla-timers")
                yield RoutePanel(id="route-panel")
                yield TicketLinks(id="ticket-links")
        yield Composer(id="composer")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Conversation).focus()
        self.set_interval(TIMER_TICK_SECONDS, self._tick)
        self.load_ticket()

    # -- reading -----------------------------------------------------------------------------
    @work(exclusive=True, group="ticket-load")
    async def load_ticket(self) -> None:
        ticket_id = self.ticket_id
        store = self.desk.store
        try:
            ticket = await store.ticket(ticket_id)
            messages = await store.messages(ticket_id)
            try:
                customer: Customer | None = await store.customer(ticket.customer_id)
            except NotFound:
                customer = None
            history = await store.customer_tickets(ticket.customer_id)
            departments = {d.id: d.name for d in await store.departments()}
            agents = {a.id: a.name for a in await store.agents()}
            route = await store.route_explanation(ticket_id)
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="load the ticket")
            return
        if ticket_id != self.ticket_id:
            return
        view = TicketView(ticket, messages, customer, history, departments, agents, route)
        await self._show(view)

    async def _show(self, view: TicketView) -> None:
        self.view = view
        ticket = view.ticket
        self.query_one("#ticket-number", Label).update(f"#{ticket.number}")
        self.query_one("#ticket-subject", Label).update(ticket.subject)
        status = self.query_one("#ticket-status", Label)
        status.update(ticket.status.value.replace("_", " "))
        status.set_classes(f"-{ticket.status.value}")
        priority = self.query_one("#ticket-priority", Label)
        priority.update(ticket.priority.value)
        priority.set_classes(f"-{ticket.priority.value}")
        self.query_one("#ticket-channel", Label).update(f"via {ticket.channel.value}")
        self.query_one("#ticket-intent", Label).update(f"intent {ticket.intent or '—'}")
        department = view.department_names.get(ticket.department_id, ticket.department_id)
        self.query_one("#ticket-department", Label).update(department)
        assignee = (
            view.agent_names.get(ticket.assignee_id, ticket.assignee_id)
            if ticket.assignee_id
            else "unassigned"
        )
        self.query_one("#ticket-assignee", Label).update(f"→ {assignee}")
        customer_name = view.customer.name if view.customer else ""
        await self.query_one(Conversation).show(
            view.messages, customer_name=customer_name, agent_names=view.agent_names
        )
        self.query_one(CustomerPanel).show(view.customer, view.history, current_id=ticket.id)
        self.query_one(RoutePanel).show(view.route)
        self.query_one(TicketLinks).show(ticket.links)
        self.composer.recipient = customer_name or "the customer"
        self.composer.can_wait = Action.ASK_CUSTOMER in allowed_actions(ticket.status)
        self._tick()
        if ticket.status is TicketStatus.CLOSED and self.composer.is_open:
            self.composer.action_leave()
        self.refresh_bindings()

    def _tick(self) -> None:
        view = self.view
        if view is not None:
            tier = view.customer.tier if view.customer else CustomerTier.STANDARD
            timers = sla_timers(view.ticket, self.desk.now(), self.desk.store.policies, tier)
            self.query_one(SlaTimers).show(timers)

    # -- what applies ------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"back", "reload"}:
            return True
        ticket = self.ticket
        if ticket is None:
            return None
        if action in _NEEDS:
            return _NEEDS[action] in allowed_actions(ticket.status) or None
        if action == "csat":
            return ticket.status is TicketStatus.CLOSED or None
        if action == "intent":
            return ticket.status is not TicketStatus.CLOSED or None
        if action == "review":
            # An agent's key press earns the "leads only" notice rather than silence.
            return not is_lead(self.desk.agent) or ticket.status is TicketStatus.CLOSED or None
        return True

    # -- composing ---------------------------------------------------------------------------
    def action_reply(self) -> None:
        self._leave_armed = False
        self.composer.open(internal=False)

    def action_note(self) -> None:
        self._leave_armed = False
        self.composer.open(internal=True)

    @on(Composer.Left)
    def _composer_left(self) -> None:
        self.query_one(Conversation).focus()

    @on(Composer.SendRequested)
    def _send_requested(self, event: Composer.SendRequested) -> None:
        if self._sending:
            return
        self._sending = True
        self.send(event.body, internal=event.internal, wait_on_customer=event.wait_on_customer)

    @work(group="ticket-write")
    async def send(self, body: str, *, internal: bool, wait_on_customer: bool) -> None:
        links = self.pending_links
        try:
            ticket = await self.desk.store.reply(
                self.ticket_id,
                body,
                author_id=self.desk.agent.id,
                now=self.desk.now(),
                internal=internal,
                wait_on_customer=wait_on_customer,
                links=links,
            )
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="send the note" if internal else "send the reply")
            if isinstance(error, Conflict):
                self.load_ticket()
            return
        finally:
            self._sending = False
        if self.composer.draft == body:
            self.composer.discard()
        self._set_pending_links(tuple(link for link in self.pending_links if link not in links))
        what = "Note saved" if internal else "Reply sent"
        suffix = "; waiting for the customer" if ticket.status is TicketStatus.PENDING else ""
        self.notify(f"{what} on #{ticket.number}{suffix}.")
        self.query_one(Conversation).focus()
        self.load_ticket()

    def _set_pending_links(self, links: tuple[TicketLink, ...]) -> None:
        self.pending_links = links
        self.composer.links = links

    # -- scripts -----------------------------------------------------------------------------
    def action_script(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(ScriptPicker(intent=self.ticket.intent), self._script_chosen)

    def _script_chosen(self, script: Script | None) -> None:
        if script is None or self.view is None:
            return
        view = self.view
        values = placeholder_values(
            view.ticket,
            view.customer,
            self.desk.agent,
            department_name=view.department_names.get(view.ticket.department_id, ""),
        )
        rendered = render(script, values)
        self.composer.open(internal=False)
        self.composer.insert(rendered.text)
        link = TicketLink(LinkKind.SCRIPT, script.id, script.name)
        self._set_pending_links(merge_links(self.pending_links, [link]))
        if rendered.unfilled:
            slots = ", ".join("{{" + name + "}}" for name in rendered.unfilled)
            self.notify(f"Fill in {slots}: type to replace the selected one.", severity="warning")

    # -- knowledge base ----------------------------------------------------------------------
    def action_kb(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(KbScreen(intent=self.ticket.intent), self._kb_chosen)

    def _kb_chosen(self, chosen: KbInsert | None) -> None:
        if chosen is None:
            return
        self.composer.open(internal=self.composer.internal and self.composer.is_open)
        self.composer.insert(chosen.text)
        self.link_article(chosen.article_id, chosen.title)

    @work(group="ticket-write")
    async def link_article(self, article_id: str, title: str) -> None:
        """Record the article on the ticket now: it helped, whether or not the reply is sent."""
        try:
            await self.desk.store.link(
                self.ticket_id,
                LinkKind.ARTICLE,
                article_id,
                title,
                actor_id=self.desk.agent.id,
                now=self.desk.now(),
            )
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="link the article")
            return
        self.load_ticket()

    # -- dialogs -----------------------------------------------------------------------------
    def action_transfer(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(TransferDialog(self.ticket), self._transferred)

    def _transferred(self, ticket: Ticket | None) -> None:
        if ticket is None or self.view is None:
            return
        department = self.view.department_names.get(ticket.department_id, ticket.department_id)
        self.notify(f"#{ticket.number} moved to {department}.")
        self.dismiss(None)

    def action_intent(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(IntentPicker(current=self.ticket.intent), self._intent_chosen)

    def _intent_chosen(self, intent: str | None) -> None:
        if intent is not None:
            self.reclassify(intent)

    @work(group="ticket-write")
    async def reclassify(self, intent: str) -> None:
        before = self.ticket
        try:
            ticket = await self.desk.store.reclassify(
                self.ticket_id, intent, actor_id=self.desk.agent.id, now=self.desk.now()
            )
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="change the intent")
            if isinstance(error, Conflict):
                self.load_ticket()
            return
        moved = before is not None and ticket.department_id != before.department_id
        if moved and self.view is not None:
            names = self.view.department_names
            department = names.get(ticket.department_id, ticket.department_id)
            self.notify(f"#{ticket.number} is now {intent} and moved to {department}.")
            self.dismiss(None)
            return
        self.notify(f"#{ticket.number} is now {intent}.")
        self.load_ticket()

    def action_close(self) -> None:
        view = self.view
        if view is None:
            return
        dialog = CloseDialog(
            view.ticket,
            customer=view.customer,
            agent_name=self.desk.agent.name,
            messages=view.messages,
            links=merge_links(view.ticket.links, self.pending_links),
        )
        self.app.push_screen(dialog, self._close_finished)

    def _close_finished(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        self._set_pending_links(())
        if ticket.status is TicketStatus.CLOSED:
            self.notify(f"#{ticket.number} closed.")
        else:
            self.notify(f"Asked the customer to confirm #{ticket.number}.")
        self.load_ticket()

    def action_customer_message(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(CustomerMessageDialog(self.ticket), self._customer_wrote)

    def _customer_wrote(self, ticket: Ticket | None) -> None:
        if ticket is None:
            return
        if ticket.id != self.ticket_id:
            self.notify(f"The ticket was closed: follow-up #{ticket.number} opened.")
            self.app.switch_screen(TicketScreen(ticket.id))
            return
        self.notify(f"Customer message added; #{ticket.number} is {ticket.status.value}.")
        self.load_ticket()

    def action_csat(self) -> None:
        if self.ticket is not None:
            self.app.push_screen(CsatDialog(self.ticket), self._csat_recorded)

    def _csat_recorded(self, ticket: Ticket | None) -> None:
        if ticket is not None:
            self.notify(f"CSAT {ticket.csat} recorded on #{ticket.number}.")
            self.load_ticket()

    def action_review(self) -> None:
        if self.ticket is None:
            return
        if not is_lead(self.desk.agent):
            self.notify(
                "Case reviews are written by leads and admins only. "
                "Your own reviews are under My reviews (v in the queue).",
                title="Leads only",
                severity="warning",
            )
            return
        self.open_review()

    @work(exclusive=True, group="review-open")
    async def open_review(self) -> None:
        view = self.view
        if view is None:
            return
        try:
            reviews = await self.desk.store.ticket_reviews(view.ticket.id)
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="open the review")
            return
        mine = next((r for r in reviews if r.reviewer_id == self.desk.agent.id), None)
        ticket = view.ticket
        resolver = ticket.assignee_id or ""
        dialog = ReviewDialog(
            ticket,
            agent_name=view.agent_names.get(resolver, resolver) or "nobody",
            existing=mine,
            drafts=self.review_drafts,
        )
        self.app.push_screen(dialog, self._reviewed)

    def _reviewed(self, review: CaseReview | None) -> None:
        if review is None or self.view is None:
            return
        agent = self.view.agent_names.get(review.agent_id, review.agent_id)
        self.notify(f"Review saved: {review.score_label} for {agent}.", title="Case review")
        self.load_ticket()

    # -- navigation --------------------------------------------------------------------------
    @on(CustomerPanel.TicketChosen)
    def _other_ticket(self, event: CustomerPanel.TicketChosen) -> None:
        self.app.push_screen(TicketScreen(event.ticket_id))

    def action_reload(self) -> None:
        self.load_ticket()

    def action_back(self) -> None:
        if self.composer.draft.strip() and not self._leave_armed:
            self._leave_armed = True
            self.notify(
                "You have an unsent draft. Press escape again to leave and discard it.",
                severity="warning",
            )
            return
        self.dismiss(None)
