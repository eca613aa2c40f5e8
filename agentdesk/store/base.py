"""The one store interface the app talks to.

Backends (in-memory, SQLite, later the remote client) implement a handful of primitives; every
ticket action is written once here on top of `_mutate`, which runs a pure domain function
inside one backend transaction that also writes the audit events and the operation-log entry.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from agentdesk.domain import actions, intake
from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.held_claims import HeldClaim
from agentdesk.domain.lead_board import Horizons, QueueClocks, queue_clocks
from agentdesk.domain.metrics import MetricsSnapshot, ScreenSession, Window
from agentdesk.domain.model import (
    Agent,
    AuditEvent,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    KbHit,
    LinkKind,
    Message,
    MessageKind,
    Operation,
    Priority,
    Script,
    Ticket,
    TicketLink,
    TicketRow,
    TicketStatus,
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
    record_review,
    set_skill_level,
)
from agentdesk.domain.route_explain import RouteExplanation, explain, latest_explanation
from agentdesk.domain.routing import DEFAULT_POLICY, RoutingPolicy, TicketFacts
from agentdesk.domain.sla import DEFAULT_SLA, SlaPolicies
from agentdesk.domain.transfers import TransferRule
from agentdesk.store.errors import NotFound


class Scope(StrEnum):
    MINE = "mine"  # assigned to the agent, not closed
    TEAM = "team"  # every active ticket in the agent's departments (all if the agent has none)
    ALL = "all"  # everything, closed included


@dataclass(frozen=True, slots=True)
class TicketQuery:
    scope: Scope = Scope.TEAM
    agent_id: str | None = None
    departments: tuple[str, ...] = ()
    # Free text: matches number (`#123` or `123`), subject, intent or customer name.
    text: str = ""
    statuses: tuple[TicketStatus, ...] = ()


class MutationContext(Protocol):
    """What a domain function may ask of the transaction it runs in."""

    def next_number(self) -> int: ...


Mutation = Callable[[Ticket, MutationContext], Change]
# Builds a review from the ticket, the reviewer and their earlier review of it (if any).
ReviewBuilder = Callable[[Ticket, Agent, CaseReview | None], ReviewChange]
# Builds a certification from the agent and the lead changing their levels.
CertificationBuilder = Callable[[Agent, Agent], Certification]


@dataclass(frozen=True, slots=True)
class StoreInfo:
    backend: str  # "sqlite", "memory", "remote"
    location: str
    client_id: str
    schema_version: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class Store(ABC):
    """Async, speaks domain types, raises only `agentdesk.store.errors`."""

    # SLA targets and calendar for new tickets and for resuming paused clocks; the app sets
    # the configured ones.
    policies: SlaPolicies = DEFAULT_SLA
    # Intent routes, and the weights and rules of pull-next and push mode, in force; the app
    # sets the configured ones (and again when the settings are reloaded).
    routing_policy: RoutingPolicy = DEFAULT_POLICY
    # Transfer rules for arrivals and reclassification.
    transfer_rules: tuple[TransferRule, ...] = ()

    # -- lifecycle -------------------------------------------------------------------------
    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def info(self) -> StoreInfo: ...

    async def __aenter__(self) -> Store:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- reference data --------------------------------------------------------------------
    @abstractmethod
    async def agent_by_handle(self, handle: str) -> Agent: ...

    @abstractmethod
    async def agents(self) -> list[Agent]: ...

    @abstractmethod
    async def departments(self) -> list[Department]: ...

    @abstractmethod
    async def customer(self, customer_id: str) -> Customer: ...

    # -- reading tickets -------------------------------------------------------------------
    @abstractmethod
    async def count_tickets(self, query: TicketQuery) -> int: ...

    @abstractmethod
    async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
        """A window of the queue, ordered by priority, then SLA deadline, then age."""

    async def current_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """Each agent's current ticket: the number of the first row of their Mine queue
        (`Scope.MINE`, queue order); agents with no active ticket are left out.

        The lead's agent list reads it for every agent at once. This fallback reads one row per
        agent; backends answer in one query.
        """
        found: dict[str, int] = {}
        for agent_id in dict.fromkeys(agent_ids):
            rows = await self.ticket_rows(TicketQuery(scope=Scope.MINE, agent_id=agent_id), 0, 1)
            if rows:
                found[agent_id] = rows[0].number
        return found

    @abstractmethod
    async def ticket(self, ticket_id: str) -> Ticket: ...

    @abstractmethod
    async def ticket_by_number(self, number: int) -> Ticket: ...

    @abstractmethod
    async def messages(self, ticket_id: str) -> list[Message]: ...

    @abstractmethod
    async def customer_tickets(self, customer_id: str, limit: int = 20) -> list[TicketRow]:
        """The customer's tickets, newest first."""

    @abstractmethod
    async def audit_events(self, ticket_id: str) -> list[AuditEvent]: ...

    @abstractmethod
    def iter_tickets(self, batch: int = 1000) -> AsyncIterator[list[Ticket]]:
        """Every ticket, in number order, a batch at a time (for export); an async generator."""

    # -- knowledge base and scripts --------------------------------------------------------
    @abstractmethod
    async def search_kb(self, text: str, limit: int = 20) -> list[KbHit]:
        """Ranked matches for what the user typed; the last word counts as a prefix."""

    @abstractmethod
    async def article(self, article_id: str) -> KbArticle: ...

    @abstractmethod
    async def articles(self) -> list[KbArticle]: ...

    @abstractmethod
    async def scripts(self) -> list[Script]: ...

    @abstractmethod
    async def script(self, script_id: str) -> Script: ...

    # -- bulk writes (all-or-nothing; each record also lands in the operation log) ---------
    @abstractmethod
    async def add_departments(self, departments: Sequence[Department]) -> None: ...

    @abstractmethod
    async def add_agents(self, agents: Sequence[Agent]) -> None: ...

    @abstractmethod
    async def add_customers(self, customers: Sequence[Customer]) -> None: ...

    @abstractmethod
    async def add_articles(self, articles: Sequence[KbArticle]) -> None:
        """Insert or replace by id."""

    @abstractmethod
    async def add_scripts(self, scripts: Sequence[Script]) -> None:
        """Insert or replace by id."""

    @abstractmethod
    async def add_tickets(self, tickets: Sequence[NewTicket], *, now: datetime) -> list[Ticket]:
        """Create tickets with fresh numbers, in one transaction."""

    # -- single edits of shared reference data (pushed: sync_ops.KIND_RULES) ---------------
    async def edit_script(self, script: Script, *, now: datetime) -> None:
        """Insert or replace one script and log `script.edit` with the whole row.

        The op is pushed; the server applies it for leads and admins and rejects it for agents
        (the rejection then waits in `conflicts`). A store without reference tables keeps the
        default, which refuses.
        """
        raise NotImplementedError(f"{type(self).__name__} does not edit scripts")

    async def edit_article(self, article: KbArticle, *, now: datetime) -> None:
        """Insert or replace one KB article and log `kb.edit` with the whole row (see above)."""
        raise NotImplementedError(f"{type(self).__name__} does not edit KB articles")

    # -- operation log ---------------------------------------------------------------------
    @abstractmethod
    async def operations(self, after_seq: int = 0, limit: int = 1000) -> list[Operation]: ...

    # -- outbox (SYNC.md §4.2-4.4, §4.9) -----------------------------------------------------
    @abstractmethod
    async def pending_operations(self, limit: int = 100) -> list[Operation]:
        """The oldest ops not yet answered by the server, in `seq` order: the next push."""

    @abstractmethod
    async def record_push_results(self, results: Sequence[PushResult], *, now: datetime) -> None:
        """Mark ops acked or rejected (rejections become conflicts) in one transaction.

        Raises NotFound (and records nothing) if an op id was never logged here. An op already
        answered keeps its first answer.
        """

    @abstractmethod
    async def record_push_failure(self, op_id: str, error: str) -> None:
        """A transport failure while pushing `op_id`: it stays pending; count the attempt."""

    @abstractmethod
    async def conflicts(self) -> list[SyncConflict]:
        """Rejected ops the agent has not dismissed, oldest first."""

    @abstractmethod
    async def dismiss_conflict(self, op_id: str, *, now: datetime) -> None:
        """Hide a conflict from the list; the op and its rejection stay in the log."""

    @abstractmethod
    async def sync_status(self) -> SyncStatus: ...

    @abstractmethod
    async def apply_remote(self, page: RemotePage) -> None:
        """Apply one pulled page and move the cursor to `page.cursor`, in one transaction.

        Reference rows (departments, customers, scripts, KB articles, rule documents, agents
        by handle) replace local ones first.
        Each ticket becomes the server's copy with the ticket's still-pending local ops
        re-applied on top (`domain.rebase`): a pull never hides unanswered local work, and a
        rejected op's effect is gone. Messages are added once by id; one stored under another
        ticket moves to the server's. Tickets in `page.deleted` are dropped with their messages,
        pending ops or not: delete wins, and the server refuses those ops as `deleted`, so they
        reach the conflict list with their words. Nothing is logged as a local operation. A
        ticket whose
        number is taken here by another ticket keeps its local number (or gets the next free
        one): numbers are per-store labels. The HLC ratchets to `page.server_time`. Raises
        Conflict (and applies nothing) if `page.after` is not the stored cursor.
        """

    async def rebase_tickets(
        self, tickets: Sequence[Ticket], messages: Sequence[Message] = ()
    ) -> None:
        """Fresh server copies (fetched after a rejection or a lost write) become the base.

        In one transaction, without moving the cursor: each ticket as in `apply_remote`
        (pending ops re-applied on top), `messages` (all the server has on these tickets) added
        or moved, and the agent messages of these tickets that the server does not have and no
        pending op wrote are dropped (a rejected op's words stay in the conflict list; customer
        messages recorded only here stay). Backends that sync implement it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not sync")

    async def begin_resync(self) -> None:
        """Start a fresh download of the server's log (SYNC.md §4.5 forced resync).

        In one transaction: the cursor goes back to 0, the server epoch is forgotten and
        `SyncStatus.resyncing` is set until `finish_resync`. Nothing else changes: tickets stay
        shown and every op, pending ones above all, stays in the log. Backends that sync
        implement it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not sync")

    async def finish_resync(self, fresh: Collection[str]) -> int:
        """End a resync whose pulls brought the tickets `fresh` (their ids): the server's
        snapshot replaces the synced state.

        In one transaction: each ticket not in `fresh` that no pending op refers to is dropped
        with its messages (the server no longer has it), and `SyncStatus.resyncing` is cleared.
        Returns how many tickets were dropped. Backends that sync implement it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not sync")

    async def pulled_rules(self) -> list[RuleDocument]:
        """The server's latest rule document of each name, as pulled (none without a server)."""
        return []

    async def answers_with_reasons(self, since: datetime) -> list[SyncConflict]:
        """Ops answered at or after `since` whose answer gave a reason, oldest first.

        Rejections, and acknowledged ops some effect of which did not happen on the server (a
        write that lost, a refused status change): what a sync round rolls back. Backends that
        sync implement it.
        """
        raise NotImplementedError(f"{type(self).__name__} does not sync")

    async def observe_server_time(self, at: datetime) -> None:
        """Ratchet the HLC so ops logged later are stamped after server time `at`."""
        raise NotImplementedError(f"{type(self).__name__} does not sync")

    # -- metrics (domain/metrics.py) -------------------------------------------------------
    @abstractmethod
    async def record_screen_sessions(self, sessions: Sequence[ScreenSession]) -> None:
        """Keep stretches of time tickets were open on agents' screens, all or none (local
        only: not logged as operations). Raises NotFound if a ticket is unknown."""

    @abstractmethod
    async def screen_sessions(self, ticket_id: str) -> list[ScreenSession]:
        """The ticket's screen sessions, in the order they started."""

    @abstractmethod
    async def metrics_snapshot(
        self, windows: Sequence[Window], *, now: datetime
    ) -> MetricsSnapshot:
        """Per-(queue, agent) tallies for each window, plus the queues and loads at `now`.

        Must equal `metrics.snapshot_of` over every ticket's history; it is what a lead's
        view refreshes, so backends aggregate where the data lives.
        """

    async def queue_clocks(self, *, now: datetime, horizons: Horizons) -> dict[str, QueueClocks]:
        """Per queue: active tickets and running SLA clocks at risk or breached at `now`.

        Must equal `lead_board.queue_clocks` over every ticket with its customer's tier
        (`horizons` from `lead_board.risk_horizons`); the lead view reads it with each refresh.
        This fallback reads every ticket; backends count where the data lives.
        """
        tiers: dict[str, CustomerTier] = {}
        pairs: list[tuple[Ticket, CustomerTier]] = []
        async for batch in self.iter_tickets():
            for ticket in batch:
                if ticket.customer_id not in tiers:
                    tiers[ticket.customer_id] = await self._customer_tier(ticket.customer_id)
                pairs.append((ticket, tiers[ticket.customer_id]))
        return queue_clocks(pairs, now, horizons)

    # -- primitives the ticket actions below are built on ----------------------------------
    @abstractmethod
    async def _mutate(self, ticket_id: str, mutation: Mutation) -> Change:
        """Load the ticket, apply `mutation`, persist the Change, audit and operation: atomically.

        Must raise Conflict if the ticket's version changed between load and write.
        """

    @abstractmethod
    async def claim_next(
        self,
        agent: Agent,
        now: datetime,
        policy: RoutingPolicy | None = None,
        *,
        reserved_only: bool = False,
    ) -> Ticket | None:
        """Atomically assign the agent the ticket `routing.pick` ranks first; None if none.

        Raises `routing.CannotPull` if the agent is unavailable or at capacity. The
        assignment's audit event carries the route explanation (`route_explanation`).
        `reserved_only` (sync mode) chooses only among the agent's live untaken reservations
        (`held_claims`) and marks the one it assigns taken, in the same transaction.
        """

    # -- claims held on the server (SYNC.md §4.8, domain/held_claims.py) ---------------------
    @abstractmethod
    async def held_claims(self) -> list[HeldClaim]:
        """The claims the server last listed for this agent, and the lost ones still kept."""

    @abstractmethod
    async def record_claims(self, current: Sequence[HeldClaim], *, now: datetime) -> None:
        """Store the server's list of the agent's live claims in one transaction; claims it no
        longer lists are kept as lost (`held_claims.merged`)."""

    @abstractmethod
    async def auto_assign(
        self, ticket_id: str, now: datetime, policy: RoutingPolicy | None = None
    ) -> Ticket | None:
        """Push mode: assign the ticket to the agent `routing.choose_agent` picks, taking
        turns among equals (the turns are kept in the store). None, and nothing written, if
        the ticket is not waiting in a queue or no agent may take it now."""

    @abstractmethod
    async def active_load(self, agent_id: str) -> int:
        """How many tickets wait on the agent (`routing.LOAD_STATUSES`)."""

    # -- quality reviews and certification -------------------------------------------------
    @abstractmethod
    async def _write_review(
        self, ticket_id: str, reviewer_id: str, build: ReviewBuilder
    ) -> ReviewChange:
        """Load the ticket, the reviewer and their review of it; persist what `build` returns
        (review, the ticket's audit event, the operation) atomically. NotFound for an unknown
        ticket or reviewer."""

    @abstractmethod
    async def _write_certification(
        self, agent_id: str, actor_id: str, build: CertificationBuilder
    ) -> Certification:
        """Load the agent and the actor; persist the agent `build` returns with its audit
        event and operation atomically. NotFound for an unknown agent or actor."""

    @abstractmethod
    async def ticket_reviews(self, ticket_id: str) -> list[CaseReview]:
        """The ticket's reviews, oldest first."""

    @abstractmethod
    async def agent_reviews(self, agent_id: str, limit: int = 200) -> list[ReviewRow]:
        """Reviews of the agent's work, the latest reviewed or edited first."""

    @abstractmethod
    async def skill_changes(self, agent_id: str) -> list[SkillChange]:
        """The agent's certification history, oldest first."""

    async def record_review(
        self, ticket_id: str, score: int, comment: str, *, reviewer_id: str, now: datetime
    ) -> CaseReview:
        """Review a closed ticket, or edit this reviewer's review of it (`reviews` rules)."""

        def build(ticket: Ticket, reviewer: Agent, existing: CaseReview | None) -> ReviewChange:
            return record_review(ticket, reviewer, score, comment, now=now, existing=existing)

        return (await self._write_review(ticket_id, reviewer_id, build)).review

    async def set_skill_level(
        self, agent_id: str, skill: str, level: int, *, actor_id: str, now: datetime
    ) -> Agent:
        """Certify the agent at `level` (0 removes the skill); routing uses it at once."""

        def build(agent: Agent, actor: Agent) -> Certification:
            return set_skill_level(agent, skill, level, actor=actor, now=now)

        return (await self._write_certification(agent_id, actor_id, build)).agent

    # -- routing explanations --------------------------------------------------------------
    async def route_explanation(self, ticket_id: str) -> RouteExplanation | None:
        """Why routing assigned the ticket, as recorded then; None if routing did not."""
        return latest_explanation(await self.audit_events(ticket_id))

    async def explain_route(
        self, ticket_id: str, agent: Agent, now: datetime, policy: RoutingPolicy | None = None
    ) -> RouteExplanation:
        """How pull-next would weigh the ticket for the agent now (nothing is written)."""
        ticket = await self.ticket(ticket_id)
        try:
            customer: Customer | None = await self.customer(ticket.customer_id)
        except NotFound:
            customer = None
        return explain(
            TicketFacts.of(ticket, customer),
            agent,
            load=await self.active_load(agent.id),
            now=now,
            policy=policy or self.routing_policy,
        )

    async def _customer_tier(self, customer_id: str) -> CustomerTier:
        try:
            return (await self.customer(customer_id)).tier
        except NotFound:
            return CustomerTier.STANDARD

    # -- ticket actions --------------------------------------------------------------------
    async def create_ticket(self, new: NewTicket, *, now: datetime) -> Ticket:
        (ticket,) = await self.add_tickets([new], now=now)
        return ticket

    async def assign(
        self, ticket_id: str, agent_id: str, *, actor_id: str, now: datetime
    ) -> Ticket:
        change = await self._mutate(
            ticket_id, lambda t, _: actions.assign(t, agent_id, actor_id=actor_id, now=now)
        )
        return change.ticket

    async def reply(
        self,
        ticket_id: str,
        body: str,
        *,
        author_id: str,
        now: datetime,
        internal: bool = False,
        wait_on_customer: bool = False,
        links: tuple[TicketLink, ...] = (),
    ) -> Ticket:
        change = await self._mutate(
            ticket_id,
            lambda t, _: actions.reply(
                t,
                body,
                author_id=author_id,
                now=now,
                internal=internal,
                wait_on_customer=wait_on_customer,
                links=links,
            ),
        )
        return change.ticket

    async def customer_reply(
        self, ticket_id: str, body: str, *, now: datetime, confirms_resolution: bool = False
    ) -> Ticket:
        """Returns the ticket the message landed on: a new follow-up if the old one was closed."""
        # A follow-up gets the customer's tier's targets; a ticket never changes customer.
        tier = await self._customer_tier((await self.ticket(ticket_id)).customer_id)

        def apply(ticket: Ticket, ctx: MutationContext) -> Change:
            number = ctx.next_number() if ticket.status is TicketStatus.CLOSED else None
            return actions.customer_reply(
                ticket,
                body,
                now=now,
                confirms_resolution=confirms_resolution,
                follow_up_number=number,
                policies=self.policies,
                tier=tier,
            )

        change = await self._mutate(ticket_id, apply)
        return change.ticket

    async def transfer(
        self, ticket_id: str, department_id: str, note: str, *, actor_id: str, now: datetime
    ) -> Ticket:
        known = {department.id for department in await self.departments()}
        if department_id not in known:
            raise NotFound(f"no department {department_id!r}")
        change = await self._mutate(
            ticket_id,
            lambda t, _: actions.transfer(
                t, department_id, note, actor_id=actor_id, now=now, policies=self.policies
            ),
        )
        return change.ticket

    async def reclassify(
        self, ticket_id: str, intent: str, *, actor_id: str, now: datetime
    ) -> Ticket:
        """Set the intent a person chose; routes and transfer rules apply (`intake.reclassify`)."""
        ticket = await self.ticket(ticket_id)
        messages = await self.messages(ticket_id)
        first = next((m.body for m in messages if m.kind is MessageKind.CUSTOMER), "")
        try:
            tier: CustomerTier | None = (await self.customer(ticket.customer_id)).tier
        except NotFound:
            tier = None
        departments = {department.id for department in await self.departments()}
        policy, rules = self.routing_policy, self.transfer_rules
        change = await self._mutate(
            ticket_id,
            lambda t, _: intake.reclassify(
                t,
                intent,
                actor_id=actor_id,
                now=now,
                policy=policy,
                rules=rules,
                first_message=first,
                customer_tier=tier,
                departments=departments,
            ),
        )
        return change.ticket

    async def request_confirmation(
        self,
        ticket_id: str,
        resolution: str,
        request_body: str,
        *,
        actor_id: str,
        now: datetime,
        links: tuple[TicketLink, ...] = (),
    ) -> Ticket:
        change = await self._mutate(
            ticket_id,
            lambda t, _: actions.request_confirmation(
                t, resolution, request_body, actor_id=actor_id, now=now, links=links
            ),
        )
        return change.ticket

    async def close_confirmed(
        self,
        ticket_id: str,
        resolution: str,
        evidence: str,
        *,
        actor_id: str,
        now: datetime,
        links: tuple[TicketLink, ...] = (),
        csat: int | None = None,
    ) -> Ticket:
        change = await self._mutate(
            ticket_id,
            lambda t, _: actions.close_confirmed(
                t,
                resolution,
                evidence,
                actor_id=actor_id,
                now=now,
                links=links,
                csat=csat,
                policies=self.policies,
            ),
        )
        return change.ticket

    async def record_csat(
        self, ticket_id: str, score: int, *, actor_id: str, now: datetime
    ) -> Ticket:
        change = await self._mutate(
            ticket_id, lambda t, _: actions.record_csat(t, score, actor_id=actor_id, now=now)
        )
        return change.ticket

    async def set_priority(
        self, ticket_id: str, priority: Priority, *, actor_id: str, now: datetime
    ) -> Ticket:
        change = await self._mutate(
            ticket_id,
            lambda t, _: actions.set_priority(t, priority, actor_id=actor_id, now=now),
        )
        return change.ticket

    async def link(
        self,
        ticket_id: str,
        kind: LinkKind,
        ref_id: str,
        title: str,
        *,
        actor_id: str,
        now: datetime,
    ) -> Ticket:
        change = await self._mutate(
            ticket_id,
            lambda t, _: actions.link(t, kind, ref_id, title, actor_id=actor_id, now=now),
        )
        return change.ticket
