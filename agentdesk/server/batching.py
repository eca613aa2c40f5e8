"""Group commit for a hot route: concurrent requests share one database transaction.

Every claim writes a change-log row through the single log-head row, which stays locked until
its transaction's commit has been flushed to disk, so claims commit one after another and the
flush time caps claims per second. `Combiner` lets the requests that arrive while a batch is in
the database wait together and go as the next batch: one transaction, one flush, for all of
them. A lone request still goes at once (no timer, no added delay).
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
        self, run: Callable[[list[Item]], Awaitable[list[Answer]]], *, max_batch: int = 64
    ) -> None:
        self._run = run
        self._max_batch = max_batch
        self._waiting: list[tuple[Item, asyncio.Future[Answer]]] = []
        self._draining: asyncio.Task[None] | None = None
        self.batches = 0  # how many batches ran, and with how many items: for tests and benches
        self.items = 0

    async def submit(self, item: Item) -> Answer:
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._draining is None or self._draining.done():
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_batch]
            del self._waiting[: self._max_batch]
            await self._answer(batch)

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
