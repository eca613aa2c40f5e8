"""Record the satisfaction score a customer gave after the ticket was closed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import RadioButton, RadioSet

from agentdesk.domain.model import Ticket
from agentdesk.screens.dialog import DeskDialog, Invalid, field_label


class CsatDialog(DeskDialog[Ticket]):
    TITLE_TEXT = "Customer satisfaction"
    HELP_TITLE = "Customer satisfaction"
    SUBMIT_LABEL = "Record"
    DOING = "record the score"

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket

    def compose_fields(self) -> ComposeResult:
        yield field_label(f"Score the customer gave for #{self.ticket.number}")
        with RadioSet(id="csat-score"):
            for score in range(5, 0, -1):
                yield RadioButton(
                    f"{score} of 5", id=f"csat-{score}", value=score == self.ticket.csat
                )

    def on_mount(self) -> None:
        self.query_one("#csat-score", RadioSet).focus()

    def _score(self) -> int | None:
        pressed = self.query_one("#csat-score", RadioSet).pressed_button
        return int(pressed.id.removeprefix("csat-")) if pressed and pressed.id else None

    def validate_fields(self) -> None:
        if self._score() is None:
            raise Invalid("Choose a score from 1 to 5.", self.query_one("#csat-score"))

    async def submit(self) -> Ticket:
        score = self._score()
        assert score is not None  # checked by validate_fields
        return await self.desk.store.record_csat(
            self.ticket.id, score, actor_id=self.desk.agent.id, now=self.desk.now()
        )
