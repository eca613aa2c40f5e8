"""Choose a standard script by fuzzy search over its name and intent."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain.model import Script
from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, desk, report_error

MATCH_STYLE = "bold underline"


def rank_scripts(scripts: Sequence[Script], query: str, intent: str) -> list[Script]:
    """Best fuzzy matches first; with no query, the scripts for the ticket's intent lead."""
    if not query.strip():
        return sorted(scripts, key=lambda s: (s.intent != intent or not intent, s.name.lower()))
    matcher = Matcher(query)
    scored = [(matcher.match(f"{s.name} {s.intent}"), s) for s in scripts]
    ranked = sorted(
        ((score, s) for score, s in scored if score > 0),
        key=lambda pair: (-pair[0], pair[1].intent != intent, pair[1].name.lower()),
    )
    return [s for _, s in ranked]


def _highlighted(text: str, query: str) -> Content:
    """`text` with the fuzzy-matched letters marked; never parsed as markup."""
    content = Content(text)
    if not query.strip():
        return content
    score, offsets = Matcher(query).fuzzy_search.match(query, text)
    if not score:
        return content
    for offset in offsets:
        content = content.stylize(MATCH_STYLE, offset, offset + 1)
    return content


class ScriptPicker(ModalScreen[Script | None]):
    """Dismisses with the chosen Script, or None."""

    HELP_TITLE = "Scripts"

    DEFAULT_CSS = """
    ScriptPicker {
        align: center middle;
    }
    ScriptPicker > #picker {
        width: 100;
        max-width: 95%;
        height: 28;
        max-height: 95%;
        border: thick $primary;
        border-title-color: $primary;
        border-title-style: bold;
        background: $surface;
    }
    ScriptPicker #script-query {
        margin: 0 0 1 0;
    }
    ScriptPicker #script-results {
        width: 40;
        height: 1fr;
        border: none;
    }
    ScriptPicker #script-detail {
        width: 1fr;
        height: 1fr;
        padding: 0 1;
        border-left: solid $panel-lighten-2;
    }
    ScriptPicker #script-steps {
        margin-bottom: 1;
    }
    ScriptPicker #script-body {
        color: $text-muted;
    }
    """

    BINDINGS = [
        bind("scripts.next", "down", "cursor(1)", "Next", "Highlight the next script", show=False),
        bind(
            "scripts.previous",
            "up",
            "cursor(-1)",
            "Previous",
            "Highlight the previous script",
            show=False,
        ),
        bind(
            "scripts.choose",
            "enter",
            "choose",
            "Use script",
            "Put the highlighted script into the reply, filled in for this ticket",
        ),
        bind("scripts.cancel", "escape", "cancel", "Cancel", "Close without using a script"),
    ]

    def __init__(self, *, intent: str = "") -> None:
        super().__init__()
        self.intent = intent
        self._scripts: list[Script] = []
        self._shown: list[Script] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="picker") as picker:
            picker.border_title = "Scripts"
            picker.border_subtitle = "↑↓ choose · enter use · esc cancel"
            yield Input(placeholder="Search scripts by name or intent", id="script-query")
            with Horizontal():
                yield OptionList(id="script-results")
                with VerticalScroll(id="script-detail"):
                    yield Static(id="script-heading")
                    yield Static(id="script-steps")
                    yield Static(id="script-body", markup=False)

    def on_mount(self) -> None:
        self.query_one("#script-query", Input).focus()
        self._load()

    @work(exclusive=True, group="scripts-load")
    async def _load(self) -> None:
        try:
            self._scripts = await desk(self).store.scripts()
        except EXPECTED_ERRORS as error:
            report_error(self, error, doing="load the scripts")
            return
        self._filter(self.query_one("#script-query", Input).value)

    @on(Input.Changed, "#script-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, query: str) -> None:
        self._shown = rank_scripts(self._scripts, query, self.intent)
        results = self.query_one("#script-results", OptionList)
        results.set_options(
            Option(
                Content.assemble(
                    _highlighted(script.name, query),
                    "\n",
                    Content.styled(script.intent or "any intent", "italic $text-muted"),
                ),
                id=script.id,
            )
            for script in self._shown
        )
        if self._shown:
            results.highlighted = 0
        else:
            self._show_detail(None)

    @on(Input.Submitted, "#script-query")
    def _query_submitted(self) -> None:
        self.action_choose()

    @on(OptionList.OptionHighlighted, "#script-results")
    def _highlighted_changed(self, event: OptionList.OptionHighlighted) -> None:
        self._show_detail(self._script(event.option.id))

    @on(OptionList.OptionSelected, "#script-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self._script(event.option.id))

    def _script(self, script_id: str | None) -> Script | None:
        return next((s for s in self._shown if s.id == script_id), None)

    @property
    def highlighted_script(self) -> Script | None:
        option = self.query_one("#script-results", OptionList).highlighted_option
        return self._script(option.id) if option else None

    def _show_detail(self, script: Script | None) -> None:
        heading = self.query_one("#script-heading", Static)
        steps = self.query_one("#script-steps", Static)
        body = self.query_one("#script-body", Static)
        if script is None:
            heading.update(Content.styled("No script matches.", "italic"))
            steps.update("")
            body.update("")
            return
        heading.update(
            Content.assemble(
                Content.styled(script.name, "bold"),
                "  ",
                Content.styled(script.intent or "any intent", "italic $text-muted"),
            )
        )
        lines = [Content.styled("Resolution steps", "bold")]
        lines += [Content(f"{n}. {step}") for n, step in enumerate(script.steps, start=1)]
        if not script.steps:
            lines.append(Content.styled("none listed", "italic"))
        steps.update(Content("\n").join(lines))
        body.update(script.body)

    def action_cursor(self, step: int) -> None:
        results = self.query_one("#script-results", OptionList)
        if step > 0:
            results.action_cursor_down()
        else:
            results.action_cursor_up()

    def action_choose(self) -> None:
        script = self.highlighted_script
        if script is None:
            self.notify("No script matches; change the search.", severity="warning")
            return
        self.dismiss(script)

    def action_cancel(self) -> None:
        self.dismiss(None)
