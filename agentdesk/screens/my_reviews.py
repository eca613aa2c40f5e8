"""Reviews of the agent's own work: which ticket, the score, who reviewed it and why.

`MyReviewsScreen()` lists the signed-in agent's reviews; a lead may pass another agent
(`MyReviewsScreen(agent)`, e.g. from the lead view) to read theirs.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from agentdesk.domain.model import Agent
from agentdesk.domain.reviews import ReviewRow, is_lead
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, desk, report_error

COLUMNS = ("Reviewed", "Ticket", "Subject", "Score", "Reviewer")
SUBJECT_WIDTH = 40


class MyReviewsScreen(Screen[None]):
    HELP_TITLE = "My reviews"
    AUTO_FOCUS = "#reviews-table"

    DEFAULT_CSS = """
    MyReviewsScreen {
        #reviews-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
        #reviews-table { height: 1fr; }
        #reviews-comment {
            height: auto;
            max-height: 8;
            padding: 0 1;
            border-top: solid $primary;
        }
    }
    """

    BINDINGS = [
        bind("reviews.open", "enter", "open", "Open ticket", "Open the reviewed ticket"),
        bind("reviews.refresh", "ctrl+r", "refresh", "Refresh", "Read the reviews again"),
        bind("reviews.back", "escape", "back", "Back", "Back to where you were"),
    ]

    def __init__(self, agent: Agent | None = None) -> None:
        super().__init__()
        self.agent = agent  # None: the signed-in agent
        self.rows: list[ReviewRow] = []
        self.reviewer_names: dict[str, str] = {}

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#reviews-table", DataTable)

    def compose(self) -> ComposeResult:
        yield Static("Loading your reviews…", id="reviews-title", markup=False)
        table: DataTable[str] = DataTable(id="reviews-table", cursor_type="row")
        table.add_columns(*COLUMNS)
        yield table
        yield Static("", id="reviews-comment", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load_reviews()

    @work(group="reviews-load", exclusive=True)
    async def load_reviews(self) -> None:
        app = desk(self)
        agent = self.agent or app.agent
        if agent.id != app.agent.id and not is_lead(app.agent):
            self.notify(
                "Only leads and admins read other agents' reviews.",
                title="Leads only",
                severity="warning",
            )
            self.app.pop_screen()
            return
        whose = "My reviews" if agent.id == app.agent.id else f"Reviews of {agent.name}"
        try:
            rows = await app.store.agent_reviews(agent.id)
            names = {agent.id: agent.name for agent in await app.store.agents()}
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="list your reviews")
            return
        self.rows, self.reviewer_names = rows, names
        table = self.table
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            review = row.review
            table.add_row(
                f"{review.updated_at:%Y-%m-%d %H:%M}",
                f"#{row.ticket_number}",
                _clip(row.ticket_subject, SUBJECT_WIDTH),
                review.score_label,
                names.get(review.reviewer_id, review.reviewer_id),
                key=review.id,
            )
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        count = len(rows)
        title = (
            f"{whose}: {count} · average {sum(r.review.score for r in rows) / count:.1f} of 5"
            if count
            else f"{whose}: none yet. A lead's review of a closed ticket shows here."
        )
        self.query_one("#reviews-title", Static).update(title)
        self._show_comment()
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_comment()

    def _current(self) -> ReviewRow | None:
        if not self.rows:
            return None
        return self.rows[min(self.table.cursor_row, len(self.rows) - 1)]

    def _show_comment(self) -> None:
        row = self._current()
        comment = self.query_one("#reviews-comment", Static)
        if row is None:
            comment.update("")
            return
        reviewer = self.reviewer_names.get(row.review.reviewer_id, row.review.reviewer_id)
        comment.update(f"{reviewer} on #{row.ticket_number}: {row.review.comment}")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open":
            return bool(self.rows) or None
        return True

    def action_open(self) -> None:
        row = self._current()
        if row is None:
            return
        open_ticket = getattr(self.app, "open_ticket", None)
        if callable(open_ticket):
            open_ticket(row.review.ticket_id)

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open()

    def action_refresh(self) -> None:
        self.load_reviews()

    def action_back(self) -> None:
        self.app.pop_screen()


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
