"""One line saying who is working, how the queue stands, against which store, and the time."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class StatusBar(Widget):
    """Data in through reactives; it renders them and posts nothing.

    Most useful first, so a narrow terminal cuts the long store path, never the counts; the
    clock keeps the right edge.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    agent: reactive[str] = reactive("")  # e.g. "junior (agent)"
    counts: reactive[str] = reactive("")  # e.g. "6 tickets (team)"
    sync: reactive[str] = reactive("local only")
    store: reactive[str] = reactive("")  # e.g. "sqlite ~/.local/share/agentdesk/agentdesk.db"
    clock: reactive[str] = reactive("")  # e.g. "09:00 UTC"

    def render(self) -> RenderResult:
        parts: list[Content] = [Content.styled("agentdesk", "bold $accent")]
        parts.extend(
            Content(label) for label in (self.agent, self.counts, self.sync, self.store) if label
        )
        left = Content.styled("  │  ", "$foreground 40%").join(parts)
        right = Content(self.clock)
        width = self.content_region.width
        room = width - right.cell_length - 2 if self.clock else width
        if left.cell_length > room:
            left = left.truncate(max(0, room), ellipsis=True)
        gap = max(0, width - left.cell_length - right.cell_length)
        return Content.assemble(left, " " * gap, right)
