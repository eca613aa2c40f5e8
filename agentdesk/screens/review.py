"""A lead's case review of a closed ticket: a score from 1 to 5 and a comment.

Opens pre-filled with the lead's earlier review of the ticket (recording again edits it) or
with what they typed before cancelling: escape keeps the draft in `drafts` for next time.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widgets import RadioButton, RadioSet, Static, TextArea

from agentdesk.domain.errors import InvalidInput
from agentdesk.domain.model import Ticket
from agentdesk.domain.reviews import (
    MAX_COMMENT_LENGTH,
    REVIEW_SCORES,
    SCORE_LABELS,
    CaseReview,
    check_comment,
    check_score,
)
from agentdesk.screens.dialog import DeskDialog, Invalid, field_label


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    score: int | None
    comment: str


class ReviewDialog(DeskDialog[CaseReview]):
    TITLE_TEXT = "Case review"
    HELP_TITLE = "Case review"
    SUBMIT_LABEL = "Save review"
    DOING = "save the review"

    DEFAULT_CSS = """
    ReviewDialog #review-about {
        margin-top: 1;
    }
    ReviewDialog #review-comment {
        height: 6;
    }
    """

    def __init__(
        self,
        ticket: Ticket,
        *,
        agent_name: str,
        existing: CaseReview | None = None,
        drafts: MutableMapping[str, ReviewDraft] | None = None,
    ) -> None:
        super().__init__()
        self.ticket = ticket
        self.agent_name = agent_name
        self.existing = existing
        self.drafts: MutableMapping[str, ReviewDraft] = drafts if drafts is not None else {}
        draft = self.drafts.get(ticket.id)
        if draft is not None:
            self._initial = draft
        elif existing is not None:
            self._initial = ReviewDraft(existing.score, existing.comment)
        else:
            self._initial = ReviewDraft(None, "")
        if existing is not None:
            self.SUBMIT_LABEL = "Save changes"

    def compose_fields(self) -> ComposeResult:
        ticket = self.ticket
        closed = f" · closed {ticket.closed_at:%d %b %H:%M}" if ticket.closed_at else ""
        edit = " · editing your review" if self.existing is not None else ""
        yield Static(
            f"#{ticket.number} {ticket.subject}\nHandled by {self.agent_name}{closed}{edit}",
            id="review-about",
            markup=False,
        )
        yield field_label("Score")
        with RadioSet(id="review-score"):
            for score in sorted(REVIEW_SCORES, reverse=True):
                yield RadioButton(
                    f"{score} {SCORE_LABELS[score]}",
                    id=f"review-{score}",
                    value=score == self._initial.score,
                )
        yield field_label(f"Comment for {self.agent_name} (up to {MAX_COMMENT_LENGTH} characters)")
        yield TextArea(self._initial.comment, id="review-comment")

    def on_mount(self) -> None:
        scores = self.query_one("#review-score", RadioSet)
        if scores.pressed_index >= 0:
            # Start the arrow keys from the score already given, not from the top.
            scores._selected = scores.pressed_index
        scores.focus()

    def _score(self) -> int | None:
        pressed = self.query_one("#review-score", RadioSet).pressed_button
        return int(pressed.id.removeprefix("review-")) if pressed and pressed.id else None

    def _comment(self) -> str:
        return self.query_one("#review-comment", TextArea).text

    def validate_fields(self) -> None:
        try:
            check_score(self._score())
        except InvalidInput as problem:
            raise Invalid(_sentence(problem), self.query_one("#review-score")) from None
        try:
            check_comment(self._comment())
        except InvalidInput as problem:
            raise Invalid(_sentence(problem), self.query_one("#review-comment")) from None

    async def submit(self) -> CaseReview:
        score = self._score()
        assert score is not None  # checked by validate_fields
        review = await self.desk.store.record_review(
            self.ticket.id,
            score,
            self._comment(),
            reviewer_id=self.desk.agent.id,
            now=self.desk.now(),
        )
        self.drafts.pop(self.ticket.id, None)
        return review

    def action_cancel(self) -> None:
        draft = ReviewDraft(self._score(), self._comment())
        if draft != self._initial or self.ticket.id in self.drafts:
            self.drafts[self.ticket.id] = draft
        super().action_cancel()


def _sentence(problem: InvalidInput) -> str:
    text = f"{problem.field.capitalize()}: {problem.message}"
    return text if text.endswith(".") else f"{text}."
