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


def test_after_a_batch_of_several_the_next_waits_for_as_many_to_come_back() -> None:
    batches: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        batches.append(list(items))
        return items

    # A long linger: the wait must end because the callers are back, not because time ran out.
    combiner: Combiner[int, int] = Combiner(run, linger=60.0)

    async def caller(first: int) -> None:
        # Each caller submits again as soon as it has its answer, as a busy client does.
        await combiner.submit(first)
        for _ in range(3 * first):
            await asyncio.sleep(0)  # the callers come back in different loop iterations
        await combiner.submit(first + 10)

    async def scenario() -> None:
        await asyncio.wait_for(asyncio.gather(*(caller(item) for item in (1, 2, 3))), 30)

    asyncio.run(scenario())
    assert batches == [[1, 2, 3], [11, 12, 13]]


def test_a_lone_caller_never_waits_and_a_shrinking_load_stops_the_waiting() -> None:
    batches: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        batches.append(list(items))
        return items

    combiner: Combiner[int, int] = Combiner(run, linger=0.01)

    async def scenario() -> None:
        await asyncio.gather(*(combiner.submit(item) for item in (1, 2, 3)))
        await combiner.submit(4)  # only one comes back: it waits out the linger, then goes
        # The last batch had one item: the next lone caller goes at once (a 60 s linger on a
        # lone caller would trip the guard).
        combiner.linger = 60.0
        await asyncio.wait_for(combiner.submit(5), 30)

    asyncio.run(scenario())
    assert batches == [[1, 2, 3], [4], [5]]
