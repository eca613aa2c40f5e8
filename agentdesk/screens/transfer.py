"""Transfer a ticket to another department's queue, with a note saying why."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from agentdesk.domain.model import Department, Ticket
from agentdesk.screens.desk import EXPECTED_ERRORS, report_error
from agentdesk.screens.dialog import DeskDialog, Invalid, field_label


class TransferDialog(DeskDialog[Ticket]):
    """Dismisses with the transferred ticket (unassigned, in the new department)."""

    TITLE_TEXT = "Transfer ticket"
    HELP_TITLE = "Transfer ticket"
    SUBMIT_LABEL = "Transfer"
    DOING = "transfer the ticket"

    def __init__(self, ticket: Ticket) -> None:
        super().__init__()
        self.ticket = ticket

    def compose_fields(self) -> ComposeResult:
        yield field_label(f"Move #{self.ticket.number} to department")
        yield Select[str]([], prompt="Choose a department", id="transfer-department")
        yield field_label("Note for the next agent (required)")
        yield Input(placeholder="Why it moves and what was done so far", id="transfer-note")
        yield Static(
            "The ticket leaves your queue: unassigned, in the new department's queue, "
            "with its SLA clock unchanged.",
            classes="field-label",
        )

    def on_mount(self) -> None:
        self.query_one("#transfer-department", Select).focus()
        self._load_departments()

    @work(exclusive=True, group="transfer-departments")
    async def _load_departments(self) -> None:
        try:
            departments = await self.desk.store.departments()
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="load the departments")
            return
        self.set_departments(departments)

    def set_departments(self, departments: list[Department]) -> None:
        choices = [(d.name, d.id) for d in departments if d.id != self.ticket.department_id]
        self.query_one("#transfer-department", Select).set_options(choices)

    def validate_fields(self) -> None:
        department = self.query_one("#transfer-department", Select)
        if not isinstance(department.value, str):
            raise Invalid("Choose the department to transfer to.", department)
        note = self.query_one("#transfer-note", Input)
        if not note.value.strip():
            raise Invalid("Write a note for the next agent.", note)

    def on_input_submitted(self) -> None:
        self.action_submit()

    async def submit(self) -> Ticket:
        department = self.query_one("#transfer-department", Select).value
        assert isinstance(department, str)  # checked by validate_fields
        return await self.desk.store.transfer(
            self.ticket.id,
            department,
            self.query_one("#transfer-note", Input).value,
            actor_id=self.desk.agent.id,
            now=self.desk.now(),
        )
