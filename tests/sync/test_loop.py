"""Backoff and the background loop, driven with a fake sleep (no real waiting)."""

from __future__ import annotations

import pytest

from agentdesk.domain.remote import BadRecord, page_from_wire
from agentdesk.sync import SyncReport, TokenRefused, Unreachable
from agentdesk.sync.engine import SyncFailure
from agentdesk.sync.loop import Backoff, sync_forever


def test_backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(base=1.0, cap=60.0)
    assert backoff.delay(0) == 0.0
    assert [backoff.delay(n, rand=lambda: 1.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert backoff.delay(3, rand=lambda: 0.0) == 2.0
    assert backoff.delay(40, rand=lambda: 1.0) == 60.0


async def test_the_loop_backs_off_on_failure_resets_on_success_and_stops_on_a_refused_token() -> (
    None
):
    answers: list[SyncReport | SyncFailure] = [
        Unreachable("down"),
        Unreachable("down"),
        SyncReport(),
        TokenRefused("no"),
    ]
    seen: list[object] = []
    waits: list[float] = []

    async def round_() -> SyncReport:
        answer = answers.pop(0)
        if isinstance(answer, SyncFailure):
            raise answer
        return answer

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    await sync_forever(round_, seen.append, interval=15.0, backoff=Backoff(1.0, 60.0), sleep=sleep)
    assert [type(item).__name__ for item in seen] == [
        "Unreachable",
        "Unreachable",
        "SyncReport",
        "TokenRefused",
    ]
    assert 0.5 <= waits[0] <= 1.0 and 1.0 <= waits[1] <= 2.0 and waits[2] == 15.0
    assert len(waits) == 3


def test_a_page_that_skips_a_seq_is_refused() -> None:
    record = {"server_seq": 3, "kind": "remove", "ticket_id": "x", "payload": {}}
    with pytest.raises(BadRecord, match="skip from 1 to 3"):
        page_from_wire([record], cursor=1, epoch="e")
    page = page_from_wire([record], cursor=2, epoch="e")
    assert (page.after, page.cursor, page.skipped) == (2, 3, 1)
