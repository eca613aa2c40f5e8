"""Why routing gave this ticket to its agent: the score and its parts, in the side panel."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from agentdesk.domain.route_explain import RouteExplanation


class RoutePanel(Vertical):
    """Shows a recorded `RouteExplanation`; hidden for tickets routing did not assign."""

    DEFAULT_CSS = """
    RoutePanel {
        height: auto;
        display: none;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    RoutePanel.-shown {
        display: block;
    }
    RoutePanel #route-headline {
        text-style: bold;
    }
    RoutePanel #route-parts {
        color: $text-muted;
    }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="route-headline", markup=False)
        yield Static(id="route-parts", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Why this ticket"

    def show(self, explanation: RouteExplanation | None) -> None:
        self.set_class(explanation is not None, "-shown")
        if explanation is None:
            return
        self.query_one("#route-headline", Label).update(explanation.headline())
        self.query_one("#route-parts", Static).update("\n".join(explanation.part_lines()))
