"""Who the customer is and what else they asked us: the side panel of the ticket screen."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain.model import Customer, CustomerTier, TicketRow


class CustomerPanel(Vertical):
    """Name, VIP badge, contact details and previous tickets; choosing one posts `TicketChosen`."""

    DEFAULT_CSS = """
    CustomerPanel {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    CustomerPanel #customer-heading {
        height: 1;
    }
    CustomerPanel #customer-name {
        text-style: bold;
        width: auto;
    }
    CustomerPanel #customer-vip {
        display: none;
        margin-left: 1;
        padding: 0 1;
        background: $vip;
        color: $background;
        text-style: bold;
        width: auto;
    }
    CustomerPanel.-vip #customer-vip {
        display: block;
    }
    CustomerPanel #customer-details {
        color: $text-muted;
    }
    CustomerPanel #customer-history-title {
        margin-top: 1;
        color: $text-muted;
    }
    CustomerPanel #customer-tickets {
        height: auto;
        max-height: 6;
        border: none;
        padding: 0;
    }
    """

    class TicketChosen(Message):
        """The agent chose one of the customer's other tickets."""

        def __init__(self, ticket_id: str) -> None:
            super().__init__()
            self.ticket_id = ticket_id

    def compose(self) -> ComposeResult:
        with Horizontal(id="customer-heading"):
            yield Label(id="customer-name", markup=False)
            yield Label("VIP", id="customer-vip")
        yield Static(id="customer-details", markup=False)
        yield Label("Previous tickets", id="customer-history-title")
        yield OptionList(id="customer-tickets")

    def on_mount(self) -> None:
        self.border_title = "Customer"

    def show(
        self, customer: Customer | None, tickets: Sequence[TicketRow], *, current_id: str
    ) -> None:
        name = self.query_one("#customer-name", Label)
        details = self.query_one("#customer-details", Static)
        if customer is None:
            name.update("unknown customer")
            details.update("")
            self.set_class(False, "-vip")
        else:
            name.update(customer.name)
            self.set_class(customer.tier is CustomerTier.VIP, "-vip")
            lines = [customer.email, customer.phone, f"language: {customer.language}"]
            details.update("\n".join(line for line in lines if line))
        others = [row for row in tickets if row.id != current_id]
        history = self.query_one("#customer-tickets", OptionList)
        highlighted = history.highlighted
        history.set_options(_ticket_option(row) for row in others)
        if others:
            history.highlighted = min(highlighted or 0, len(others) - 1)
        else:
            history.set_options([Option(Content.styled("none", "italic"), disabled=True)])

    @on(OptionList.OptionSelected, "#customer-tickets")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.TicketChosen(event.option.id))


def _ticket_option(row: TicketRow) -> Option:
    prompt = Content.assemble(
        (f"#{row.number} ", "bold"),
        (f"{row.status.value} ", "italic"),
        Content(row.subject),
    )
    return Option(prompt, id=row.id)
