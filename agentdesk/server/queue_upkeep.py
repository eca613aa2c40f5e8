"""Keeps the head of the PostgreSQL routing queue short: a background VACUUM after many claims.

Every claim deletes the queue row at the head of the order index. PostgreSQL leaves the index
entries of deleted rows in place until a vacuum removes them, so each later claim walks past
all of them before it reaches a live ticket: after 20,000 claims that walk was a third of the
database's CPU per claim (bench/README.md, "Team server"). Autovacuum wakes once a minute,
far too seldom for a queue drained thousands of times a second, so the server that does the
claiming also does the sweeping.

One vacuum runs at a time per server instance, on a connection of its own, never on the
claim path. SKIP_LOCKED lets instances on one database step aside for each other, and
INDEX_CLEANUP ON stops PostgreSQL from skipping the index pass when few heap pages changed
(the index pass is the point). The vacuum's cost grows with the size of the queue, so after a
vacuum that took d seconds the next waits at least `rest_factor` times d: on a queue of millions
the sweeping slows down rather than taking a database core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import psycopg

from agentdesk.server.loop_connection import LoopConnection

VACUUM_ROUTING_QUEUE_SQL = "VACUUM (SKIP_LOCKED, INDEX_CLEANUP ON) routing_queue"
DEFAULT_CLAIMS_PER_VACUUM = 1000
DEFAULT_REST_FACTOR = 4.0

log = logging.getLogger(__name__)


class QueueVacuum:
    """Counts claims and starts a vacuum of `routing_queue` after every `claims_per_vacuum`."""

    def __init__(
        self,
        conninfo: str,
        *,
        claims_per_vacuum: int = DEFAULT_CLAIMS_PER_VACUUM,
        rest_factor: float = DEFAULT_REST_FACTOR,
    ) -> None:
        if claims_per_vacuum < 1:
            raise ValueError("claims_per_vacuum must be at least 1")
        self._connection = LoopConnection(conninfo)
        self._claims_per_vacuum = claims_per_vacuum
        self._rest_factor = rest_factor
        self._claims_since = 0
        self._not_before = 0.0  # time.monotonic() before which no vacuum starts
        self._running: asyncio.Task[None] | None = None
        self.vacuums = 0  # how many finished: for tests and the bench
        self.failures = 0

    def claimed(self, count: int) -> None:
        """Note `count` claims; start a vacuum if enough have piled up and none is running."""
        self._claims_since += count
        if self._claims_since < self._claims_per_vacuum:
            return
        if self._running is not None and not self._running.done():
            return
        if time.monotonic() < self._not_before:
            return
        self._claims_since = 0
        self._running = asyncio.get_running_loop().create_task(self._vacuum())

    async def settled(self) -> None:
        """Wait for the running vacuum, if any, to finish."""
        if self._running is not None:
            await asyncio.shield(self._running)

    async def _vacuum(self) -> None:
        started = time.monotonic()
        try:
            connection = await self._connection.get()
            await connection.execute(VACUUM_ROUTING_QUEUE_SQL)
        except psycopg.Error as error:
            # Claims go on without it (only slower); a broken connection is opened anew next time.
            self.failures += 1
            log.warning("vacuum of the routing queue failed: %s", error)
            await self._connection.close()
        else:
            self.vacuums += 1
        ended = time.monotonic()
        self._not_before = ended + self._rest_factor * (ended - started)

    async def close(self) -> None:
        if self._running is not None and not self._running.done():
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError, psycopg.Error):
                await self._running
        await self._connection.close()
