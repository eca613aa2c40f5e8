"""The background sync loop: a round every interval, exponential backoff with jitter on failure.

The loop runs a first round at once (start-up is a retry trigger too, SYNC.md §4.4) and never
waits for the next local write to retry.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agentdesk.sync.engine import SyncFailure, SyncReport, TokenRefused

INTERVAL_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Backoff:
    base: float = 1.0
    cap: float = 300.0

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after `failures` consecutive failures: full-range-jittered doubling.

        Jitter spreads the retries of many sites after a shared outage (half to all of the
        doubled delay, so it never collapses to zero).
        """
        if failures <= 0:
            return 0.0
        ceiling = min(self.cap, self.base * 2 ** min(failures - 1, 30))
        return ceiling * (0.5 + 0.5 * rand())


async def sync_forever(
    round_: Callable[[], Awaitable[SyncReport]],
    on_result: Callable[[SyncReport | SyncFailure], None],
    *,
    interval: float = INTERVAL_SECONDS,
    backoff: Backoff = Backoff(),
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run rounds until cancelled, or until the token is refused (logging in again fixes that)."""
    failures = 0
    while True:
        try:
            report: SyncReport | SyncFailure = await round_()
        except SyncFailure as failure:
            report = failure
        on_result(report)
        if isinstance(report, TokenRefused):
            return
        failures = failures + 1 if isinstance(report, SyncFailure) else 0
        await sleep(backoff.delay(failures) if failures else interval)
