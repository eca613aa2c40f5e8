"""SVG snapshots of sync in the TUI at 120x32: the status bar with a conflict, the conflicts list.

Update after reviewing the diff: `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from agentdesk.app import AgentDeskApp
from agentdesk.store.memory import MemoryStore
from tests.snapshots.test_queue_snapshots import SIZE, Snap
from tests.ui.conftest import settle
from tests.ui.test_app import run_palette
from tests.ui.test_sync import SERVER, build, reject_a_reply


def with_a_conflict(store: MemoryStore, then: Callable[[Pilot[Any]], Any] | None = None) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await reject_a_reply(store)
        app = pilot.app
        assert isinstance(app, AgentDeskApp)
        app.sync_online = True
        app.refresh_sync_status()
        await settle(pilot)
        if then is not None:
            await then(pilot)

    return run_before


def test_status_bar_with_a_conflict(snap_compare: Snap, tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)
    assert snap_compare(app, terminal_size=SIZE, run_before=with_a_conflict(store))


def test_conflicts_screen(snap_compare: Snap, tmp_path: Path) -> None:
    store = MemoryStore(client_id="c")
    app = build(tmp_path, store, SERVER)

    async def open_conflicts(pilot: Pilot[Any]) -> None:
        await run_palette(pilot, "sync: conflicts")

    assert snap_compare(app, terminal_size=SIZE, run_before=with_a_conflict(store, open_conflicts))
