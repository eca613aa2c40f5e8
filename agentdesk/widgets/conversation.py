"""The ticket's conversation: customer messages, replies, internal notes and system lines."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.containers import VerticalScroll
from textual.widgets import Static

from agentdesk.domain.model import Message, MessageKind
from agentdesk.domain.replies import message_author

_KIND_LABEL = {
    MessageKind.CUSTOMER: "customer",
    MessageKind.REPLY: "reply",
    MessageKind.NOTE: "internal note",
    MessageKind.SYSTEM: "system",
}


class MessageView(Static):
    """One message; its kind is a CSS class so themes decide how each kind looks."""

    DEFAULT_CSS = """
    MessageView {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border: round $primary;
        border-title-color: $primary;
        border-subtitle-color: $text-muted;
    }
    MessageView.-customer {
        margin-right: 8;
        border: round $primary;
    }
    MessageView.-reply {
        margin-left: 8;
        border: round $success;
        border-title-color: $success;
    }
    MessageView.-note {
        margin-left: 8;
        border: dashed $warning;
        border-title-color: $warning;
        background: $warning 10%;
    }
    MessageView.-system {
        border: none;
        padding: 0 2;
        color: $text-muted;
        text-style: italic;
    }
    """

    def __init__(self, message: Message, author: str) -> None:
        text = message.body
        if message.kind is MessageKind.SYSTEM:
            text = f"{message.created_at:%b %d %H:%M} · {message.body}"
        super().__init__(text, markup=False, classes=f"-{message.kind.value}")
        self.message = message
        if message.kind is not MessageKind.SYSTEM:
            self.border_title = f"{author} · {_KIND_LABEL[message.kind]}"
            self.border_subtitle = f"{message.created_at:%b %d %H:%M}"


class Conversation(VerticalScroll):
    """Read-only history of a ticket; newest at the bottom, scrolled into view."""

    DEFAULT_CSS = """
    Conversation {
        padding: 0 1;
    }
    Conversation:focus {
        background-tint: $foreground 3%;
    }
    """

    can_focus = True

    async def show(
        self,
        messages: Sequence[Message],
        *,
        customer_name: str,
        agent_names: Mapping[str, str],
    ) -> None:
        shown = [view.message.id for view in self.query_children(MessageView)]
        if shown == [message.id for message in messages]:
            return
        await self.remove_children()
        await self.mount_all(
            MessageView(
                message,
                message_author(message, customer_name=customer_name, agent_names=agent_names),
            )
            for message in messages
        )
        self.scroll_end(animate=False)
