"""The frame shared by the ticket dialogs: validate, write through the store, dismiss on success.

A dialog stays open with everything typed in it when the store refuses, so nothing is lost; it
dismisses with the store's answer (usually the updated Ticket) only once the write succeeded.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Label, Static

from agentdesk.keymap import bind
from agentdesk.screens.desk import EXPECTED_ERRORS, Desk, desk, error_text

ResultT = TypeVar("ResultT")


class Invalid(Exception):
    """A field the agent still has to fill in; `widget` gets the focus."""

    def __init__(self, message: str, widget: Widget | None = None) -> None:
        super().__init__(message)
        self.widget = widget


class DeskDialog(ModalScreen[ResultT | None], Generic[ResultT]):
    TITLE_TEXT = ""
    HELP_TITLE = "Dialog"
    SUBMIT_LABEL = "Confirm"
    DOING = "save"
    # What `submit` may raise that leaves the dialog open with its fields, the error shown.
    EXPECTED: tuple[type[Exception], ...] = EXPECTED_ERRORS

    DEFAULT_CSS = """
    DeskDialog {
        align: center middle;
    }
    DeskDialog > #dialog {
        width: 84;
        max-width: 95%;
        height: auto;
        max-height: 95%;
        border: thick $primary;
        border-title-color: $primary;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    DeskDialog .field-label {
        margin-top: 1;
        color: $text-muted;
    }
    DeskDialog TextArea {
        height: 5;
    }
    DeskDialog #dialog-error {
        display: none;
        color: $error;
        text-style: bold;
        margin-top: 1;
    }
    DeskDialog #dialog-error.-shown {
        display: block;
    }
    DeskDialog #dialog-buttons {
        height: auto;
        margin-top: 1;
        align-horizontal: right;
    }
    DeskDialog #dialog-buttons Button {
        margin-left: 2;
    }
    """

    BINDINGS = [
        bind(
            "dialog.submit",
            "ctrl+s",
            "submit",
            "Confirm",
            "Check the fields and confirm the dialog",
        ),
        bind(
            "dialog.cancel",
            "escape",
            "cancel",
            "Cancel",
            "Close the dialog without changing the ticket",
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    @property
    def desk(self) -> Desk:
        return desk(self)

    # -- what a dialog defines ---------------------------------------------------------------
    def compose_fields(self) -> ComposeResult:
        yield from ()

    def validate_fields(self) -> None:
        """Raise `Invalid` naming the first field still missing."""

    async def submit(self) -> ResultT:
        raise NotImplementedError

    # -- the frame ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as frame:
            frame.border_title = self.TITLE_TEXT
            yield from self.compose_fields()
            yield Static(id="dialog-error", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel (esc)", id="dialog-cancel")
                yield Button(f"{self.SUBMIT_LABEL} (ctrl+s)", id="dialog-submit", variant="primary")

    def set_submit_label(self, label: str) -> None:
        self.query_one("#dialog-submit", Button).label = f"{label} (ctrl+s)"

    def show_error(self, message: str) -> None:
        error = self.query_one("#dialog-error", Static)
        error.update(message)
        error.set_class(bool(message), "-shown")

    @on(Button.Pressed, "#dialog-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#dialog-submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_submit(self) -> None:
        if self._busy:
            return
        try:
            self.validate_fields()
        except Invalid as problem:
            self.show_error(str(problem))
            if problem.widget is not None:
                problem.widget.focus()
            return
        self.show_error("")
        self._busy = True
        self._write()

    @work(exclusive=True, group="dialog-submit")
    async def _write(self) -> None:
        try:
            result = await self.submit()
        except self.EXPECTED as error:
            self.show_error(error_text(error))
            self.notify(error_text(error), title=f"Could not {self.DOING}", severity="error")
            return
        finally:
            self._busy = False
        self.dismiss(result)


def field_label(text: str) -> Label:
    return Label(text, classes="field-label")
