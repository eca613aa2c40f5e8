"""The reply and note editor at the foot of the ticket screen.

Data in (`internal`, `links`, text inserted by the screen); messages out (`SendRequested`,
`Left`). The composer never clears itself on send: the screen clears it only once the store
accepted the message, so a failed send keeps every typed character.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Checkbox, Static, TextArea
from textual.widgets.text_area import Location, Selection

from agentdesk.domain.model import LinkKind, TicketLink
from agentdesk.domain.scripts import PLACEHOLDER, unfilled_slots
from agentdesk.keymap import bind


class ReplyArea(TextArea):
    """A TextArea that marks every `{{slot}}` still waiting for a value."""

    COMPONENT_CLASSES = {"reply-area--slot"}

    DEFAULT_CSS = """
    ReplyArea > .reply-area--slot {
        background: $error 35%;
        text-style: bold;
    }
    """

    def get_line(self, line_index: int) -> Text:
        line = super().get_line(line_index)
        matches = list(PLACEHOLDER.finditer(line.plain))
        if matches:
            style = self.get_component_rich_style("reply-area--slot", partial=True)
            for match in matches:
                line.stylize(style, match.start(), match.end())
        return line

    def slot_selections(self) -> list[Selection]:
        """Every unfilled slot as a selection, in reading order."""
        found: list[Selection] = []
        for row, line in enumerate(self.text.split("\n")):
            for match in PLACEHOLDER.finditer(line):
                found.append(Selection((row, match.start()), (row, match.end())))
        return found

    def select_next_slot(self) -> bool:
        """Select the first slot after the cursor (wrapping); typing then replaces it."""
        slots = self.slot_selections()
        if not slots:
            return False
        cursor: Location = self.selection.end
        after = [slot for slot in slots if slot.start >= cursor and slot != self.selection]
        self.selection = (after or slots)[0]
        return True


class Composer(Vertical):
    """Write a public reply or an internal note; ctrl+s asks the screen to send it."""

    DEFAULT_CSS = """
    Composer {
        height: auto;
        max-height: 16;
        display: none;
        border: round $success;
        border-title-color: $success;
        border-title-style: bold;
        padding: 0 1;
    }
    Composer.-open, Composer.-has-draft {
        display: block;
    }
    Composer.-note {
        border: round $warning;
        border-title-color: $warning;
    }
    Composer:focus-within {
        border: thick $success;
    }
    Composer.-note:focus-within {
        border: thick $warning;
    }
    Composer ReplyArea, Composer ReplyArea:focus {
        height: auto;
        min-height: 4;
        max-height: 10;
        border: none;
        padding: 0;
        background: $surface;
    }
    Composer #composer-slots {
        color: $error;
        text-style: bold;
        display: none;
    }
    Composer.-has-slots #composer-slots {
        display: block;
    }
    Composer #composer-footer {
        height: auto;
    }
    Composer #composer-wait {
        border: none;
        padding: 0;
        height: 1;
        width: auto;
    }
    Composer.-note #composer-wait {
        display: none;
    }
    Composer #composer-links {
        color: $text-muted;
        width: 1fr;
        padding-left: 2;
        height: 1;
    }
    """

    BINDINGS = [
        bind(
            "composer.send",
            "ctrl+s",
            "send",
            "Send",
            "Send the reply to the customer, or save the internal note",
        ),
        bind(
            "composer.send_wait",
            "ctrl+g",
            "send_wait",
            "Send & wait",
            "Send the reply and set the ticket pending until the customer answers",
        ),
        bind(
            "composer.next_slot",
            "ctrl+n",
            "next_slot",
            "Next slot",
            "Select the next {{placeholder}} still to fill in; typing replaces it",
        ),
        bind(
            "composer.leave",
            "escape",
            "leave",
            "Leave editor",
            "Leave the editor; the draft stays until you send or discard it",
        ),
    ]

    internal: reactive[bool] = reactive(False)
    links: reactive[tuple[TicketLink, ...]] = reactive(())
    recipient: reactive[str] = reactive("the customer")
    # Whether the ticket's status allows "send and wait" (not while awaiting confirmation).
    can_wait: reactive[bool] = reactive(True)

    class SendRequested(Message):
        """The agent asked to send what the composer holds."""

        def __init__(self, composer: Composer, body: str, *, internal: bool, wait: bool) -> None:
            super().__init__()
            self.composer = composer
            self.body = body
            self.internal = internal
            self.wait_on_customer = wait

        @property
        def control(self) -> Composer:
            return self.composer

    class Left(Message):
        """The agent left the editor (the draft is kept)."""

    def compose(self) -> ComposeResult:
        yield ReplyArea(id="composer-text", soft_wrap=True, show_line_numbers=False)
        yield Static(id="composer-slots", markup=False)
        with Horizontal(id="composer-footer"):
            yield Checkbox("Wait for customer (pending)", id="composer-wait")
            yield Static(id="composer-links", markup=False)

    def on_mount(self) -> None:
        self._update_title()

    # -- data in ----------------------------------------------------------------------------
    @property
    def area(self) -> ReplyArea:
        return self.query_one(ReplyArea)

    @property
    def draft(self) -> str:
        return self.area.text

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def wait_on_customer(self) -> bool:
        return self.query_one("#composer-wait", Checkbox).value

    @property
    def unfilled(self) -> list[str]:
        return unfilled_slots(self.draft)

    def open(self, *, internal: bool) -> None:
        """Show the editor in reply or note mode and focus it; an existing draft stays."""
        self.internal = internal
        self.add_class("-open")
        self.area.focus()

    def insert(self, text: str) -> None:
        """Insert at the cursor (a blank line apart from existing text) and select a slot."""
        area = self.area
        if not area.text.strip():
            area.load_text(text)
            area.move_cursor(area.document.end)
        else:
            row, column = area.selection.end
            before = "\n\n" if column > 0 or row > 0 else ""
            area.insert(before + text)
        if not area.select_next_slot():
            area.move_cursor(area.document.end)
        self._update_slots()

    def discard(self) -> None:
        """Forget the draft and close; called by the screen after a successful send."""
        self.area.load_text("")
        self.query_one("#composer-wait", Checkbox).value = False
        self.remove_class("-open")
        self._update_slots()

    # -- reactive display --------------------------------------------------------------------
    def watch_internal(self, internal: bool) -> None:
        self.set_class(internal, "-note")
        self._update_title()
        self.refresh_bindings()

    def watch_can_wait(self, can_wait: bool) -> None:
        wait = self.query_one("#composer-wait", Checkbox)
        wait.disabled = not can_wait
        if not can_wait:
            wait.value = False
        self.refresh_bindings()

    def watch_recipient(self) -> None:
        self._update_title()

    def watch_links(self, links: tuple[TicketLink, ...]) -> None:
        self.query_one("#composer-links", Static).update(_links_line(links))

    def _update_title(self) -> None:
        if self.internal:
            self.border_title = "Internal note (not sent to the customer)"
            self.border_subtitle = "ctrl+s save note · esc leave"
        else:
            self.border_title = f"Reply to {self.recipient}"
            self.border_subtitle = "ctrl+s send · ctrl+g send & wait · esc leave"

    def _update_slots(self) -> None:
        missing = self.unfilled
        self.set_class(bool(missing), "-has-slots")
        self.set_class(bool(self.draft.strip()), "-has-draft")
        if missing:
            names = ", ".join("{{" + name + "}}" for name in missing)
            self.query_one("#composer-slots", Static).update(
                f"Fill in before sending: {names}  (ctrl+n selects the next one)"
            )

    @on(TextArea.Changed, "#composer-text")
    def _text_changed(self) -> None:
        self._update_slots()

    # -- messages out -----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "send_wait" and (self.internal or not self.can_wait):
            return None
        return True

    def action_send(self) -> None:
        self._request_send(wait=self.wait_on_customer and not self.internal)

    def action_send_wait(self) -> None:
        if self.can_wait:
            self._request_send(wait=True)

    def _request_send(self, *, wait: bool) -> None:
        body = self.draft
        if not body.strip():
            self.notify("Nothing to send yet.", severity="warning")
            return
        self.post_message(self.SendRequested(self, body, internal=self.internal, wait=wait))

    def action_next_slot(self) -> None:
        if not self.area.select_next_slot():
            self.notify("No {{placeholder}} left to fill in.")

    def action_leave(self) -> None:
        self.remove_class("-open")
        self.post_message(self.Left())


def _links_line(links: Sequence[TicketLink]) -> str:
    if not links:
        return ""
    names = [
        f"{'script' if link.kind is LinkKind.SCRIPT else 'article'} “{link.title or link.ref_id}”"
        for link in links
    ]
    return "On send, link: " + ", ".join(names)
