"""The lead view's alerts: a one-line strip, and a list that opens under it to pick one from.

Data in (`show` with a refresh's `BoardAlerts`), messages out (`AlertPanel.AlertChosen` when
the lead presses enter on an alert); the screen decides where that leads.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from agentdesk.domain.lead_alerts import BoardAlerts, LeadAlert

# Alerts named on the strip; the rest are counted.
ON_STRIP = 2
LIST_ROWS = 6
# The mark before each alert in the list, and its colour (theme variables, as the strip's).
SEVERITY_MARK = {"error": ("!!", "$sla-breached bold"), "warning": ("! ", "$sla-warning")}


def strip_text(found: BoardAlerts, key: str) -> str:
    """The strip's one line: the most pressing alerts, or the quiet-period suggestion."""
    if found.alerts:
        count = len(found.alerts)
        noun = "alert" if count == 1 else "alerts"
        named = " · ".join(alert.text for alert in found.alerts[:ON_STRIP])
        more = f" · +{count - ON_STRIP} more" if count > ON_STRIP else ""
        return f"{count} {noun}: {named}{more}  ({key}: list)"
    if found.quiet is not None:
        return found.quiet.text
    return f"No alerts  ({key}: close)"


class AlertPanel(Vertical):
    """Hidden while there is nothing to tell and the list is closed."""

    DEFAULT_CSS = """
    AlertPanel {
        height: auto;
        display: none;
        &.-shown { display: block; }
        #alert-strip { height: 1; padding: 0 1; background: $panel; }
        &.-warning #alert-strip { color: $sla-warning; }
        &.-error #alert-strip { color: $sla-breached; text-style: bold; }
        &.-quiet #alert-strip { color: $sla-ok; }
        #alert-list { height: auto; max-height: 8; display: none; border: none; }
        &.-expanded #alert-list { display: block; }
    }
    """

    class AlertChosen(Message):
        """The lead chose an alert to look into."""

        def __init__(self, alert: LeadAlert) -> None:
            super().__init__()
            self.alert = alert

    expanded: reactive[bool] = reactive(False, init=False)

    def __init__(self, *, key: str = "w", id: str | None = None) -> None:
        super().__init__(id=id)
        self.key = key  # the key that opens the list, as the strip names it
        self.found = BoardAlerts()

    @property
    def options(self) -> OptionList:
        return self.query_one("#alert-list", OptionList)

    def compose(self) -> ComposeResult:
        yield Static("", id="alert-strip", markup=False)
        yield OptionList(id="alert-list")

    def show(self, found: BoardAlerts) -> None:
        """Show one refresh's alerts; the list's cursor stays on the same alert if it can."""
        self.found = found
        worst = found.alerts[0].severity if found.alerts else None
        self.set_class(worst == "error", "-error")
        self.set_class(worst == "warning", "-warning")
        self.set_class(worst is None and found.quiet is not None, "-quiet")
        self._show_strip()
        options = self.options
        chosen = options.highlighted_option
        options.clear_options()
        options.add_options(
            Option(
                Content.assemble(SEVERITY_MARK.get(alert.severity, ("  ", "")), " ", alert.text),
                id=f"{alert.kind.value}:{alert.subject}",
            )
            for alert in found.alerts
        )
        if chosen is not None and chosen.id is not None:
            ids = [f"{alert.kind.value}:{alert.subject}" for alert in found.alerts]
            if chosen.id in ids:
                options.highlighted = ids.index(chosen.id)
        self._show_or_hide()

    def _show_strip(self) -> None:
        self.query_one("#alert-strip", Static).update(strip_text(self.found, self.key))

    def _show_or_hide(self) -> None:
        something = bool(self.found.alerts) or self.found.quiet is not None
        self.set_class(something or self.expanded, "-shown")

    def watch_expanded(self, expanded: bool) -> None:
        self.set_class(expanded, "-expanded")
        self._show_or_hide()
        if expanded and self.found.alerts:
            if self.options.highlighted is None:
                self.options.highlighted = 0
            self.options.focus()

    @on(OptionList.OptionSelected, "#alert-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.AlertChosen(self.found.alerts[event.option_index]))
