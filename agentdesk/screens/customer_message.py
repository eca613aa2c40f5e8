"""Log a message the customer sent by another way (phone, pasted email) on the ticket."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Checkbox, Static, TextArea

from agentdesk.domain.model import Ticket, TicketStatus
from agentdesk.screens.dialog import DeskDialog, Invalid, field_label


class CustomerMessageDialog(DeskDialog[Ticket]):
    """Dismisses with the ticket the message landed on: a new follow-up if this one was closed."""

    TITLE_TEXT = "Log a customer message"
    HELP_TITLE = "Log a customer message"
    SUBMIT_LABEL = "Add message"
    DOING = "add the customer's message"

    DEFAULT_CSS = """
    CustomerMessageDialog #customer-message-body {
        height: 7;
    }
    CustomerMessageDialog #customer-message-hint {
        color: $text-muted;
        margin-top: 1;
    }
    """

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket

    def compose_fields(self) -> ComposeResult:
        yield field_label(f"What the customer said about #{self.ticket.number} (required)")
        yield TextArea(id="customer-message-body", soft_wrap=True)
        awaiting = self.ticket.status is TicketStatus.AWAITING_CONFIRMATION
        yield Checkbox(
            "Customer confirms it is solved",
            id="customer-message-confirms",
            disabled=not awaiting,
            tooltip="Closes the ticket that is awaiting the customer's confirmation",
        )
        yield Static(_hint(self.ticket.status), id="customer-message-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#customer-message-body", TextArea).focus()

    def validate_fields(self) -> None:
        body = self.query_one("#customer-message-body", TextArea)
        if not body.text.strip():
            raise Invalid("Write what the customer said.", body)

    async def submit(self) -> Ticket:
        return await self.desk.store.customer_reply(
            self.ticket.id,
            self.query_one("#customer-message-body", TextArea).text,
            now=self.desk.now(),
            confirms_resolution=self.query_one("#customer-message-confirms", Checkbox).value,
        )


def _hint(status: TicketStatus) -> str:
    if status is TicketStatus.CLOSED:
        return "This ticket is closed: the message opens a new follow-up ticket linked to it."
    if status is TicketStatus.AWAITING_CONFIRMATION:
        return "Unless the customer confirms, the message reopens the ticket."
    if status is TicketStatus.PENDING:
        return "The message reopens the pending ticket."
    return "The message is added to the conversation."
