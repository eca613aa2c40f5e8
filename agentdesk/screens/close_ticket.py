"""The confirmation step of closing a ticket.

A ticket closes only on the customer's word: either the agent records how the customer confirmed
(and optionally their CSAT score), or the agent asks the customer to confirm and the ticket
waits in `awaiting_confirmation`.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, RadioButton, RadioSet, Select, TextArea

from agentdesk.domain.model import Customer, Message, Ticket, TicketLink
from agentdesk.domain.replies import confirmation_request, latest_customer_message, quote_customer
from agentdesk.screens.dialog import DeskDialog, Invalid, field_label

CONFIRMED = "close-confirmed"
ASK = "close-ask"


class CloseDialog(DeskDialog[Ticket]):
    """Dismisses with the closed ticket, or the ticket now awaiting the customer's confirmation."""

    TITLE_TEXT = "Close ticket"
    HELP_TITLE = "Close ticket"
    SUBMIT_LABEL = "Close ticket"
    DOING = "close the ticket"

    DEFAULT_CSS = """
    CloseDialog #close-resolution {
        height: 4;
    }
    CloseDialog #close-mode {
        width: 1fr;
        margin-top: 1;
    }
    CloseDialog #close-confirmed-fields, CloseDialog #close-ask-fields, CloseDialog #close-evidence-row {
        height: auto;
    }
    CloseDialog #close-evidence {
        width: 1fr;
        height: 4;
    }
    CloseDialog #close-quote {
        margin-left: 1;
        min-width: 14;
    }
    CloseDialog #close-csat {
        width: 30;
    }
    CloseDialog #close-request {
        height: 9;
    }
    CloseDialog .-hidden {
        display: none;
    }
    """

    def __init__(
        self,
        ticket: Ticket,
        *,
        customer: Customer | None,
        agent_name: str,
        messages: Sequence[Message],
        links: tuple[TicketLink, ...],
    ) -> None:
        super().__init__()
        self.ticket = ticket
        self.customer = customer
        self.agent_name = agent_name
        self.messages = tuple(messages)
        self.links = links
        self._generated_request = ""

    def compose_fields(self) -> ComposeResult:
        yield field_label(f"Resolution of #{self.ticket.number}: what solved it (required)")
        yield TextArea(self.ticket.resolution, id="close-resolution", soft_wrap=True)
        with RadioSet(id="close-mode"):
            yield RadioButton("Customer confirmed the problem is solved", id=CONFIRMED, value=True)
            yield RadioButton("Ask the customer to confirm", id=ASK)
        with Vertical(id="close-confirmed-fields"):
            yield field_label("How did the customer confirm? Quote them or say how (required)")
            with Horizontal(id="close-evidence-row"):
                yield TextArea(id="close-evidence", soft_wrap=True)
                yield Button("Quote last", id="close-quote", tooltip=self._quote_tooltip())
            yield field_label("Customer satisfaction, if they gave one")
            yield Select[int](
                [(f"{score} of 5", score) for score in range(5, 0, -1)],
                prompt="No CSAT given",
                id="close-csat",
            )
        with Vertical(id="close-ask-fields", classes="-hidden"):
            yield field_label("Message asking the customer to confirm (edit as you like)")
            yield TextArea(id="close-request", soft_wrap=True)

    def on_mount(self) -> None:
        self.query_one("#close-resolution", TextArea).focus()
        self._refresh_request()

    def _quote_tooltip(self) -> str:
        latest = latest_customer_message(self.messages)
        if latest is None:
            return "The customer has not written on this ticket"
        return "Paste: " + quote_customer(latest)

    @property
    def asking(self) -> bool:
        pressed = self.query_one("#close-mode", RadioSet).pressed_button
        return pressed is not None and pressed.id == ASK

    @on(RadioSet.Changed, "#close-mode")
    def _mode_changed(self) -> None:
        asking = self.asking
        self.query_one("#close-confirmed-fields").set_class(asking, "-hidden")
        self.query_one("#close-ask-fields").set_class(not asking, "-hidden")
        self.set_submit_label("Send request" if asking else "Close ticket")
        self._refresh_request()

    @on(TextArea.Changed, "#close-resolution")
    def _resolution_changed(self) -> None:
        self._refresh_request()

    def _refresh_request(self) -> None:
        """Regenerate the request from the resolution until the agent edits it themselves."""
        request = self.query_one("#close-request", TextArea)
        if request.text != self._generated_request:
            return
        self._generated_request = confirmation_request(
            customer_name=self.customer.name if self.customer else "",
            ticket_number=self.ticket.number,
            subject=self.ticket.subject,
            resolution=self.query_one("#close-resolution", TextArea).text,
            agent_name=self.agent_name,
        )
        request.load_text(self._generated_request)

    @on(Button.Pressed, "#close-quote")
    def _quote(self) -> None:
        latest = latest_customer_message(self.messages)
        evidence = self.query_one("#close-evidence", TextArea)
        if latest is None:
            self.notify("The customer has not written on this ticket.", severity="warning")
        else:
            evidence.load_text(quote_customer(latest))
        evidence.focus()

    def validate_fields(self) -> None:
        resolution = self.query_one("#close-resolution", TextArea)
        if not resolution.text.strip():
            raise Invalid("Write the resolution: what solved the problem.", resolution)
        if self.asking:
            request = self.query_one("#close-request", TextArea)
            if not request.text.strip():
                raise Invalid("The confirmation request must not be empty.", request)
        else:
            evidence = self.query_one("#close-evidence", TextArea)
            if not evidence.text.strip():
                raise Invalid(
                    "Say how the customer confirmed, e.g. quote their message "
                    "(or ask them to confirm instead).",
                    evidence,
                )

    async def submit(self) -> Ticket:
        store, agent, now = self.desk.store, self.desk.agent, self.desk.now()
        resolution = self.query_one("#close-resolution", TextArea).text
        if self.asking:
            return await store.request_confirmation(
                self.ticket.id,
                resolution,
                self.query_one("#close-request", TextArea).text,
                actor_id=agent.id,
                now=now,
                links=self.links,
            )
        csat = self.query_one("#close-csat", Select).value
        return await store.close_confirmed(
            self.ticket.id,
            resolution,
            self.query_one("#close-evidence", TextArea).text,
            actor_id=agent.id,
            now=now,
            links=self.links,
            csat=csat if isinstance(csat, int) else None,
        )
