"""One line saying who is working, how the queue stands, sync, the store, and the time."""

from __future__ import annotations

from textual.app import RenderResult
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from agentdesk.domain.outbox import SyncView, sync_parts


class StatusBar(Widget):
    """Data in through reactives; it renders them and posts nothing.

    Most useful first, so a narrow terminal cuts the long store path, never the counts; the
    clock keeps the right edge. `sync_view` is None when no server is configured.
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
    sync_view: reactive[SyncView | None] = reactive(None)
    store: reactive[str] = reactive("")  # e.g. "sqlite ~/.local/share/agentdesk/agentdesk.db"
    clock: reactive[str] = reactive("")  # e.g. "09:00 UTC"

    @property
    def sync_text(self) -> str:
        return " · ".join(sync_parts(self.sync_view))

    def _sync_content(self) -> Content:
        view = self.sync_view
        parts = [Content(part) for part in sync_parts(view)]
        if view is not None:
            # What needs the agent's eye stands out: no link, and rejected work.
            if not view.online:
                parts[0] = parts[0].stylize("$text-warning")
            if view.status.conflicts:
                parts[2] = parts[2].stylize("bold $text-error")
        return Content(" · ").join(parts)

    def render(self) -> RenderResult:
        parts: list[Content] = [Content.styled("agentdesk", "bold $accent")]
        parts.extend(Content(label) for label in (self.agent, self.counts) if label)
        parts.append(self._sync_content())
        if self.store:
            parts.append(Content(self.store))
        left = Content.styled("  │  ", "$foreground 40%").join(parts)
        right = Content(self.clock)
        width = self.content_region.width
        room = width - right.cell_length - 2 if self.clock else width
        if left.cell_length > room:
            left = left.truncate(max(0, room), ellipsis=True)
        gap = max(0, width - left.cell_length - right.cell_length)
        return Content.assemble(left, " " * gap, right)
