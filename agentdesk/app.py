"""The agentdesk App: opens the store after the first paint, then shows the queue."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from textual.app import App

from agentdesk.config import Settings
from agentdesk.domain.model import Agent
from agentdesk.store.base import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


StoreOpener = Callable[[], Awaitable[Store]]


class AgentDeskApp(App[None]):
    """Screens reach shared state through `self.app`: `store`, `agent`, `settings`, `now()`."""

    TITLE = "agentdesk"

    def __init__(
        self,
        *,
        settings: Settings,
        open_store: StoreOpener,
        agent_handle: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__()
        self.settings = settings
        self._open_store = open_store
        self.agent_handle = agent_handle
        self._clock = clock
        self.store: Store
        self.agent: Agent

    def now(self) -> datetime:
        return self._clock()
