"""claim-next batches on one async psycopg connection, on the event loop (PostgreSQL only).

The batch is a single statement (migration 0005's function), so the route needs neither a
worker thread nor SQLAlchemy around it: per batch, that took more server CPU than the HTTP
handling of all its requests. Batches from `batching.Combiner` run one at a time per server
instance, so one connection is enough.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import psycopg

from agentdesk.server import claims
from agentdesk.server.claims import ClaimRequest
from agentdesk.server.loop_connection import LoopConnection
from agentdesk.server.queue_upkeep import QueueVacuum


class AsyncClaimer:
    """Runs claim batches in autocommit (each its own transaction) on one connection.

    A connection that has broken (the database restarted) is replaced and the batch run once
    more; any other error goes to the caller.
    """

    def __init__(
        self,
        conninfo: str,
        clock: Callable[[], datetime],
        lease: timedelta,
        *,
        upkeep: QueueVacuum | None = None,
    ) -> None:
        self._connection = LoopConnection(conninfo)
        self.upkeep = upkeep
        self._clock = clock
        self._lease = lease

    async def __call__(self, requests: list[ClaimRequest]) -> list[str]:
        now = self._clock()
        parameters = claims.call_parameters(requests, now=now, lease=self._lease)
        for attempt in (1, 2):
            connection = await self._connection.get()
            try:
                cursor = await connection.execute(claims.CLAIM_NEXT_MANY_SQL, parameters)
                rows = await cursor.fetchall()
            except psycopg.OperationalError:
                if attempt == 2 or not connection.broken:
                    raise
                self._connection.drop()
                continue
            if self.upkeep is not None:
                self.upkeep.claimed(len(rows))  # a row per claim made
            return claims.documents(requests, rows, now=now, lease=self._lease)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def close(self) -> None:
        if self.upkeep is not None:
            await self.upkeep.close()
        await self._connection.close()
