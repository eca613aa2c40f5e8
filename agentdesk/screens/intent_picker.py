"""Choose a ticket's intent by fuzzy search over the intents agentdesk knows."""

from __future__ import annotations

from collections.abc import Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain.routing import RoutingPolicy
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, desk, report_error


def known_intents(policy: RoutingPolicy, script_intents: Iterable[str]) -> list[str]:
    """Every intent with a route or a script, sorted."""
    return sorted({*policy.routes, *(intent for intent in script_intents if intent)})


def rank_intents(intents: Iterable[str], query: str, current: str) -> list[str]:
    """Best fuzzy matches first; the ticket's current intent never, as it would change nothing."""
    others = [intent for intent in intents if intent != current]
    if not query.strip():
        return others
    matcher = Matcher(query)
    scored = [(matcher.match(intent), intent) for intent in others]
    return [intent for score, intent in sorted(scored, key=lambda p: (-p[0], p[1])) if score > 0]


def where_it_goes(policy: RoutingPolicy, intent: str) -> str:
    route = policy.route_for(intent)
    if route is None:
        return "no route: the department stays"
    skill = f", needs {route.skill}" if route.skill else ""
    return f"{route.department}{skill} · {route.priority.value}"


class IntentPicker(ModalScreen[str | None]):
    """Dismisses with the chosen intent, or None."""

    HELP_TITLE = "Intent"

    DEFAULT_CSS = """
    IntentPicker {
        align: center middle;
    }
    IntentPicker > #intent-picker {
        width: 70;
        max-width: 95%;
        height: 24;
        max-height: 95%;
        border: thick $primary;
        border-title-color: $primary;
        border-title-style: bold;
        background: $surface;
    }
    IntentPicker #intent-current {
        color: $text-muted;
        padding: 0 1;
    }
    IntentPicker #intent-results {
        height: 1fr;
        border: none;
    }
    """

    BINDINGS = [
        bind("intents.next", "down", "cursor(1)", "Next", "Highlight the next intent", show=False),
        bind(
            "intents.previous",
            "up",
            "cursor(-1)",
            "Previous",
            "Highlight the previous intent",
            show=False,
        ),
        bind(
            "intents.choose",
            "enter",
            "choose",
            "Set intent",
            "Reclassify the ticket; its route and the transfer rules apply",
        ),
        bind("intents.cancel", "escape", "cancel", "Cancel", "Close without changing the intent"),
    ]

    def __init__(self, *, current: str = "") -> None:
        super().__init__()
        self.current = current
        self._intents: list[str] = []
        self._shown: list[str] = []

    @property
    def policy(self) -> RoutingPolicy:
        return desk(self).store.routing_policy

    def compose(self) -> ComposeResult:
        with Vertical(id="intent-picker") as picker:
            picker.border_title = "Intent"
            picker.border_subtitle = "↑↓ choose · enter set · esc cancel"
            yield Static(f"Now: {self.current or 'none'}", id="intent-current", markup=False)
            yield Input(placeholder="Search intents", id="intent-query")
            yield OptionList(id="intent-results")

    def on_mount(self) -> None:
        self.query_one("#intent-query", Input).focus()
        self._load()

    @work(exclusive=True, group="intents-load")
    async def _load(self) -> None:
        try:
            scripts = await desk(self).store.scripts()
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="load the intents")
            return
        self._intents = known_intents(self.policy, (script.intent for script in scripts))
        self._filter(self.query_one("#intent-query", Input).value)

    @on(Input.Changed, "#intent-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, query: str) -> None:
        self._shown = rank_intents(self._intents, query, self.current)
        matcher = Matcher(query) if query.strip() else None
        policy = self.policy
        results = self.query_one("#intent-results", OptionList)
        results.set_options(
            Option(
                Content.assemble(
                    matcher.highlight(intent) if matcher else Content(intent),
                    "  ",
                    Content.styled(where_it_goes(policy, intent), "italic $text-muted"),
                ),
                id=intent,
            )
            for intent in self._shown
        )
        if self._shown:
            results.highlighted = 0

    @on(Input.Submitted, "#intent-query")
    def _query_submitted(self) -> None:
        self.action_choose()

    @on(OptionList.OptionSelected, "#intent-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @property
    def highlighted_intent(self) -> str | None:
        option = self.query_one("#intent-results", OptionList).highlighted_option
        return option.id if option else None

    def action_cursor(self, step: int) -> None:
        results = self.query_one("#intent-results", OptionList)
        if step > 0:
            results.action_cursor_down()
        else:
            results.action_cursor_up()

    def action_choose(self) -> None:
        intent = self.highlighted_intent
        if intent is None:
            self.notify("No intent matches; change the search.", severity="warning")
            return
        self.dismiss(intent)

    def action_cancel(self) -> None:
        self.dismiss(None)
