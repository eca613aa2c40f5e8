"""claim-next batches on one async psycopg connection, on the event loop (PostgreSQL only).

The batch is a single statement (migration 0005's function), so the route needs neither a
worker thread nor SQLAlchemy around it: per batch, that took more server CPU than the HTTP
handling of all its requests. Batches from `batching.Combiner` run one at a time per server
instance, so one connection is enough.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg

from agentdesk.server import claims
from agentdesk.server.claims import ClaimRequest


class AsyncClaimer:
    """Runs claim batches in autocommit (each its own transaction) on one connection.

    A connection that has broken (the database restarted) is replaced and the batch run once
    more; any other error goes to the caller.
    """

    def __init__(self, conninfo: str, clock: Callable[[], datetime], lease: timedelta) -> None:
        self._conninfo = conninfo
        self._clock = clock
        self._lease = lease
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, requests: list[ClaimRequest]) -> list[str]:
        now = self._clock()
        parameters = claims.call_parameters(requests, now=now, lease=self._lease)
        for attempt in (1, 2):
            connection = await self._connected()
            try:
                cursor = await connection.execute(claims.CLAIM_NEXT_MANY_SQL, parameters)
                rows = await cursor.fetchall()
            except psycopg.OperationalError:
                if attempt == 2 or not connection.broken:
                    raise
                self._connection = None
                continue
            return claims.documents(requests, rows, now=now, lease=self._lease)
        raise AssertionError("unreachable")  # the loop returns or raises

    async def _connected(self) -> psycopg.AsyncConnection[Any]:
        loop = asyncio.get_running_loop()
        # A connection belongs to the loop it was opened on (a test client may start another).
        if self._connection is None or self._connection.closed or self._loop is not loop:
            self._connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            )
            self._loop = loop
        return self._connection

    async def close(self) -> None:
        if self._connection is not None and self._loop is asyncio.get_running_loop():
            await self._connection.close()
        self._connection = None
