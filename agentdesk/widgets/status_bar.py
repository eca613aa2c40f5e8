"""One line saying who is working, against which store, and how the queue stands."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class StatusBar(Widget):
    """Data in through reactives; it renders them left to right and posts nothing."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    agent: reactive[str] = reactive("")  # e.g. "junior (agent)"
    store: reactive[str] = reactive("")  # e.g. "sqlite ~/.local/share/agentdesk/agentdesk.db"
    sync: reactive[str] = reactive("local only")
    counts: reactive[str] = reactive("")  # e.g. "6 tickets"
    clock: reactive[str] = reactive("")  # e.g. "09:00 UTC"

    def render(self) -> RenderResult:
        parts: list[Content] = [Content.styled("agentdesk", "bold $accent")]
        for label in (self.agent, self.store, self.sync, self.counts, self.clock):
            if label:
                parts.append(Content.styled(label, "$foreground"))
        separator = Content.styled("  │  ", "$foreground 40%")
        return separator.join(parts)
