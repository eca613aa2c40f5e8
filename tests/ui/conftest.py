"""Building the real AgentDeskApp over a seeded MemoryStore with a fixed clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from agentdesk.app import AgentDeskApp
from agentdesk.config import Settings
from agentdesk.store.base import Store
from agentdesk.store.memory import MemoryStore
from tests.fixtures import NOW, seed


def make_settings(directory: Path, **overrides: Any) -> Settings:
    return Settings(
        config_path=directory / "config.toml",
        data_dir=directory,
        db_path=directory / "x.db",
        **overrides,
    )


def seeded_opener(store: MemoryStore | None = None) -> Callable[[], Awaitable[Store]]:
    """An `open_store` that seeds `store` (a fresh MemoryStore by default) when called."""
    target = store or MemoryStore(client_id="test-client")

    async def open_store() -> Store:
        await seed(target)
        return target

    return open_store


def build_app(
    directory: Path,
    *,
    store: MemoryStore | None = None,
    agent_handle: str = "junior",
    open_store: Callable[[], Awaitable[Store]] | None = None,
    **settings: Any,
) -> AgentDeskApp:
    return AgentDeskApp(
        settings=make_settings(directory, **settings),
        open_store=open_store or seeded_opener(store),
        agent_handle=agent_handle,
        clock=lambda: NOW,
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Wait until no worker runs and the messages they caused are handled (never sleeps)."""
    for _ in range(20):
        await pilot.pause()
        if not len(pilot.app.workers):
            await pilot.pause()
            if not len(pilot.app.workers):
                return
        await pilot.app.workers.wait_for_complete()
    raise AssertionError("workers kept starting; the UI never settled")


class Notes:
    """Records what the app told the user (message and severity)."""

    def __init__(self, app: AgentDeskApp) -> None:
        self.seen: list[tuple[str, str]] = []
        original = app.notify

        def notify(message: str, **kwargs: Any) -> None:
            self.seen.append((str(message), str(kwargs.get("severity", "information"))))
            original(message, **kwargs)

        app.notify = notify  # type: ignore[method-assign]

    def matching(self, text: str) -> list[tuple[str, str]]:
        return [note for note in self.seen if text in note[0]]


class OpenedTickets:
    """Stands in for the ticket screen: records which tickets the app was asked to open."""

    def __init__(self, app: AgentDeskApp) -> None:
        self.ids: list[str] = []
        app.open_ticket = self.ids.append  # type: ignore[method-assign]


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore(client_id="test-client")
