"""SqliteStore: the local, embedded backend.

The async methods hand synchronous work to one dedicated thread, so the event loop never blocks
on the database and the connection is only ever used from one thread.

Opening is quick: the checks, the connection and the reads a launch waits for (the agent, the
queue's count and windows, in `direct`) need only the standard library. SQLAlchemy and SQLModel,
which the other methods use, take longer to import than all of that; they are imported on a
thread of their own, either once the store has been quiet for a moment (so the import does not
compete with painting the first screen) or when a method first needs them. The event loop
never imports them itself. Alembic is imported only when a migration is due.
"""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.errors import DomainError
from agentdesk.domain.held_claims import HeldClaim
from agentdesk.domain.lead_board import Horizons, QueueClocks
from agentdesk.domain.metrics import MetricsSnapshot, ScreenSession, Window
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
from agentdesk.domain.outbox import PushResult, SyncConflict, SyncStatus
from agentdesk.domain.reference_sync import RuleDocument
from agentdesk.domain.remote import RemotePage
from agentdesk.domain.reviews import (
    CaseReview,
    Certification,
    ReviewChange,
    ReviewRow,
    SkillChange,
)
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.store.base import (
    CertificationBuilder,
    Mutation,
    ReviewBuilder,
    Store,
    StoreInfo,
    TicketQuery,
)
from agentdesk.store.errors import StoreError, Unavailable
from agentdesk.store.sqlite import connection as sqlite_connection
from agentdesk.store.sqlite import direct, preflight
from agentdesk.store.sqlite.revisions import HEAD_REVISION

if TYPE_CHECKING:
    from agentdesk.store.sqlite.database import Database

Result = TypeVar("Result")

# The modules behind the SQLAlchemy side, imported together on the loader thread.
SQLALCHEMY_SIDE = (
    "agentdesk.store.sqlite.database",
    "agentdesk.store.sqlite.tickets",
    "agentdesk.store.sqlite.reference",
    "agentdesk.store.sqlite.kb",
    "agentdesk.store.sqlite.oplog",
    "agentdesk.store.sqlite.routing",
    "agentdesk.store.sqlite.metrics",
    "agentdesk.store.sqlite.reviews",
)
# How long the store must have been idle before SQLAlchemy is imported in the background:
# long enough for the screen that asked for the first reads to have painted them.
QUIET_BEFORE_LOADING_SECONDS = 0.3


def _import_sqlalchemy_side() -> None:
    for name in SQLALCHEMY_SIDE:
        importlib.import_module(name)


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
        self._connection: sqlite3.Connection | None = None
        self._database: Database | None = None  # built on the store's thread when needed
        self._executor: ThreadPoolExecutor | None = None
        # Importing the SQLAlchemy side: started once, by whoever needs it first.
        self._loading: Future[None] | None = None
        self._loading_lock = threading.Lock()
        # Calls in flight and when the last one ended, to load SQLAlchemy only when quiet.
        self._busy = 0
        self._quiet_since = 0.0
        self._load_timer: asyncio.TimerHandle | None = None

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        if self._connection is not None:
            return
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentdesk-sqlite")
        loop = asyncio.get_running_loop()
        try:
            connection, database, client_id = await loop.run_in_executor(executor, self._open)
        except BaseException:
            executor.shutdown(wait=False)
            raise
        self._connection, self._database, self._executor = connection, database, executor
        self.client_id = client_id
        self._quiet_since = loop.time()
        if database is None:
            self._load_when_quiet()

    def _open(self) -> tuple[sqlite3.Connection, Database | None, str]:
        """Check and connect; build the SQLAlchemy side now only if a write is due."""
        checked = preflight.check(self.path, create=self.create)
        try:
            connection = sqlite_connection.connect(self.path)
        except sqlite3.Error as error:
            translated = self._translate(error)
            if translated is None:
                raise
            raise translated from error
        database: Database | None = None
        try:
            found = None if checked.needs_migration else direct.client_id(connection)
            if found is not None:
                return connection, None, found
            # A new, old or half-made database: migrate and make its client id.
            database = self._build_database(connection, "")
            if checked.needs_migration:
                from agentdesk.store.sqlite.migrate import upgrade

                upgrade(database)
            found = database.load_client_id(self._requested_client_id)
            return connection, database, found
        except BaseException as error:
            if database is not None:
                database.engine.dispose()
            connection.close()
            if isinstance(error, StoreError):
                raise
            translated = self._translate(error, database)
            if translated is None:
                raise
            raise translated from error

    def _open_database(self) -> Database:
        """Open synchronously, SQLAlchemy side included (for tests below the async interface)."""
        connection, database, client_id = self._open()
        return database or self._build_database(connection, client_id)

    def _build_database(self, connection: sqlite3.Connection, client_id: str) -> Database:
        self._sqlalchemy_side().result()
        from agentdesk.store.sqlite.database import Database

        database = Database(self.path, connection)
        database.client_id = client_id
        return database

    def _database_now(self) -> Database:
        """The SQLAlchemy side, built on first use (runs on the store's thread)."""
        database = self._database
        if database is None:
            connection = self._connection
            if connection is None:
                raise Unavailable("the store is not open")
            database = self._database = self._build_database(connection, self.client_id)
        return database

    async def close(self) -> None:
        connection, executor = self._connection, self._executor
        if connection is None or executor is None:
            return
        self._connection = self._executor = None
        if self._load_timer is not None:
            self._load_timer.cancel()
            self._load_timer = None
        try:
            await asyncio.get_running_loop().run_in_executor(executor, self._close, connection)
        finally:
            executor.shutdown(wait=False)

    def _close(self, connection: sqlite3.Connection) -> None:
        database, self._database = self._database, None
        if database is not None:
            database.close()  # the engine closes the connection
        else:
            sqlite_connection.close(connection)

    def info(self) -> StoreInfo:
        return StoreInfo("sqlite", str(self.path), self.client_id, HEAD_REVISION)

    # -- loading the SQLAlchemy side -------------------------------------------------------
    def _sqlalchemy_side(self) -> Future[None]:
        """The import of the SQLAlchemy side, started now if nobody has started it yet.

        Only ever one thread imports it: two threads importing one package's modules at
        once can each wait for a module the other is half-way through.
        """
        with self._loading_lock:
            if self._loading is None:
                loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="agentdesk-load")
                self._loading = loader.submit(_import_sqlalchemy_side)
                loader.shutdown(wait=False)  # its thread ends after this one job
            return self._loading

    async def _sqlalchemy_ready(self) -> None:
        """Wait, without blocking the event loop, until the SQLAlchemy side is imported.

        Every method that uses it awaits this before importing its query module, so the
        event loop only ever finds the module already loaded.
        """
        loading = self._sqlalchemy_side()
        if not loading.done():
            await asyncio.wrap_future(loading)
        loading.result()

    def _load_when_quiet(self) -> None:
        """Start the background import once no call has been in flight for a moment."""
        self._load_timer = None
        if self._executor is None or self._loading is not None:
            return
        loop = asyncio.get_running_loop()
        quiet = loop.time() - self._quiet_since
        if self._busy or quiet < QUIET_BEFORE_LOADING_SECONDS:
            wait = QUIET_BEFORE_LOADING_SECONDS - (0 if self._busy else quiet)
            self._load_timer = loop.call_later(wait, self._load_when_quiet)
            return
        self._sqlalchemy_side()

    # -- running work on the store's thread ------------------------------------------------
    async def _on_thread(self, work: Callable[[], Result]) -> Result:
        executor = self._executor
        if executor is None:
            raise Unavailable("the store is not open")
        loop = asyncio.get_running_loop()
        self._busy += 1
        try:
            return await loop.run_in_executor(executor, self._guarded, work)
        finally:
            self._busy -= 1
            self._quiet_since = loop.time()

    def _guarded(self, work: Callable[[], Result]) -> Result:
        """Run `work`, letting store and domain errors through and translating driver errors."""
        try:
            return work()
        except (StoreError, DomainError):
            raise
        except Exception as error:
            translated = self._translate(error, self._database)
            if translated is None:
                raise
            raise translated from error

    def _translate(
        self, error: BaseException, database: Database | None = None
    ) -> StoreError | None:
        if database is not None:
            return database.translate(error)  # SQLAlchemy's errors wrap the driver's
        return sqlite_connection.translate(self.path, error)

    async def _read_direct(self, work: Callable[..., Result], *args: Any) -> Result:
        """Run a `direct` read on the connection itself: no SQLAlchemy needed."""
        connection = self._connection
        if connection is None:
            raise Unavailable("the store is not open")
        return await self._on_thread(lambda: work(connection, *args))

    async def _read(self, work: Callable[..., Result], *args: Any) -> Result:
        def run() -> Result:
            with self._database_now().reading() as connection:
                return work(connection, *args)

        return await self._on_thread(run)

    async def _write(self, work: Callable[..., Result], *args: Any, durable: bool = True) -> Result:
        def run() -> Result:
            with self._database_now().writing(durable=durable) as tx:
                return work(tx, *args)

        return await self._on_thread(run)

    # -- reference data --------------------------------------------------------------------
    async def agent_by_handle(self, handle: str) -> Agent:
        return await self._read_direct(direct.agent_by_handle, handle)

    async def agents(self) -> list[Agent]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        return await self._read(reference.agents)

    async def departments(self) -> list[Department]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        return await self._read(reference.departments)

    async def customer(self, customer_id: str) -> Customer:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        return await self._read(reference.customer, customer_id)

    # -- reading tickets -------------------------------------------------------------------
    async def count_tickets(self, query: TicketQuery) -> int:
        return await self._read_direct(direct.count, query)

    async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
        return await self._read_direct(direct.window, query, offset, limit)

    async def current_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]:
        return await self._read_direct(direct.current_tickets, list(agent_ids))

    async def ticket(self, ticket_id: str) -> Ticket:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.load, ticket_id)

    async def ticket_by_number(self, number: int) -> Ticket:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.by_number, number)

    async def messages(self, ticket_id: str) -> list[Message]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.messages, ticket_id)

    async def customer_tickets(self, customer_id: str, limit: int = 20) -> list[TicketRow]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.customer_tickets, customer_id, limit)

    async def audit_events(self, ticket_id: str) -> list[AuditEvent]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets

        return await self._read(tickets.audit_events, ticket_id)

    async def iter_tickets(self, batch: int = 1000) -> AsyncIterator[list[Ticket]]:
        await self._sqlalchemy_ready()
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
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import kb

        return await self._read(kb.search, text, limit)

    async def article(self, article_id: str) -> KbArticle:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import kb

        return await self._read(kb.article, article_id)

    async def articles(self) -> list[KbArticle]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import kb

        return await self._read(kb.articles)

    async def scripts(self) -> list[Script]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        return await self._read(reference.scripts)

    async def script(self, script_id: str) -> Script:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        return await self._read(reference.script, script_id)

    # -- bulk writes -----------------------------------------------------------------------
    async def add_departments(self, departments: Sequence[Department]) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_departments, list(departments))

    async def add_agents(self, agents: Sequence[Agent]) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_agents, list(agents))

    async def add_customers(self, customers: Sequence[Customer]) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_customers, list(customers))

    async def add_articles(self, articles: Sequence[KbArticle]) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import kb

        await self._write(kb.add_articles, list(articles))

    async def add_scripts(self, scripts: Sequence[Script]) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reference

        await self._write(reference.add_scripts, list(scripts))

    async def edit_script(self, script: Script, *, now: datetime) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote_reference

        await self._write(remote_reference.edit_script, script, now)

    async def edit_article(self, article: KbArticle, *, now: datetime) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote_reference

        await self._write(remote_reference.edit_article, article, now)

    async def add_tickets(self, tickets: Sequence[NewTicket], *, now: datetime) -> list[Ticket]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets as ticket_queries

        return await self._write(ticket_queries.add, list(tickets), now, self.policies)

    async def operations(self, after_seq: int = 0, limit: int = 1000) -> list[Operation]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        return await self._read(oplog.after, after_seq, limit)

    # -- outbox ----------------------------------------------------------------------------
    async def pending_operations(self, limit: int = 100) -> list[Operation]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        return await self._read(oplog.pending, limit)

    async def record_push_results(self, results: Sequence[PushResult], *, now: datetime) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        await self._write(oplog.record_results, list(results), now)

    async def record_push_failure(self, op_id: str, error: str) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        await self._write(oplog.record_failure, op_id, error)

    async def conflicts(self) -> list[SyncConflict]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        return await self._read(oplog.conflicts)

    async def dismiss_conflict(self, op_id: str, *, now: datetime) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        await self._write(oplog.dismiss, op_id, now)

    async def sync_status(self) -> SyncStatus:
        return await self._read_direct(direct.sync_status)

    async def apply_remote(self, page: RemotePage) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote

        # A page lost to a power cut is pulled again: its cursor commits with it.
        await self._write(remote.apply_page, page, durable=False)

    # -- metrics ---------------------------------------------------------------------------
    async def record_screen_sessions(self, sessions: Sequence[ScreenSession]) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import metrics

        await self._write(metrics.record_sessions, list(sessions))

    async def screen_sessions(self, ticket_id: str) -> list[ScreenSession]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import metrics

        return await self._read_direct(metrics.sessions, ticket_id)

    async def metrics_snapshot(
        self, windows: Sequence[Window], *, now: datetime
    ) -> MetricsSnapshot:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import metrics

        return await self._read_direct(metrics.snapshot, list(windows), now)

    async def rebase_tickets(
        self, tickets: Sequence[Ticket], messages: Sequence[Message] = ()
    ) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote

        await self._write(remote.rebase_tickets, list(tickets), list(messages))

    async def pulled_rules(self) -> list[RuleDocument]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote_reference

        return await self._read(remote_reference.pulled_rules)

    async def begin_resync(self) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote

        await self._write(remote.begin_resync)

    async def finish_resync(self, fresh: Collection[str]) -> int:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote

        return await self._write(remote.finish_resync, frozenset(fresh))

    async def answers_with_reasons(self, since: datetime) -> list[SyncConflict]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import oplog

        return await self._read(oplog.answers_with_reasons, since)

    async def observe_server_time(self, at: datetime) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import remote

        await self._write(remote.observe_server_time, at)

    async def queue_clocks(self, *, now: datetime, horizons: Horizons) -> dict[str, QueueClocks]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import metrics

        return await self._read_direct(metrics.queue_clocks, now, horizons)

    # -- primitives ------------------------------------------------------------------------
    async def _mutate(self, ticket_id: str, mutation: Mutation) -> Change:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import tickets

        return await self._write(tickets.mutate, ticket_id, mutation)

    async def claim_next(
        self,
        agent: Agent,
        now: datetime,
        policy: RoutingPolicy | None = None,
        *,
        reserved_only: bool = False,
    ) -> Ticket | None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import held, routing

        claim = held.claim_reserved if reserved_only else routing.claim
        return await self._write(claim, agent, now, policy or self.routing_policy)

    async def held_claims(self) -> list[HeldClaim]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import held

        return await self._read(held.held)

    async def record_claims(self, current: Sequence[HeldClaim], *, now: datetime) -> None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import held

        await self._write(held.record, list(current), now)

    async def auto_assign(
        self, ticket_id: str, now: datetime, policy: RoutingPolicy | None = None
    ) -> Ticket | None:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import routing

        return await self._write(routing.auto_assign, ticket_id, now, policy or self.routing_policy)

    async def active_load(self, agent_id: str) -> int:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import routing

        return await self._read_direct(routing.active_load, agent_id)

    # -- quality reviews and certification -------------------------------------------------
    async def _write_review(
        self, ticket_id: str, reviewer_id: str, build: ReviewBuilder
    ) -> ReviewChange:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reviews

        return await self._write(reviews.write_review, ticket_id, reviewer_id, build)

    async def _write_certification(
        self, agent_id: str, actor_id: str, build: CertificationBuilder
    ) -> Certification:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reviews

        return await self._write(reviews.write_certification, agent_id, actor_id, build)

    async def ticket_reviews(self, ticket_id: str) -> list[CaseReview]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reviews

        return await self._read(reviews.ticket_reviews, ticket_id)

    async def agent_reviews(self, agent_id: str, limit: int = 200) -> list[ReviewRow]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reviews

        return await self._read(reviews.agent_reviews, agent_id, limit)

    async def skill_changes(self, agent_id: str) -> list[SkillChange]:
        await self._sqlalchemy_ready()
        from agentdesk.store.sqlite import reviews

        return await self._read(reviews.skill_changes, agent_id)
