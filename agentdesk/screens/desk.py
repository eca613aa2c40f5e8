"""What the ticket-side screens need from the app, and the one way they report errors."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, cast

from textual.dom import DOMNode
from textual.widget import Widget

from agentdesk.domain.errors import DomainError, MissingPlaceholders
from agentdesk.domain.model import Agent
from agentdesk.store.base import Store
from agentdesk.store.errors import Conflict, StoreError, Unavailable

# What a worker may expect from the store or the rules; anything else is a bug and should crash.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (StoreError, DomainError)


class Desk(Protocol):
    """The App as the screens see it (AgentDeskApp, or a small test app)."""

    store: Store
    agent: Agent

    def now(self) -> datetime: ...


def desk(node: DOMNode) -> Desk:
    return cast(Desk, node.app)


def error_text(error: Exception) -> str:
    """A message fit for the agent, saying what to do next where we know it."""
    if isinstance(error, MissingPlaceholders):
        slots = ", ".join("{{" + name + "}}" for name in error.names)
        return f"Fill in {slots} before sending. Your text is kept."
    if isinstance(error, Conflict):
        return f"{error} The ticket was reloaded; your text is kept, please try again."
    if isinstance(error, Unavailable):
        return f"The ticket store is unavailable: {error}"
    message = str(error)
    return message[:1].upper() + message[1:] if message else type(error).__name__


def report_error(node: Widget, error: Exception, *, doing: str) -> None:
    node.notify(error_text(error), title=f"Could not {doing}", severity="error", timeout=8)
