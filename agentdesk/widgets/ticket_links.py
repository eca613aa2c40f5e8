"""The articles and scripts a ticket was solved with (its `links`)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static

from agentdesk.domain.model import LinkKind, TicketLink

_KIND = {LinkKind.ARTICLE: "article", LinkKind.SCRIPT: "script"}


class TicketLinks(Static):
    DEFAULT_CSS = """
    TicketLinks {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.border_title = "Linked articles & scripts"
        self.show(())

    def show(self, links: Sequence[TicketLink]) -> None:
        if not links:
            self.update(Content.styled("none yet", "italic $text-muted"))
            return
        lines = [
            Content.assemble((f"{_KIND[link.kind]:<8}", "$text-muted"), link.title or link.ref_id)
            for link in links
        ]
        self.update(Content("\n").join(lines))
