"""The SQLite store's quick open: the reads a launch waits for need no SQLAlchemy.

The agent, the queue's count and its windows are read in plain SQL (`direct`); SQLAlchemy
loads on a thread of its own once the store is quiet, or when a method first needs it.
Whether SQLAlchemy got imported is checked in a fresh interpreter, since this one has it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Channel, Priority, TicketRow, TicketStatus
from agentdesk.store.base import Scope, Store, TicketQuery
from agentdesk.store.memory import MemoryStore
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import AGENTS, CUSTOMERS, DEPARTMENTS, NOW, seed

REPO = Path(__file__).resolve().parents[2]
JUNIOR, SENIOR, LEAD = AGENTS


def run_python(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)


async def build_file(path: Path) -> Path:
    store = SqliteStore(path, create=True)
    await store.open()
    await seed(store)
    await store.close()
    return path


def seeded_file(path: Path) -> Path:
    return asyncio.run(build_file(path))


# -- what a launch imports -----------------------------------------------------------------
LAUNCH = """
import asyncio, sys
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.sqlite import store as backend

backend.QUIET_BEFORE_LOADING_SECONDS = {quiet}

async def main():
    store = backend.SqliteStore({path!r})
    await store.open()
    agent = await store.agent_by_handle("junior")
    query = TicketQuery(scope=Scope.TEAM, agent_id=agent.id, departments=agent.departments)
    count = await store.count_tickets(query)
    rows = await store.ticket_rows(query, 0, 100)
    assert count == len(rows) > 0, (count, rows)
    assert "sqlalchemy" not in sys.modules, "the launch reads imported SQLAlchemy"
{then}
asyncio.run(main())
"""


def test_launch_reads_need_no_sqlalchemy_and_later_methods_load_it(tmp_path: Path) -> None:
    path = seeded_file(tmp_path / "desk.db")
    then = """
    ticket = await store.ticket(rows[0].id)  # needs SQLAlchemy: loaded on demand
    assert ticket.number == rows[0].number
    assert "sqlalchemy" in sys.modules
    await store.close()
"""
    run_python(LAUNCH.format(path=str(path), quiet=60, then=then))


def test_sqlalchemy_loads_in_the_background_once_the_store_is_quiet(tmp_path: Path) -> None:
    path = seeded_file(tmp_path / "desk.db")
    then = """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while "agentdesk.store.sqlite.database" not in sys.modules:
        assert loop.time() < deadline, "SQLAlchemy never loaded"
        await asyncio.sleep(0.01)
    await store.close()
"""
    run_python(LAUNCH.format(path=str(path), quiet=0.05, then=then))


def test_background_load_waits_while_the_store_is_busy(tmp_path: Path) -> None:
    path = seeded_file(tmp_path / "desk.db")
    then = """
    for _ in range(40):  # a read every 10 ms: never quiet for the second it waits for
        await store.ticket_rows(query, 0, 10)
        await asyncio.sleep(0.01)
    assert "sqlalchemy" not in sys.modules, "loaded while the store was busy"
    await store.close()
    await asyncio.sleep(1.5)
    assert "sqlalchemy" not in sys.modules, "loaded after the store was closed"
"""
    run_python(LAUNCH.format(path=str(path), quiet=1.0, then=then))


async def test_reopened_store_reads_and_writes_on_one_connection(tmp_path: Path) -> None:
    """Direct reads see what the SQLAlchemy side wrote, and the other way round."""
    path = await build_file(tmp_path / "desk.db")
    store = SqliteStore(path)
    await store.open()
    mine = TicketQuery(scope=Scope.MINE, agent_id=JUNIOR.id)
    assert await store.count_tickets(mine) == 0
    first = (await store.ticket_rows(TicketQuery(scope=Scope.ALL), 0, 1))[0]
    await store.assign(first.id, JUNIOR.id, actor_id=LEAD.id, now=NOW)
    assert [row.id for row in await store.ticket_rows(mine, 0, 10)] == [first.id]
    assert (await store.ticket(first.id)).assignee_id == JUNIOR.id
    await store.close()


# -- direct reads against the reference behaviour ------------------------------------------
@dataclass
class Twins:
    loop: asyncio.AbstractEventLoop
    sqlite: Store
    memory: Store

    def run(
        self, store: Store, query: TicketQuery, offset: int, limit: int
    ) -> tuple[int, list[TicketRow]]:
        """The count and window, ids left out (the fixture's own tickets get random ones)."""

        async def read() -> tuple[int, list[TicketRow]]:
            rows = await store.ticket_rows(query, offset, limit)
            return await store.count_tickets(query), [replace(row, id="") for row in rows]

        return self.loop.run_until_complete(read())


def extra_tickets() -> list[NewTicket]:
    """Forty more tickets over every department, priority and customer, with fixed ids."""
    priorities = list(Priority)
    return [
        NewTicket(
            f"Order {i} question about kettle {i % 7}",
            "Body",
            CUSTOMERS[i % len(CUSTOMERS)].id,
            DEPARTMENTS[i % len(DEPARTMENTS)].id,
            priorities[i % len(priorities)],
            list(Channel)[i % len(Channel)],
            ["track_order", "get_refund", "complaint"][i % 3],
            created_at=NOW - timedelta(minutes=7 * i),
            id=f"tk-extra-{i:02d}",
            message_id=f"ms-extra-{i:02d}",
        )
        for i in range(40)
    ]


async def build_twin(store: Store) -> None:
    await store.open()
    await seed(store)
    await store.add_tickets(extra_tickets(), now=NOW)
    for number in range(1, 30, 3):
        ticket = await store.ticket_by_number(number)
        agent = AGENTS[number % len(AGENTS)]
        await store.assign(ticket.id, agent.id, actor_id=LEAD.id, now=NOW)
        if number % 2:
            await store.reply(ticket.id, "On it", author_id=agent.id, now=NOW)


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    loop = asyncio.new_event_loop()
    path = tmp_path_factory.mktemp("twins") / "desk.db"
    created = SqliteStore(path, create=True)
    memory = MemoryStore()
    for store in (created, memory):
        loop.run_until_complete(build_twin(store))
    loop.run_until_complete(created.close())
    reopened = SqliteStore(path)  # the quick open: queue reads go straight to SQLite
    loop.run_until_complete(reopened.open())
    yield Twins(loop, reopened, memory)
    loop.run_until_complete(reopened.close())
    loop.close()


texts = st.one_of(
    st.sampled_from(
        ["", "#3", "3", " 12 ", "#", "kettle", "KETTLE 3", "ada", "order 1", "%", "_", "'"]
    ),
    st.sampled_from(["99999999999999999999999", "#-1", "\u0663", "ß"]),
    st.integers(0, 60).map(lambda number: f"#{number}"),
    st.text(max_size=4),
)
queries = st.builds(
    TicketQuery,
    scope=st.sampled_from(Scope),
    agent_id=st.one_of(st.none(), st.sampled_from([agent.id for agent in AGENTS])),
    departments=st.lists(
        st.sampled_from([department.id for department in DEPARTMENTS] + ["nowhere"]),
        unique=True,
        max_size=3,
    ).map(tuple),
    text=texts,
    statuses=st.lists(st.sampled_from(TicketStatus), unique=True, max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(query=queries, offset=st.integers(0, 50), limit=st.integers(0, 30))
def test_direct_queue_reads_match_the_reference(
    twins: Twins, query: TicketQuery, offset: int, limit: int
) -> None:
    assert twins.run(twins.sqlite, query, offset, limit) == twins.run(
        twins.memory, query, offset, limit
    )


def test_direct_reads_see_renamed_customers(twins: Twins) -> None:
    query = TicketQuery(scope=Scope.ALL, text="ada")
    assert twins.run(twins.sqlite, query, 0, 100)[0] > 0
    renamed = replace(CUSTOMERS[0], name="Augusta King")
    for store in (twins.sqlite, twins.memory):
        twins.loop.run_until_complete(store.add_customers([renamed]))
    for text in ("ada", "augusta"):
        query = TicketQuery(scope=Scope.ALL, text=text)
        assert twins.run(twins.sqlite, query, 0, 100) == twins.run(twins.memory, query, 0, 100)
