"""The two SLA clocks of a ticket, coloured by state (ok, warning, breached, met, paused)."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label

from agentdesk.domain.replies import TimerView
from agentdesk.domain.sla import SlaState

_STATE_CLASSES = tuple(f"-{state.value}" for state in SlaState)


class SlaTimers(Vertical):
    """Shows what `domain.replies.sla_timers` computed; the screen refreshes it on a tick."""

    DEFAULT_CSS = """
    SlaTimers {
        height: auto;
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        padding: 0 1;
    }
    SlaTimers Label {
        width: 1fr;
    }
    SlaTimers .-ok {
        color: $sla-ok;
    }
    SlaTimers .-warning {
        color: $sla-warning;
        text-style: bold;
    }
    SlaTimers .-breached {
        color: $sla-breached;
        text-style: bold reverse;
    }
    SlaTimers .-met {
        color: $text-muted;
    }
    SlaTimers .-paused {
        color: $text-muted;
        text-style: italic;
    }
    """

    def compose(self) -> ComposeResult:
        yield Label(id="sla-first", markup=False)
        yield Label(id="sla-resolution", markup=False)

    def on_mount(self) -> None:
        self.border_title = "SLA"

    def show(self, timers: Sequence[TimerView]) -> None:
        for label, timer in zip(self.query(Label), timers, strict=False):
            label.update(f"{timer.label:<15}{timer.text}")
            label.remove_class(*_STATE_CLASSES)
            label.add_class(f"-{timer.state.value}")
