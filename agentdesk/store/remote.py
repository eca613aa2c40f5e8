"""The remote backend: a local replica that works offline, kept in step with the team server.

`SyncedStore` is a `Store` composed over another one, the replica (a `SqliteStore` in the app):
every read is the replica's, so reading never waits on the network, and every write commits
locally first (the op lands in the outbox in the same transaction, SYNC.md §4.2). After a
write that logs a pushable op, the store pushes the outbox at once while the link is up
(write-through); when a push fails the link is marked down and writes just queue until the next
successful `sync()` (a full round: push, then pull) brings it up again. Pulled pages reach the
replica through `apply_remote`, so the server's state wins exactly as `sync_once` defines it.

Composition rather than a SqliteStore subclass: the replica's transactions, thread and lazy
SQLAlchemy side stay its own; this class only adds the link. httpx (behind `agentdesk.sync`) is
imported on the first push, never at launch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.held_claims import HeldClaim, ReservePolicy
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
from agentdesk.domain.reviews import CaseReview, Certification, ReviewChange, ReviewRow, SkillChange
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.domain.sla import SlaPolicies
from agentdesk.domain.transfers import TransferRule
from agentdesk.store.base import (
    CertificationBuilder,
    Mutation,
    ReviewBuilder,
    Store,
    StoreInfo,
    TicketQuery,
)

if TYPE_CHECKING:
    import httpx

    from agentdesk.sync import SyncFailure, SyncReport


@dataclass(frozen=True, slots=True)
class ServerLink:
    """Where the replica syncs to, and as whom."""

    url: str
    token: str
    # Tests hand in an in-process transport; None is real HTTP.
    transport: httpx.AsyncBaseTransport | None = None
    # A write-through push waits at most this long before the write returns with the op queued.
    timeout: float = 5.0


class SyncedStore(Store):
    """A `Store` whose writes also reach the server (see the module docstring).

    `server=None` is a store that is not linked yet (the app finds its credentials only after
    the first screen is up): it behaves exactly like the replica until `connect_server()` is called.
    """

    def __init__(
        self,
        replica: Store,
        server: ServerLink | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.replica = replica
        self.server = server
        self.clock = clock
        # Unknown until tried: the first write or round finds out.
        self.online = server is not None
        self.last_failure: SyncFailure | None = None
        # One exchange with the server at a time: two concurrent pushes of the same outbox
        # would race on the per-client seq order.
        self._exchange = asyncio.Lock()
        self._written_meanwhile = False

    # -- the link --------------------------------------------------------------------------
    def connect_server(self, server: ServerLink) -> None:
        self.server = server
        self.online = True

    async def sync(
        self,
        *,
        now: datetime | None = None,
        pull_page: int | None = None,
        reserve: ReservePolicy | None = None,
    ) -> SyncReport:
        """A full round (push, then pull). Raises SyncFailure; the link state follows it."""
        from agentdesk.sync import SyncFailure, sync_once
        from agentdesk.sync.engine import PULL_PAGE

        server = self._linked()
        async with self._exchange:
            try:
                report = await sync_once(
                    self.replica,
                    server.url,
                    server.token,
                    self.client_id,
                    now=now or self.clock(),
                    transport=server.transport,
                    timeout=server.timeout,
                    pull_page=pull_page or PULL_PAGE,
                    reserve=reserve,
                )
            except SyncFailure as failure:
                self._went_down(failure)
                raise
            self.online, self.last_failure = True, None
            if self._written_meanwhile:
                # Writes made while this round pulled did not wait for it: push them now.
                await self._push_locked(server)
        return report

    async def push(self) -> SyncReport | None:
        """Push the outbox now if linked and up; None if not tried, deferred or failed (queued).

        A write never waits behind a round in progress (a catch-up may pull for a while): the
        round (or push) in progress pushes what was written meanwhile before it ends.
        """
        server = self.server
        if server is None or not self.online:
            return None
        if self._exchange.locked():
            self._written_meanwhile = True
            return None
        async with self._exchange:
            return await self._push_locked(server)

    async def _push_locked(self, server: ServerLink) -> SyncReport | None:
        from agentdesk.sync import SyncFailure, push_pending

        while True:
            self._written_meanwhile = False
            try:
                report = await push_pending(
                    self.replica,
                    server.url,
                    server.token,
                    self.client_id,
                    now=self.clock(),
                    transport=server.transport,
                    timeout=server.timeout,
                )
            except SyncFailure as failure:
                # The write stays committed locally and queued; the next round retries it.
                self._went_down(failure)
                return None
            if not self._written_meanwhile:
                return report

    def _went_down(self, failure: SyncFailure) -> None:
        self.online, self.last_failure = False, failure

    def _linked(self) -> ServerLink:
        if self.server is None:
            raise RuntimeError("the store is not linked to a server")
        return self.server

    @property
    def client_id(self) -> str:
        return self.replica.info().client_id

    # -- settings the app hands the store: the replica's actions run by them ---------------
    @property  # type: ignore[override]
    def policies(self) -> SlaPolicies:
        return self.replica.policies

    @policies.setter
    def policies(self, value: SlaPolicies) -> None:
        self.replica.policies = value

    @property  # type: ignore[override]
    def routing_policy(self) -> RoutingPolicy:
        return self.replica.routing_policy

    @routing_policy.setter
    def routing_policy(self, value: RoutingPolicy) -> None:
        self.replica.routing_policy = value

    @property  # type: ignore[override]
    def transfer_rules(self) -> tuple[TransferRule, ...]:
        return self.replica.transfer_rules

    @transfer_rules.setter
    def transfer_rules(self, value: tuple[TransferRule, ...]) -> None:
        self.replica.transfer_rules = value

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        await self.replica.open()

    async def close(self) -> None:
        await self.replica.close()

    def info(self) -> StoreInfo:
        local = self.replica.info()
        if self.server is None:
            return local  # not linked: the replica is all there is
        server = self.server.url
        extra = {**local.extra, "replica": f"{local.backend}:{local.location}", "server": server}
        return replace(local, backend="remote", location=server, extra=extra)

    # -- writes: commit locally, then push -------------------------------------------------
    async def _mutate(self, ticket_id: str, mutation: Mutation) -> Change:
        change = await self.replica._mutate(ticket_id, mutation)
        await self.push()
        return change

    async def add_tickets(self, tickets: Sequence[NewTicket], *, now: datetime) -> list[Ticket]:
        made = await self.replica.add_tickets(tickets, now=now)
        await self.push()
        return made

    async def claim_next(
        self,
        agent: Agent,
        now: datetime,
        policy: RoutingPolicy | None = None,
        *,
        reserved_only: bool = False,
    ) -> Ticket | None:
        claimed = await self.replica.claim_next(
            agent, now, policy or self.routing_policy, reserved_only=reserved_only
        )
        if claimed is not None:
            await self.push()
        return claimed

    async def auto_assign(
        self, ticket_id: str, now: datetime, policy: RoutingPolicy | None = None
    ) -> Ticket | None:
        assigned = await self.replica.auto_assign(ticket_id, now, policy or self.routing_policy)
        if assigned is not None:
            await self.push()
        return assigned

    async def edit_script(self, script: Script, *, now: datetime) -> None:
        await self.replica.edit_script(script, now=now)
        await self.push()

    async def edit_article(self, article: KbArticle, *, now: datetime) -> None:
        await self.replica.edit_article(article, now=now)
        await self.push()

    # Local-only kinds (sync_ops.LOCAL_ONLY_KINDS) below: nothing to push (a certification's
    # new level goes to the server's agent profile instead).
    async def _write_review(
        self, ticket_id: str, reviewer_id: str, build: ReviewBuilder
    ) -> ReviewChange:
        return await self.replica._write_review(ticket_id, reviewer_id, build)

    async def _write_certification(
        self, agent_id: str, actor_id: str, build: CertificationBuilder
    ) -> Certification:
        certification = await self.replica._write_certification(agent_id, actor_id, build)
        await self._publish_level(certification)
        return certification

    async def _publish_level(self, certification: Certification) -> None:
        """Best effort: the server's claim-next routes by the new level at once. Offline, or
        refused (the server does not know the agent, or sees this desk's login as no lead's),
        the level stays this desk's: an admin sets it with `agentdesk server set-agent`."""
        server = self.server
        if server is None or not self.online:
            return
        from agentdesk.sync import SyncFailure, Unreachable, publish_skill_level

        change = certification.change
        try:
            await publish_skill_level(
                server.url,
                server.token,
                certification.agent.handle,
                change.skill,
                change.new_level,
                transport=server.transport,
                timeout=server.timeout,
            )
        except Unreachable as failure:
            self._went_down(failure)
        except SyncFailure as failure:
            self.last_failure = failure

    async def record_screen_sessions(self, sessions: Sequence[ScreenSession]) -> None:
        await self.replica.record_screen_sessions(sessions)

    async def record_claims(self, current: Sequence[HeldClaim], *, now: datetime) -> None:
        await self.replica.record_claims(current, now=now)

    # Server copies and answers (the sync round's side of the replica): nothing to push.
    async def rebase_tickets(
        self, tickets: Sequence[Ticket], messages: Sequence[Message] = ()
    ) -> None:
        await self.replica.rebase_tickets(tickets, messages)

    async def answers_with_reasons(self, since: datetime) -> list[SyncConflict]:
        return await self.replica.answers_with_reasons(since)

    async def observe_server_time(self, at: datetime) -> None:
        await self.replica.observe_server_time(at)

    async def pulled_rules(self) -> list[RuleDocument]:
        return await self.replica.pulled_rules()

    async def begin_resync(self) -> None:
        await self.replica.begin_resync()

    async def finish_resync(self, fresh: Collection[str]) -> int:
        return await self.replica.finish_resync(fresh)

    async def add_departments(self, departments: Sequence[Department]) -> None:
        await self.replica.add_departments(departments)

    async def add_agents(self, agents: Sequence[Agent]) -> None:
        await self.replica.add_agents(agents)

    async def add_customers(self, customers: Sequence[Customer]) -> None:
        await self.replica.add_customers(customers)

    async def add_articles(self, articles: Sequence[KbArticle]) -> None:
        await self.replica.add_articles(articles)

    async def add_scripts(self, scripts: Sequence[Script]) -> None:
        await self.replica.add_scripts(scripts)

    # -- reads: the replica's --------------------------------------------------------------
    async def ticket_reviews(self, ticket_id: str) -> list[CaseReview]:
        return await self.replica.ticket_reviews(ticket_id)

    async def agent_reviews(self, agent_id: str, limit: int = 200) -> list[ReviewRow]:
        return await self.replica.agent_reviews(agent_id, limit)

    async def skill_changes(self, agent_id: str) -> list[SkillChange]:
        return await self.replica.skill_changes(agent_id)

    async def screen_sessions(self, ticket_id: str) -> list[ScreenSession]:
        return await self.replica.screen_sessions(ticket_id)

    async def metrics_snapshot(
        self, windows: Sequence[Window], *, now: datetime
    ) -> MetricsSnapshot:
        return await self.replica.metrics_snapshot(windows, now=now)

    async def held_claims(self) -> list[HeldClaim]:
        return await self.replica.held_claims()

    async def queue_clocks(self, *, now: datetime, horizons: Horizons) -> dict[str, QueueClocks]:
        return await self.replica.queue_clocks(now=now, horizons=horizons)

    async def agent_by_handle(self, handle: str) -> Agent:
        return await self.replica.agent_by_handle(handle)

    async def agents(self) -> list[Agent]:
        return await self.replica.agents()

    async def departments(self) -> list[Department]:
        return await self.replica.departments()

    async def customer(self, customer_id: str) -> Customer:
        return await self.replica.customer(customer_id)

    async def count_tickets(self, query: TicketQuery) -> int:
        return await self.replica.count_tickets(query)

    async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
        return await self.replica.ticket_rows(query, offset, limit)

    async def current_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]:
        return await self.replica.current_tickets(agent_ids)

    async def ticket(self, ticket_id: str) -> Ticket:
        return await self.replica.ticket(ticket_id)

    async def ticket_by_number(self, number: int) -> Ticket:
        return await self.replica.ticket_by_number(number)

    async def messages(self, ticket_id: str) -> list[Message]:
        return await self.replica.messages(ticket_id)

    async def customer_tickets(self, customer_id: str, limit: int = 20) -> list[TicketRow]:
        return await self.replica.customer_tickets(customer_id, limit)

    async def audit_events(self, ticket_id: str) -> list[AuditEvent]:
        return await self.replica.audit_events(ticket_id)

    def iter_tickets(self, batch: int = 1000) -> AsyncIterator[list[Ticket]]:
        return self.replica.iter_tickets(batch)

    async def search_kb(self, text: str, limit: int = 20) -> list[KbHit]:
        return await self.replica.search_kb(text, limit)

    async def article(self, article_id: str) -> KbArticle:
        return await self.replica.article(article_id)

    async def articles(self) -> list[KbArticle]:
        return await self.replica.articles()

    async def scripts(self) -> list[Script]:
        return await self.replica.scripts()

    async def script(self, script_id: str) -> Script:
        return await self.replica.script(script_id)

    async def active_load(self, agent_id: str) -> int:
        return await self.replica.active_load(agent_id)

    # -- the outbox and pulled pages: the replica keeps them -------------------------------
    async def operations(self, after_seq: int = 0, limit: int = 1000) -> list[Operation]:
        return await self.replica.operations(after_seq, limit)

    async def pending_operations(self, limit: int = 100) -> list[Operation]:
        return await self.replica.pending_operations(limit)

    async def record_push_results(self, results: Sequence[PushResult], *, now: datetime) -> None:
        await self.replica.record_push_results(results, now=now)

    async def record_push_failure(self, op_id: str, error: str) -> None:
        await self.replica.record_push_failure(op_id, error)

    async def conflicts(self) -> list[SyncConflict]:
        return await self.replica.conflicts()

    async def dismiss_conflict(self, op_id: str, *, now: datetime) -> None:
        await self.replica.dismiss_conflict(op_id, now=now)

    async def sync_status(self) -> SyncStatus:
        return await self.replica.sync_status()

    async def apply_remote(self, page: RemotePage) -> None:
        await self.replica.apply_remote(page)
