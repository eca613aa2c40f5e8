"""SVG snapshots of the queue and help screens at 120x32, fixed data and clock.

Update after reviewing the diff: `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.conftest import build_app, settle

SIZE = (120, 32)
Snap = Callable[..., bool]


def filter_by(text: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("slash")
        pilot.app.screen.query_one("#queue-filter", Input).value = text
        await pilot.press("enter")
        await settle(pilot)

    return run_before


@pytest.mark.parametrize("theme", ["agentdesk-dark", "agentdesk-light", "agentdesk-high-contrast"])
def test_team_queue(snap_compare: Snap, tmp_path: Path, theme: str) -> None:
    app = build_app(tmp_path, theme=theme)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle, press=["down", "down"])


def test_filtered_queue(snap_compare: Snap, tmp_path: Path) -> None:
    app = build_app(tmp_path)
    assert snap_compare(app, terminal_size=SIZE, run_before=filter_by("order"))


def test_filtered_queue_with_no_match(snap_compare: Snap, tmp_path: Path) -> None:
    app = build_app(tmp_path, theme="agentdesk-light")
    assert snap_compare(app, terminal_size=SIZE, run_before=filter_by("zebra"))


def test_help_on_the_queue_shows_rebound_key(snap_compare: Snap, tmp_path: Path) -> None:
    app = build_app(tmp_path, keymap={"queue.pull_next": "p"})
    assert snap_compare(app, terminal_size=SIZE, run_before=settle, press=["f1"])
