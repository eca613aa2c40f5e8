"""One autocommit psycopg connection for code that runs on the server's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg


class LoopConnection:
    """Opened on first use, and opened anew once it has closed or been dropped.

    A connection belongs to the event loop it was opened on, so a call from another loop (a
    test client may start one) opens another.
    """

    def __init__(self, conninfo: str) -> None:
        self._conninfo = conninfo
        self._connection: psycopg.AsyncConnection[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def get(self) -> psycopg.AsyncConnection[Any]:
        loop = asyncio.get_running_loop()
        if self._connection is None or self._connection.closed or self._loop is not loop:
            self._connection = await psycopg.AsyncConnection.connect(
                self._conninfo, autocommit=True
            )
            self._loop = loop
        return self._connection

    def drop(self) -> None:
        """Forget a broken connection: the next `get` opens another."""
        self._connection = None

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None or connection.closed:
            return
        if self._loop is asyncio.get_running_loop():
            with contextlib.suppress(psycopg.Error):  # a broken one is gone anyway
                await connection.close()
