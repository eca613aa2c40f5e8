"""SVG snapshots of the lead view at 140x36: the seeded desk, a fixed clock (09:00 UTC).

Update after reviewing the diff: `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from agentdesk.domain.lead_alerts import AlertPolicy
from tests.ui.conftest import build_app, settle

SIZE = (140, 36)
Snap = Callable[..., bool]


def test_logistics_queue_with_a_ticket_open_beside_it(snap_compare: Snap, tmp_path: Path) -> None:
    # No alerts: their strip and toast have a snapshot of their own.
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=AlertPolicy.off())

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("L", "down", "down", "down", "enter", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_agents_with_their_load(snap_compare: Snap, tmp_path: Path) -> None:
    # No alerts: their strip and toast have a snapshot of their own.
    app = build_app(tmp_path, agent_handle="lead", lead_alerts=AlertPolicy.off())

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("L", "g")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_the_alert_list_open_under_the_strip(snap_compare: Snap, tmp_path: Path) -> None:
    # The default limits: the seeded queues' oldest tickets have waited long, two have breaches.
    app = build_app(tmp_path, agent_handle="lead")

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        await pilot.press("w", "down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
