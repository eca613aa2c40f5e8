"""Group commit for a hot route: concurrent requests share one database transaction.

Every claim writes a change-log row through the single log-head row, which stays locked until
its transaction's commit has been flushed to disk, so claims commit one after another and the
flush time caps claims per second. `Combiner` lets the requests that arrive while a batch is in
the database wait together and go as the next batch: one transaction, one flush, for all of
them. A lone request goes at once; after a batch of several, the next one waits up to
`linger` for as many requests to come back (see `_gather`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")
Answer = TypeVar("Answer")


class Combiner(Generic[Item, Answer]):
    """Awaits `run(batch)` for batches of submitted items, one batch at a time.

    `run` answers each item in order. When a batch fails, its items are retried one by one, so
    one bad request does not fail the others and each caller sees its own outcome.
    """

    def __init__(
        self,
        run: Callable[[list[Item]], Awaitable[list[Answer]]],
        *,
        max_batch: int = 64,
        linger: float = 0.0,
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self.linger = linger
        self._expected = 1  # the size of the last batch
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._draining: asyncio.Task[None] | None = None
        self._arrived: asyncio.Event | None = None
        self.batches = 0  # how many batches ran, and with how many items: for tests and benches
        self.items = 0

    async def submit(self, item: Item) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._arrived is not None:
            self._arrived.set()
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            if self.linger and len(self._waiting) < self._expected:
                await self._gather()
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            self._expected = len(batch)
            await self._answer(batch)

    async def _gather(self) -> None:
        """Wait (at most `linger` seconds) until as many items wait as the last batch had.

        Callers answered together come back together, but not in the same instant: without
        this, the first one back would go alone and the rest would wait for its commit.
        When fewer come back, the next batch is smaller and the next wait shorter or none.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.linger
        self._arrived = asyncio.Event()
        try:
            while len(self._waiting) < self._expected:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except TimeoutError:
                    return
        finally:
            self._arrived = None

    async def _answer(self, batch: list[tuple[Item, asyncio.Future[Answer]]]) -> None:
        self.batches += 1
        self.items += len(batch)
        try:
            answers = await self._run([item for item, _ in batch])
        except Exception as error:
            if len(batch) == 1:
                _settle(batch[0][1], error=error)
                return
            for one in batch:
                await self._answer([one])
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            _settle(future, answer=answer)


def _settle(
    future: asyncio.Future[Answer],
    *,
    answer: Answer | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():  # the caller went away (its request was cancelled)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(answer)  # type: ignore[arg-type]
