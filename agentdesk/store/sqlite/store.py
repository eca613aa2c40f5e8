"""SqliteStore: the local, embedded backend.

The async methods hand synchronous work to one dedicated thread, so the event loop never blocks
on the database and the connection is only ever used from one thread. SQLAlchemy, SQLModel and
(when a migration is due) Alembic are imported on that thread during `open()`, which keeps
importing this module cheap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.errors import DomainError
from agentdesk.domain.model import (
    Agent,
    AuditEvent,
    Customer,
    Department,
    KbArticle,
    KbHit,
    Message,
    Operation,
    Script,
    Ticket,
    TicketRow,
)
from agentdesk.store.base import Mutation, Store, StoreInfo, TicketQuery
from agentdesk.store.errors import StoreError, Unavailable
from agentdesk.store.sqlite import preflight
from agentdesk.store.sqlite.revisions import HEAD_REVISION

if TYPE_CHECKING:
    from agentdesk.store.sqlite.database import Database

Result = TypeVar("Result")


class SqliteStore(Store):
    """A store in one SQLite file.

    `create=True` makes the file (and its folder) if missing. `client_id` names this database
    in the operation log when the file is created; an existing file keeps the id it has.
    """

    def __init__(
        self, path: Path | str, *, create: bool = False, client_id: str | None = None
    ) -> None:
        self.path = Path(path)
        self.create = create
        self.client_id = client_id or ""
        self._requested_client_id = client_id
        self._database: Database | None = None
        self._executor: ThreadPoolExecutor | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        if self._database is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentdesk-sqlite")
        try:
            database = await asyncio.get_running_loop().run_in_executor(
                executor, self._open_database
            )
        except BaseException:
            executor.shutdown(wait=False)
            raise
        self._database, self._executor = database, executor
        self.client_id = database.client_id

    def _open_database(self) -> Database:
        checked = preflight.check(self.path, create=self.create)
        from agentdesk.store.sqlite.database import Database

        database = Database(self.path)
        try:
            if checked.needs_migration:
                from agentdesk.store.sqlite.migrate import upgrade

                upgrade(database)
            database.load_client_id(self._requested_client_id)
        except BaseException as error:
            database.engine.dispose()
            translated = database.translate(error)
            if translated is None:
                raise
            raise translated from error
        return database

    async def close(self) -> None:
        database, executor = self._database, self._executor
        if database is None or executor is None:
            return
        self._database = self._executor = None
        try:
            await asyncio.get_running_loop().run_in_executor(executor, database.close)
        finally:
            executor.shutdown(wait=False)

    def info(self) -> StoreInfo:
        return StoreInfo("sqlite", str(self.path), self.client_id, HEAD_REVISION)

    # -- running work on the store's thread ------------------------------------------------
    async def _run(self, work: Callable[[Database], Result]) -> Result:
        database, executor = self._database, self._executor
        if database is None or executor is None:
            raise Unavailable("the store is not open")
        return await asyncio.get_running_loop().run_in_executor(
            executor, partial(_guarded, database, work)
        )

    async def _read(self, work: Callable[..., Result], *args: Any) -> Result:
        def run(database: Database) -> Result:
            with database.reading() as connection:
                return work(connection, *args)

        return await self._run(run)

    async def _write(self, work: Callable[..., Result], *args: Any) -> Result:
        def run(database: Database) -> Result:
            with database.writing() as tx:
                return work(tx, *args)

        return await self._run(run)

    # -- reference data --------------------------------------------------------------------
    async def agent_by_handle(self, handle: str) -> Agent:
        from agentdesk.store.sqlite import reference

        return await self._read(reference.agent_by_handle, handle)

    async def agents(self) -> list[Agent]:
        from agentdesk.store.sqlite import reference

        return await self._read(reference.agents)

    async def departments(self) -> list[Department]:
        from agentdesk.store.sqlite import reference

        return await self._read(reference.departments)

    async def customer(self, customer_id: str) -> Customer:
        from agentdesk.store.sqlite import reference

        return await self._read(reference.customer, customer_id)

    # -- reading tickets -------------------------------------------------------------------
    async def count_tickets(self, query: TicketQuery) -> int:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.count, query)

    async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.window, query, offset, limit)

    async def ticket(self, ticket_id: str) -> Ticket:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.load, ticket_id)

    async def ticket_by_number(self, number: int) -> Ticket:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.by_number, number)

    async def messages(self, ticket_id: str) -> list[Message]:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.messages, ticket_id)

    async def customer_tickets(self, customer_id: str, limit: int = 20) -> list[TicketRow]:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.customer_tickets, customer_id, limit)

    async def audit_events(self, ticket_id: str) -> list[AuditEvent]:
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.audit_events, ticket_id)

    async def iter_tickets(self, batch: int = 1000) -> AsyncIterator[list[Ticket]]:
        from agentdesk.store.sqlite import tickets

        after = 0
        while True:
            found = await self._read(tickets.batch_after, after, max(batch, 1))
            if not found:
                return
            yield found
            after = found[-1].number

    # -- knowledge base and scripts --------------------------------------------------------
    async def search_kb(self, text: str, limit: int = 20) -> list[KbHit]:
        from agentdesk.store.sqlite import kb

        return await self._read(kb.search, text, limit)

    async def article(self, article_id: str) -> KbArticle:
        from agentdesk.store.sqlite import kb

        return await self._read(kb.article, article_id)

    async def articles(self) -> list[KbArticle]:
        from agentdesk.store.sqlite import kb

        return await self._read(kb.articles)

    async def scripts(self) -> list[Script]:
        from agentdesk.store.sqlite import reference

        return await self._read(reference.scripts)

    async def script(self, script_id: str) -> Script:
        from agentdesk.store.sqlite import reference

        return await self._read(reference.script, script_id)

    # -- bulk writes -----------------------------------------------------------------------
    async def add_departments(self, departments: Sequence[Department]) -> None:
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_departments, list(departments))

    async def add_agents(self, agents: Sequence[Agent]) -> None:
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_agents, list(agents))

    async def add_customers(self, customers: Sequence[Customer]) -> None:
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_customers, list(customers))

    async def add_articles(self, articles: Sequence[KbArticle]) -> None:
        from agentdesk.store.sqlite import kb

        await self._write(kb.add_articles, list(articles))

    async def add_scripts(self, scripts: Sequence[Script]) -> None:
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_scripts, list(scripts))

    async def add_tickets(self, tickets: Sequence[NewTicket], *, now: datetime) -> list[Ticket]:
        from agentdesk.store.sqlite import tickets as ticket_queries

        return await self._write(ticket_queries.add, list(tickets), now, dict(self.policies))

    async def operations(self, after_seq: int = 0, limit: int = 1000) -> list[Operation]:
        from agentdesk.store.sqlite import oplog

        return await self._read(oplog.after, after_seq, limit)

    # -- primitives ------------------------------------------------------------------------
    async def _mutate(self, ticket_id: str, mutation: Mutation) -> Change:
        from agentdesk.store.sqlite import tickets

        return await self._write(tickets.mutate, ticket_id, mutation)

    async def claim_next(self, agent: Agent, now: datetime) -> Ticket | None:
        from agentdesk.store.sqlite import tickets

        return await self._write(tickets.claim, agent, now)


def _guarded(database: Database, work: Callable[[Database], Result]) -> Result:
    """Run `work`, letting store and domain errors through and translating driver errors."""
    try:
        return work(database)
    except (StoreError, DomainError):
        raise
    except Exception as error:
        translated = database.translate(error)
        if translated is None:
            raise
        raise translated from error
