"""Keys for where you are: built from the active bindings, so the user's keymap shows."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from textual.app import App, ComposeResult
from textual.binding import ActiveBinding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from agentdesk.keymap import bind

# Section titles by binding-id prefix; unknown prefixes are shown capitalised.
SECTION_TITLES = {
    "queue": "Queue",
    "table": "Ticket list",
    "ticket": "Ticket",
    "reviews": "My reviews",
    "skills": "Skill levels",
    "lead": "Lead view",
    "app": "Everywhere",
}


@dataclass(frozen=True, slots=True)
class HelpEntry:
    section: str
    keys: tuple[str, ...]  # as displayed, e.g. ("?", "f1")
    description: str
    tooltip: str
    binding_id: str
    enabled: bool


def _section(binding_id: str) -> str:
    prefix = binding_id.split(".", 1)[0]
    return SECTION_TITLES.get(prefix, prefix.capitalize())


def _rank(node: DOMNode, screen: Screen[object]) -> int:
    """The screen's own keys first, then the focused widget's, then the app's."""
    if node is screen:
        return 0
    if isinstance(node, App):
        return 2
    return 1


def help_entries(screen: Screen[object]) -> list[HelpEntry]:
    """The keys active on `screen` now, one entry per binding with all its current keys.

    Only bindings with an id are listed: those are agentdesk's own, and the ones a user can
    rebind (Textual's built-in focus and scroll keys are left out).
    """
    app = screen.app
    grouped: dict[tuple[int, str], tuple[int, ActiveBinding, list[str]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if binding.system or not binding.id:
            continue
        identity = (id(active.node), binding.id)
        key_display = app.get_key_display(binding)
        if identity in grouped:
            grouped[identity][2].append(key_display)
        else:
            grouped[identity] = (_rank(active.node, screen), active, [key_display])
    ranked = sorted(grouped.values(), key=lambda item: item[0])
    # Keep each section together, in the order sections first appear.
    section_order: dict[str, int] = {}
    for _, active, _ in ranked:
        section_order.setdefault(_section(active.binding.id or ""), len(section_order))
    ranked.sort(key=lambda item: section_order[_section(item[1].binding.id or "")])
    return [
        HelpEntry(
            section=_section(active.binding.id or ""),
            keys=tuple(dict.fromkeys(keys)),
            description=active.binding.description,
            tooltip=active.tooltip or active.binding.tooltip,
            binding_id=active.binding.id or "",
            enabled=active.enabled,
        )
        for _, active, keys in ranked
    ]


KEYS_WIDTH = 14
DESCRIPTION_WIDTH = 16
TOOLTIP_WIDTH = 58


def render_entries(entries: list[HelpEntry]) -> Content:
    """One Content for the whole list: a single widget lays out far faster than a grid."""
    lines: list[Content] = []
    section = None
    for entry in entries:
        if entry.section != section:
            if section is not None:
                lines.append(Content(""))
            lines.append(Content.styled(entry.section, "bold $text-accent"))
            section = entry.section
        keys_style = "bold $accent" if entry.enabled else "$text-disabled"
        text_style = "$foreground" if entry.enabled else "$text-disabled"
        tooltip = textwrap.wrap(entry.tooltip, TOOLTIP_WIDTH) or [""]
        lines.append(
            Content.assemble(
                ("  ", ""),
                (" ".join(entry.keys).ljust(KEYS_WIDTH), keys_style),
                (entry.description.ljust(DESCRIPTION_WIDTH), text_style),
                (tooltip[0], "$text-muted"),
            )
        )
        indent = " " * (2 + KEYS_WIDTH + DESCRIPTION_WIDTH)
        lines.extend(Content.styled(indent + more, "$text-muted") for more in tooltip[1:])
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """A modal list of keys; `?`, f1, escape or q close it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 96;
            max-width: 100%;
            height: auto;
            max-height: 90%;
            border: round $primary;
            border-title-color: $text-accent;
            background: $surface;
            padding: 1 2;
        }
    }
    """

    BINDINGS = [
        bind("help.close", "escape,q,question_mark,f1", "close", "Close", "Close the help"),
    ]

    def __init__(self, title: str, entries: list[HelpEntry]) -> None:
        super().__init__()
        self.help_title = title
        self.entries = entries

    @classmethod
    def for_screen(cls, screen: Screen[object]) -> HelpScreen:
        name = type(screen).__name__.removesuffix("Screen") or type(screen).__name__
        title = getattr(screen, "HELP_TITLE", None) or name
        return cls(title, help_entries(screen))

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"Keys: {self.help_title}"
            scroll.border_subtitle = "escape to close"
            yield Static(render_entries(self.entries), id="help-keys")

    def action_close(self) -> None:
        self.dismiss(None)
