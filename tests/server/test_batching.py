"""The Combiner: requests that arrive while a batch runs go together as the next batch."""

from __future__ import annotations

import asyncio
import threading

import pytest

from agentdesk.server.batching import Combiner


def test_a_lone_request_goes_at_once_and_later_arrivals_share_the_next_batch() -> None:
    batches: list[list[int]] = []
    first_started = threading.Event()
    release_first = threading.Event()

    def run(items: list[int]) -> list[int]:
        batches.append(list(items))
        if len(batches) == 1:
            first_started.set()
            release_first.wait(timeout=10)
        return [item * 10 for item in items]

    combiner: Combiner[int, int] = Combiner(lambda items: asyncio.to_thread(run, items))

    async def scenario() -> list[int]:
        first = asyncio.ensure_future(combiner.submit(1))
        await asyncio.to_thread(first_started.wait, 10)
        later = [asyncio.ensure_future(combiner.submit(item)) for item in (2, 3, 4)]
        await asyncio.sleep(0)  # let them queue up behind the running batch
        release_first.set()
        return await asyncio.gather(first, *later)

    assert asyncio.run(scenario()) == [10, 20, 30, 40]
    assert batches == [[1], [2, 3, 4]]
    assert (combiner.batches, combiner.items) == (2, 4)


def test_a_failed_batch_is_retried_one_by_one_so_each_caller_gets_its_own_outcome() -> None:
    async def run(items: list[int]) -> list[int]:
        if 13 in items:
            raise ValueError("unlucky")
        return [-item for item in items]

    combiner: Combiner[int, int] = Combiner(run, max_batch=8)

    async def scenario() -> list[object]:
        return await asyncio.gather(
            *(combiner.submit(item) for item in (1, 13, 2)), return_exceptions=True
        )

    outcomes = asyncio.run(scenario())
    assert outcomes[0] == -1 and outcomes[2] == -2
    assert isinstance(outcomes[1], ValueError)


def test_batches_hold_at_most_max_batch_items() -> None:
    sizes: list[int] = []

    async def run(items: list[int]) -> list[int]:
        sizes.append(len(items))
        return items

    combiner: Combiner[int, int] = Combiner(run, max_batch=2)

    async def scenario() -> list[int]:
        return await asyncio.gather(*(combiner.submit(item) for item in range(5)))

    assert asyncio.run(scenario()) == list(range(5))
    assert max(sizes) <= 2 and sum(sizes) == 5


@pytest.mark.parametrize("max_batch", [1, 64])
def test_every_caller_is_answered_in_its_own_order(max_batch: int) -> None:
    async def run(items: list[int]) -> list[str]:
        return [f"#{item}" for item in items]

    combiner: Combiner[int, str] = Combiner(run, max_batch=max_batch)

    async def scenario() -> list[str]:
        return await asyncio.gather(*(combiner.submit(item) for item in range(20)))

    assert asyncio.run(scenario()) == [f"#{item}" for item in range(20)]
