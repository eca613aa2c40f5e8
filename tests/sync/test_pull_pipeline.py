"""The pull loop asks for the next page while the replica applies the current one.

The cursor still moves only with an applied page: a page fetched ahead and never applied (the
current one failed to apply, or the round failed) is simply asked for again next round.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from sqlalchemy import select

from agentdesk.domain.remote import RemotePage
from agentdesk.server import tables as t
from agentdesk.store.errors import Unavailable
from agentdesk.sync import Unreachable
from tests.sync.test_round_trip import Site, World, offline_ticket, world

__all__ = ["world"]


def _head(world: World) -> int:
    with world.engine.connect() as connection:  # type: ignore[attr-defined]
        return int(connection.execute(select(t.log_head.c.seq)).scalar_one())


def _pages_asked(site: Site) -> list[int]:
    return [
        int(body["cursor"])  # type: ignore[index]
        for _method, path, _status, body in site.transport.seen  # type: ignore[attr-defined]
        if path == "/sync/changes"
    ]


async def _three_tickets_logged(world: World) -> int:
    for _ in range(3):
        await offline_ticket(world.a.store)
    await world.a.sync()
    return _head(world)


async def test_the_next_page_is_asked_for_while_the_current_one_applies(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = await _three_tickets_logged(world)
    apply = world.b.store.apply_remote
    overlapped: list[bool] = []

    async def apply_waiting_for_the_next_request(page: RemotePage) -> None:
        asked = len(_pages_asked(world.b))
        if page.cursor < head:
            # Without a prefetch no request comes while this waits: it gives up after 5 s.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    while len(_pages_asked(world.b)) == asked:
                        await asyncio.sleep(0.005)
            overlapped.append(len(_pages_asked(world.b)) > asked)
        await apply(page)

    monkeypatch.setattr(world.b.store, "apply_remote", apply_waiting_for_the_next_request)
    report = await world.b.sync(pull_page=1)
    assert report.cursor == head == (await world.b.store.sync_status()).cursor
    assert len(overlapped) > 2 and all(overlapped)
    asked = _pages_asked(world.b)
    assert asked[0] == 0 and asked == sorted(set(asked))


async def test_a_page_that_fails_to_apply_leaves_the_cursor_after_the_last_applied_one(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = await _three_tickets_logged(world)
    store = world.b.store
    apply, applied = store.apply_remote, []

    async def second_page_fails(page: RemotePage) -> None:
        if applied:
            raise Unavailable("disk full")
        await apply(page)
        applied.append(page.cursor)

    monkeypatch.setattr(store, "apply_remote", second_page_fails)
    with pytest.raises(Unavailable):
        await world.b.sync(pull_page=1)
    # The third page, asked for ahead of the second's apply, is dropped (or cancelled).
    assert (await store.sync_status()).cursor == applied[0] < head
    monkeypatch.setattr(store, "apply_remote", apply)
    before = len(_pages_asked(world.b))
    report = await world.b.sync(pull_page=1)
    assert report.cursor == head and _pages_asked(world.b)[before] == applied[0]


class FailingAfter(httpx.AsyncBaseTransport):
    """Passes the first `pages` change requests on; the server is unreachable for the rest."""

    def __init__(self, inner: httpx.AsyncBaseTransport, pages: int) -> None:
        self.inner = inner
        self.pages = pages

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/sync/changes":
            if self.pages == 0:
                raise httpx.ConnectError("connection refused", request=request)
            self.pages -= 1
        return await self.inner.handle_async_request(request)


async def test_a_failed_prefetch_still_leaves_the_page_before_it_applied(world: World) -> None:
    head = await _three_tickets_logged(world)
    store = world.b.store
    flaky = Site(store, world.b.token, FailingAfter(world.b.transport, pages=1))
    with pytest.raises(Unreachable):
        await flaky.sync(pull_page=1)
    first = (await store.sync_status()).cursor
    assert 0 < first < head
    before = len(_pages_asked(world.b))
    report = await world.b.sync(pull_page=1)
    assert report.cursor == head and _pages_asked(world.b)[before] == first
