"""Operations the server rejected: what they were, on which ticket, and why.

A rejection is final (SYNC.md §4.9), so it is shown here until the agent has read it and
dismisses it; the operation and its rejection stay in the log either way.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from agentdesk.domain.outbox import SyncConflict
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, desk, report_error
from agentdesk.store.errors import NotFound

COLUMNS = ("Rejected", "Operation", "Ticket", "Reason")


def operation_label(conflict: SyncConflict) -> str:
    """'reply', 'close', 'request confirmation': the action in the agent's words."""
    return conflict.op.kind.removeprefix("ticket.").replace("_", " ")


def reason_label(reason: str) -> str:
    return reason.replace("_", " ")


class ConflictsScreen(Screen[None]):
    HELP_TITLE = "Sync conflicts"
    AUTO_FOCUS = "#conflicts-table"

    DEFAULT_CSS = """
    ConflictsScreen {
        #conflicts-title { height: 1; padding: 0 1; background: $panel; }
        #conflicts-table { height: 1fr; }
    }
    """

    BINDINGS = [
        bind(
            "conflicts.dismiss",
            "d",
            "dismiss_conflict",
            "Dismiss",
            "Put the highlighted conflict away (it stays in the log and the audit)",
        ),
        bind("conflicts.back", "escape", "back", "Back", "Back to where you were"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.conflicts: list[SyncConflict] = []

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#conflicts-table", DataTable)

    def compose(self) -> ComposeResult:
        yield Static("Loading conflicts…", id="conflicts-title")
        table: DataTable[str] = DataTable(id="conflicts-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.load_conflicts()

    @work(group="conflicts", exclusive=True)
    async def load_conflicts(self) -> None:
        store = desk(self).store
        try:
            conflicts = await store.conflicts()
            tickets: dict[str, str] = {}
            for ticket_id in {c.op.payload.get("ticket_id") for c in conflicts}:
                if isinstance(ticket_id, str):
                    tickets[ticket_id] = await self._ticket_label(ticket_id)
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="list the sync conflicts")
            return
        self.conflicts = conflicts
        table = self.table
        row = table.cursor_row
        table.clear()
        for conflict in conflicts:
            ticket_id = conflict.op.payload.get("ticket_id")
            table.add_row(
                conflict.at.strftime("%Y-%m-%d %H:%M"),
                operation_label(conflict),
                tickets.get(ticket_id, "") if isinstance(ticket_id, str) else "",
                reason_label(conflict.reason),
                key=conflict.op.op_id,
            )
        if conflicts:
            table.move_cursor(row=min(row, len(conflicts) - 1))
        count = len(conflicts)
        self.query_one("#conflicts-title", Static).update(
            f"{count} operation{'s' if count != 1 else ''} the server rejected"
            if count
            else "No conflicts: the server applied everything it has answered."
        )
        self.refresh_bindings()

    async def _ticket_label(self, ticket_id: str) -> str:
        try:
            ticket = await desk(self).store.ticket(ticket_id)
        except NotFound:
            return ticket_id
        return f"#{ticket.number} {ticket.subject}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "dismiss_conflict":
            return bool(self.conflicts)  # shown but disabled when there is nothing to dismiss
        return True

    def action_dismiss_conflict(self) -> None:
        if not self.conflicts:
            return
        conflict = self.conflicts[min(self.table.cursor_row, len(self.conflicts) - 1)]
        self.dismiss_one(conflict)

    @work(group="conflicts-dismiss", exclusive=True)
    async def dismiss_one(self, conflict: SyncConflict) -> None:
        app = desk(self)
        try:
            await app.store.dismiss_conflict(conflict.op.op_id, now=app.now())
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="dismiss the conflict")
            return
        self.notify(f"Dismissed: {operation_label(conflict)} ({reason_label(conflict.reason)})")
        self.load_conflicts()
        refresh = getattr(self.app, "refresh_sync_status", None)
        if callable(refresh):
            refresh()

    def action_back(self) -> None:
        self.app.pop_screen()
