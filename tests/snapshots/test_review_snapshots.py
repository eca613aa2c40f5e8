"""SVG snapshot of the case review dialog: fixed data, fixed clock, 120x36.

Update deliberately with `pytest tests/snapshots --snapshot-update` after reading the diff.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import TextArea

from tests.ui.test_reviews import closed_by_junior
from tests.ui.ticket_harness import open_ticket, settle, ticket_app

SIZE = (120, 36)


def test_review_dialog_with_a_score_and_a_missing_comment(
    snap_compare: Any, tmp_path: Path
) -> None:
    app = ticket_app(tmp_path, agent_handle="lead")

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_ticket(pilot, closed_by_junior)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("down", "enter", "ctrl+s")  # 4 good, no comment: refused inline
        await settle(pilot)
        for editor in pilot.app.screen.query(TextArea):
            editor.cursor_blink = False
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
