"""Every store backend, opened on fresh storage and seeded with the shared fixture data."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agentdesk.store.base import Store
from agentdesk.store.memory import MemoryStore
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import seed

# "sqlite-reopened": an existing, up-to-date file opened again, the way a launch opens it (the
# SQLAlchemy side is built on first use rather than while opening).
BACKENDS = ["memory", "sqlite", "sqlite-reopened"]


def make_store(backend: str, tmp_path: Path) -> Store:
    if backend == "memory":
        return MemoryStore()
    return SqliteStore(tmp_path / "agentdesk.db", create=True)


@pytest.fixture(params=BACKENDS)
async def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    store = make_store(request.param, tmp_path)
    await store.open()
    if request.param == "sqlite-reopened":
        await store.close()
        store = SqliteStore(tmp_path / "agentdesk.db")
        await store.open()
    yield store
    await store.close()


@pytest.fixture
async def store(empty_store: Store) -> Store:
    await seed(empty_store)
    return empty_store
