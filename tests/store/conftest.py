"""Every store backend, opened on fresh storage and seeded with the shared fixture data.

"remote" is a `SyncedStore` whose replica is linked to a real `agentdesk serve` process on a
throwaway PostgreSQL database (tests/store/remote_backend.py); after each test it must converge
with the server. Tests marked `offline_replica` run it with the link down (see OFFLINE_MARK).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agentdesk.store.base import Store
from agentdesk.store.memory import MemoryStore
from agentdesk.store.remote import SyncedStore
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import seed
from tests.store.remote_backend import (
    OFFLINE_MARK,
    RemoteServer,
    assert_converged,
    remote_store,
    running_server,
)

# "sqlite-reopened": an existing, up-to-date file opened again, the way a launch opens it (the
# SQLAlchemy side is built on first use rather than while opening).
BACKENDS = ["memory", "sqlite", "sqlite-reopened", "remote"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{OFFLINE_MARK}: with the remote backend, the test drives the outbox by hand, so the "
        "replica's link stays down and convergence with the server is not checked",
    )


def make_store(backend: str, tmp_path: Path) -> Store:
    if backend == "memory":
        return MemoryStore()
    return SqliteStore(tmp_path / "agentdesk.db", create=True)


@pytest.fixture(scope="session")
def remote_server() -> Iterator[RemoteServer]:
    with running_server() as server:
        yield server


@pytest.fixture(params=BACKENDS)
async def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "remote":
        async for store in _remote(request, tmp_path):
            yield store
        return
    store = make_store(request.param, tmp_path)
    await store.open()
    if request.param == "sqlite-reopened":
        await store.close()
        store = SqliteStore(tmp_path / "agentdesk.db")
        await store.open()
    yield store
    await store.close()


async def _remote(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SyncedStore]:
    server: RemoteServer = request.getfixturevalue("remote_server")
    pusher, reader = server.fresh_accounts()
    offline = request.node.get_closest_marker(OFFLINE_MARK) is not None
    store = remote_store(tmp_path / "agentdesk.db", server, pusher, online=not offline)
    await store.open()
    try:
        yield store
        if not offline:
            await assert_converged(store, server, reader, tmp_path)
    finally:
        await store.close()


@pytest.fixture
async def store(empty_store: Store) -> Store:
    await seed(empty_store)
    return empty_store
