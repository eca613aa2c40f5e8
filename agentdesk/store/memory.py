"""An in-memory store for tests: the reference behaviour the contract suite pins down."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice

from agentdesk.domain import actions, lead_board, routing
from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.held_claims import ClaimKind, HeldClaim, merged, pullable_ids
from agentdesk.domain.hlc import ZERO, epoch_ms, ratchet, tick
from agentdesk.domain.ids import new_id
from agentdesk.domain.lead_board import Horizons, QueueClocks
from agentdesk.domain.lifecycle import ACTIVE_STATUSES
from agentdesk.domain.metrics import (
    MetricsSnapshot,
    ScreenSession,
    TicketHistory,
    Window,
    history_of,
    snapshot_of,
)
from agentdesk.domain.model import (
    Agent,
    AuditEvent,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    KbHit,
    Message,
    MessageKind,
    Operation,
    Script,
    Ticket,
    TicketRow,
)
from agentdesk.domain.outbox import (
    DeliveryState,
    PushResult,
    SyncConflict,
    SyncStatus,
    initial_state,
)
from agentdesk.domain.rebase import message_of, replay, ticket_of
from agentdesk.domain.reference_sync import (
    ReferenceUpdates,
    RuleDocument,
    article_to_wire,
    script_to_wire,
)
from agentdesk.domain.remote import RemotePage
from agentdesk.domain.reviews import (
    CaseReview,
    Certification,
    ReviewChange,
    ReviewRow,
    SkillChange,
    skill_change_of,
)
from agentdesk.domain.route_explain import RouteMode, assign_routed, explain
from agentdesk.domain.routing import AgentLoad, RoutingPolicy, TicketFacts
from agentdesk.store.base import (
    CertificationBuilder,
    Mutation,
    ReviewBuilder,
    Scope,
    Store,
    StoreInfo,
    TicketQuery,
)
from agentdesk.store.errors import Conflict, NotFound
from agentdesk.store.kb_query import last_is_prefix, query_words, segments_to_markup

_WORD = re.compile(r"\w+")


class MemoryStore(Store):
    def __init__(self, client_id: str | None = None) -> None:
        self.client_id = client_id or new_id()
        self._lock = asyncio.Lock()
        self._departments: dict[str, Department] = {}
        self._agents: dict[str, Agent] = {}
        self._customers: dict[str, Customer] = {}
        self._tickets: dict[str, Ticket] = {}
        self._messages: dict[str, list[Message]] = {}
        self._audit: list[AuditEvent] = []
        self._articles: dict[str, KbArticle] = {}
        self._scripts: dict[str, Script] = {}
        self._ops: list[Operation] = []
        # The outbox: delivery state per op id, and the sync bookkeeping of `sync_meta`.
        self._delivery: dict[str, _Delivery] = {}
        self._hlc_last = ZERO
        self._cursor = 0
        self._server_epoch: str | None = None
        self._resyncing = False
        self._pulled_rules: dict[str, RuleDocument] = {}
        self._held: dict[str, HeldClaim] = {}
        self._last_sync_at: datetime | None = None
        self._last_number = 0
        # Push mode's round-robin: agent id -> the turn of their last push assignment.
        self._push_turns: dict[str, int] = {}
        self._screen_sessions: dict[str, list[ScreenSession]] = {}
        self._reviews: dict[str, CaseReview] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def info(self) -> StoreInfo:
        return StoreInfo("memory", ":memory:", self.client_id)

    # -- helpers ---------------------------------------------------------------------------
    def _log(self, kind: str, payload: dict[str, object], at: datetime) -> None:
        seq = len(self._ops) + 1
        self._hlc_last = tick(self._hlc_last, epoch_ms(at))
        op = Operation(new_id(), self.client_id, seq, at, kind, payload, self._hlc_last)
        self._ops.append(op)
        self._delivery[op.op_id] = _Delivery(op, initial_state(kind))

    def next_number(self) -> int:
        self._last_number += 1
        return self._last_number

    def _persist(self, change: Change) -> None:
        ticket = change.ticket
        self._tickets[ticket.id] = ticket
        self._messages.setdefault(ticket.id, []).extend(change.messages)
        self._audit.extend(change.audit)
        self._log(change.kind, change.payload, ticket.updated_at)

    def _row(self, ticket: Ticket) -> TicketRow:
        customer = self._customers.get(ticket.customer_id)
        return TicketRow(
            id=ticket.id,
            number=ticket.number,
            subject=ticket.subject,
            status=ticket.status,
            priority=ticket.priority,
            channel=ticket.channel,
            intent=ticket.intent,
            customer_name=customer.name if customer else "",
            customer_tier=customer.tier if customer else CustomerTier.STANDARD,
            department_id=ticket.department_id,
            assignee_id=ticket.assignee_id,
            created_at=ticket.created_at,
            first_response_due=ticket.first_response_due,
            resolution_due=ticket.resolution_due,
            first_response_at=ticket.first_response_at,
            sla_paused_at=ticket.sla_paused_at,
        )

    def _matches(self, ticket: Ticket, query: TicketQuery) -> bool:
        if query.scope is Scope.MINE:
            if ticket.assignee_id != query.agent_id or ticket.status not in ACTIVE_STATUSES:
                return False
        elif query.scope is Scope.TEAM and ticket.status not in ACTIVE_STATUSES:
            return False
        if query.departments and ticket.department_id not in query.departments:
            return False
        if query.statuses and ticket.status not in query.statuses:
            return False
        text = query.text.strip().lower()
        if text:
            if text.lstrip("#").isdecimal():
                return ticket.number == int(text.lstrip("#"))
            customer = self._customers.get(ticket.customer_id)
            haystack = " ".join(
                [ticket.subject, ticket.intent, customer.name if customer else ""]
            ).lower()
            return text in haystack
        return True

    def _filtered(self, query: TicketQuery) -> list[Ticket]:
        found = [t for t in self._tickets.values() if self._matches(t, query)]
        found.sort(key=routing.pull_order)
        return found

    # -- reference data --------------------------------------------------------------------
    async def agent_by_handle(self, handle: str) -> Agent:
        for agent in self._agents.values():
            if agent.handle == handle:
                return agent
        raise NotFound(f"no agent with handle {handle!r}")

    async def agents(self) -> list[Agent]:
        return sorted(self._agents.values(), key=lambda a: a.handle)

    async def departments(self) -> list[Department]:
        return sorted(self._departments.values(), key=lambda d: d.id)

    async def customer(self, customer_id: str) -> Customer:
        try:
            return self._customers[customer_id]
        except KeyError:
            raise NotFound(f"no customer {customer_id!r}") from None

    # -- reading tickets -------------------------------------------------------------------
    async def count_tickets(self, query: TicketQuery) -> int:
        return len(self._filtered(query))

    async def ticket_rows(self, query: TicketQuery, offset: int, limit: int) -> list[TicketRow]:
        return [self._row(t) for t in self._filtered(query)[offset : offset + limit]]

    async def current_tickets(self, agent_ids: Sequence[str]) -> dict[str, int]:
        """One pass over the tickets, in queue order: each agent's first active one."""
        wanted, found = set(agent_ids), dict[str, int]()
        active = (t for t in self._tickets.values() if t.status in ACTIVE_STATUSES)
        for ticket in sorted(active, key=routing.pull_order):
            agent_id = ticket.assignee_id
            if agent_id is not None and agent_id in wanted and agent_id not in found:
                found[agent_id] = ticket.number
        return found

    async def ticket(self, ticket_id: str) -> Ticket:
        try:
            return self._tickets[ticket_id]
        except KeyError:
            raise NotFound(f"no ticket {ticket_id!r}") from None

    async def ticket_by_number(self, number: int) -> Ticket:
        for ticket in self._tickets.values():
            if ticket.number == number:
                return ticket
        raise NotFound(f"no ticket #{number}")

    async def messages(self, ticket_id: str) -> list[Message]:
        await self.ticket(ticket_id)
        return sorted(self._messages.get(ticket_id, []), key=lambda m: (m.created_at, m.id))

    async def customer_tickets(self, customer_id: str, limit: int = 20) -> list[TicketRow]:
        mine = [t for t in self._tickets.values() if t.customer_id == customer_id]
        mine.sort(key=lambda t: (t.created_at, t.number), reverse=True)
        return [self._row(t) for t in mine[:limit]]

    async def audit_events(self, ticket_id: str) -> list[AuditEvent]:
        return [event for event in self._audit if event.ticket_id == ticket_id]

    async def iter_tickets(self, batch: int = 1000) -> AsyncIterator[list[Ticket]]:
        ordered = sorted(self._tickets.values(), key=lambda t: t.number)
        for start in range(0, len(ordered), batch):
            yield ordered[start : start + batch]

    # -- knowledge base and scripts --------------------------------------------------------
    async def search_kb(self, text: str, limit: int = 20) -> list[KbHit]:
        words = query_words(text)
        if not words:
            return []
        prefix = last_is_prefix(words, text)
        hits: list[KbHit] = []
        for article in self._articles.values():
            title = [w.lower() for w in _WORD.findall(article.title)]
            body = [w.lower() for w in _WORD.findall(article.body)]
            score = 0.0
            for index, word in enumerate(words):
                last = index == len(words) - 1 and prefix
                in_title = sum(1 for t in title if t == word or (last and t.startswith(word)))
                in_body = sum(1 for t in body if t == word or (last and t.startswith(word)))
                if in_title + in_body == 0:
                    break
                # A title match counts ten body matches, as the SQLite ranking weighs them.
                score += 10 * in_title + in_body
            else:
                snippet = _snippet(article.body[:160], words, prefix)
                hits.append(KbHit(article.id, article.title, snippet, score))
        hits.sort(key=lambda h: (-h.score, h.title))
        return hits[:limit]

    async def article(self, article_id: str) -> KbArticle:
        try:
            return self._articles[article_id]
        except KeyError:
            raise NotFound(f"no article {article_id!r}") from None

    async def articles(self) -> list[KbArticle]:
        return sorted(self._articles.values(), key=lambda a: a.id)

    async def scripts(self) -> list[Script]:
        return sorted(self._scripts.values(), key=lambda s: s.name)

    async def script(self, script_id: str) -> Script:
        try:
            return self._scripts[script_id]
        except KeyError:
            raise NotFound(f"no script {script_id!r}") from None

    # -- bulk writes -----------------------------------------------------------------------
    async def add_departments(self, departments: Sequence[Department]) -> None:
        async with self._lock:
            for department in departments:
                self._departments[department.id] = department
                self._log(
                    "department.upsert", {"id": department.id, "name": department.name}, _epoch()
                )

    async def add_agents(self, agents: Sequence[Agent]) -> None:
        async with self._lock:
            handles = {a.handle: a.id for a in self._agents.values()}
            for agent in agents:
                if handles.setdefault(agent.handle, agent.id) != agent.id:
                    raise Conflict(f"an agent with handle {agent.handle!r} exists")
            for agent in agents:
                self._agents[agent.id] = agent
                self._log("agent.upsert", {"id": agent.id, "handle": agent.handle}, _epoch())

    async def add_customers(self, customers: Sequence[Customer]) -> None:
        async with self._lock:
            for customer in customers:
                self._customers[customer.id] = customer
                self._log("customer.upsert", {"id": customer.id, "name": customer.name}, _epoch())

    async def add_articles(self, articles: Sequence[KbArticle]) -> None:
        async with self._lock:
            for article in articles:
                self._articles[article.id] = article
                self._log("kb.upsert", {"id": article.id, "title": article.title}, _epoch())

    async def add_scripts(self, scripts: Sequence[Script]) -> None:
        async with self._lock:
            for script in scripts:
                self._scripts[script.id] = script
                self._log("script.upsert", {"id": script.id, "name": script.name}, _epoch())

    async def edit_script(self, script: Script, *, now: datetime) -> None:
        async with self._lock:
            self._scripts[script.id] = script
            self._log("script.edit", script_to_wire(script), now)

    async def edit_article(self, article: KbArticle, *, now: datetime) -> None:
        async with self._lock:
            self._articles[article.id] = article
            self._log("kb.edit", article_to_wire(article), now)

    async def add_tickets(self, tickets: Sequence[NewTicket], *, now: datetime) -> list[Ticket]:
        async with self._lock:
            for new in tickets:
                if new.customer_id not in self._customers:
                    raise NotFound(f"no customer {new.customer_id!r}")
            fresh_ids = [new.id for new in tickets if new.id is not None]
            if len(set(fresh_ids)) != len(fresh_ids) or set(fresh_ids) & self._tickets.keys():
                raise Conflict("a ticket with that id already exists")
            start = self._last_number
            changes = [
                actions.create_ticket(
                    new,
                    number=start + i + 1,
                    now=now,
                    policies=self.policies,
                    tier=self._customers[new.customer_id].tier,
                )
                for i, new in enumerate(tickets)
            ]
            self._last_number += len(changes)
            for change in changes:
                self._persist(change)
            return [change.ticket for change in changes]

    async def operations(self, after_seq: int = 0, limit: int = 1000) -> list[Operation]:
        return [op for op in self._ops if op.seq > after_seq][:limit]

    # -- outbox ----------------------------------------------------------------------------
    async def pending_operations(self, limit: int = 100) -> list[Operation]:
        pending = (op for op in self._ops if self._delivery[op.op_id].state is _PENDING)
        return list(islice(pending, max(limit, 0)))

    async def record_push_results(self, results: Sequence[PushResult], *, now: datetime) -> None:
        async with self._lock:
            missing = [result.op_id for result in results if result.op_id not in self._delivery]
            if missing:
                raise NotFound(f"no logged operation {missing[0]!r}")
            for result in results:
                delivery = self._delivery[result.op_id]
                if delivery.state is _PENDING:
                    delivery.state = result.state
                    delivery.reason = result.reason
                    delivery.resolved_at = now
            self._last_sync_at = now

    async def record_push_failure(self, op_id: str, error: str) -> None:
        delivery = self._delivery.get(op_id)
        if delivery is None:
            raise NotFound(f"no logged operation {op_id!r}")
        if delivery.state is _PENDING:
            delivery.attempts += 1
            delivery.last_error = error

    async def conflicts(self) -> list[SyncConflict]:
        return [
            SyncConflict(delivery.op, delivery.reason or "", delivery.resolved_at or _epoch())
            for delivery in self._delivery.values()
            if delivery.is_conflict
        ]

    async def dismiss_conflict(self, op_id: str, *, now: datetime) -> None:
        delivery = self._delivery.get(op_id)
        if delivery is None or delivery.state is not DeliveryState.REJECTED:
            raise NotFound(f"operation {op_id!r} is not a conflict")
        if delivery.dismissed_at is None:
            delivery.dismissed_at = now

    async def sync_status(self) -> SyncStatus:
        deliveries = self._delivery.values()
        return SyncStatus(
            pending=sum(1 for delivery in deliveries if delivery.state is _PENDING),
            conflicts=sum(1 for delivery in deliveries if delivery.is_conflict),
            cursor=self._cursor,
            last_sync_at=self._last_sync_at,
            server_epoch=self._server_epoch,
            resyncing=self._resyncing,
            reserved_until=tuple(
                sorted(
                    claim.lease_expires_at
                    for claim in self._held.values()
                    if claim.kind is ClaimKind.RESERVATION and not claim.taken and not claim.lost
                )
            ),
        )

    async def apply_remote(self, page: RemotePage) -> None:
        """The rules of `Store.apply_remote`, as the SQLite store's `remote` module applies them."""
        async with self._lock:
            if page.after != self._cursor:
                raise Conflict(f"page continues cursor {page.after}, store is at {self._cursor}")
            self._apply_reference(page.reference)
            self._upsert_remote(page.tickets)
            self._add_remote_messages(page.messages)
            self._drop_tickets(page.deleted)
            self._cursor = page.cursor
            if page.server_epoch is not None:
                self._server_epoch = page.server_epoch
            if page.server_time is not None:
                self._hlc_last = ratchet(self._hlc_last, page.server_time)

    async def rebase_tickets(
        self, tickets: Sequence[Ticket], messages: Sequence[Message] = ()
    ) -> None:
        async with self._lock:
            self._upsert_remote(tickets)
            self._add_remote_messages(messages)
            keep = {message.id for message in messages} | {
                message_of(op) for op in self._ops if self._delivery[op.op_id].state is _PENDING
            }
            for ticket in tickets:
                thread = self._messages.get(ticket.id, [])
                thread[:] = [m for m in thread if m.id in keep or m.kind is MessageKind.CUSTOMER]

    async def pulled_rules(self) -> list[RuleDocument]:
        return [self._pulled_rules[name] for name in sorted(self._pulled_rules)]

    async def begin_resync(self) -> None:
        async with self._lock:
            self._cursor = 0
            self._server_epoch = None
            self._resyncing = True

    async def finish_resync(self, fresh: Collection[str]) -> int:
        async with self._lock:
            pending = {
                ticket_of(op) for op in self._ops if self._delivery[op.op_id].state is _PENDING
            }
            gone = [id_ for id_ in self._tickets if id_ not in fresh and id_ not in pending]
            self._drop_tickets(gone)
            self._resyncing = False
            return len(gone)

    def _drop_tickets(self, ticket_ids: Collection[str]) -> None:
        """The tickets and what hangs off them go; follow-ups of them stand alone."""
        for ticket_id in ticket_ids:
            self._tickets.pop(ticket_id, None)
            self._messages.pop(ticket_id, None)
            self._screen_sessions.pop(ticket_id, None)
            self._held.pop(ticket_id, None)
        self._audit = [event for event in self._audit if event.ticket_id not in ticket_ids]
        self._reviews = {
            key: review
            for key, review in self._reviews.items()
            if review.ticket_id not in ticket_ids
        }
        for ticket_id, ticket in list(self._tickets.items()):
            if ticket.follow_up_of in ticket_ids:
                self._tickets[ticket_id] = replace(ticket, follow_up_of=None)

    async def answers_with_reasons(self, since: datetime) -> list[SyncConflict]:
        return [
            SyncConflict(delivery.op, delivery.reason, delivery.resolved_at)
            for delivery in self._delivery.values()
            if delivery.reason
            and delivery.resolved_at is not None
            and delivery.resolved_at >= since
        ]

    async def observe_server_time(self, at: datetime) -> None:
        self._hlc_last = ratchet(self._hlc_last, at)

    def _add_remote_messages(self, messages: Sequence[Message]) -> None:
        for message in messages:
            if message.ticket_id not in self._tickets:
                continue
            for thread in self._messages.values():
                # A message the server put on another ticket (a follow-up) moves there.
                thread[:] = [m for m in thread if m.id != message.id]
            self._messages.setdefault(message.ticket_id, []).append(message)

    def _upsert_remote(self, tickets: Sequence[Ticket]) -> None:
        pending = [op for op in self._ops if self._delivery[op.op_id].state is _PENDING]
        for server_copy in tickets:
            ticket = replay(server_copy, pending)
            if ticket.customer_id not in self._customers:
                self._customers[ticket.customer_id] = Customer(
                    ticket.customer_id, ticket.customer_id
                )
            local = self._tickets.get(ticket.id)
            taken = {other.number for other in self._tickets.values() if other.id != ticket.id}
            number = local.number if local is not None else ticket.number
            if number in taken:
                number = self.next_number()
            self._last_number = max(self._last_number, number)
            follow_up = ticket.follow_up_of if ticket.follow_up_of in self._tickets else None
            self._tickets[ticket.id] = replace(ticket, number=number, follow_up_of=follow_up)

    def _apply_reference(self, updates: ReferenceUpdates) -> None:
        """Pulled reference rows replace local ones (before the page's tickets need them)."""
        self._departments.update((item.id, item) for item in updates.departments)
        self._customers.update((item.id, item) for item in updates.customers)
        self._scripts.update((item.id, item) for item in updates.scripts)
        self._articles.update((item.id, item) for item in updates.articles)
        self._pulled_rules.update((item.name, item) for item in updates.rules)
        local = {agent.handle: agent.id for agent in self._agents.values()}
        for agent in updates.agents:
            # By handle: an agent this store has keeps its local id.
            kept = replace(agent, id=local.get(agent.handle, agent.id))
            self._agents[kept.id] = kept

    # -- metrics ---------------------------------------------------------------------------
    async def record_screen_sessions(self, sessions: Sequence[ScreenSession]) -> None:
        async with self._lock:
            for session in sessions:
                if session.ticket_id not in self._tickets:
                    raise NotFound(f"no ticket {session.ticket_id!r}")
            for session in sessions:
                self._screen_sessions.setdefault(session.ticket_id, []).append(session)

    async def screen_sessions(self, ticket_id: str) -> list[ScreenSession]:
        found = self._screen_sessions.get(ticket_id, [])
        return sorted(found, key=lambda session: session.started_at)

    def _histories(self) -> list[TicketHistory]:
        kinds: dict[str, list[str]] = {}
        for event in self._audit:
            if event.ticket_id is not None:
                kinds.setdefault(event.ticket_id, []).append(event.kind)
        follow_ups: dict[str, int] = {}
        for ticket in self._tickets.values():
            if ticket.follow_up_of is not None:
                follow_ups[ticket.follow_up_of] = follow_ups.get(ticket.follow_up_of, 0) + 1
        return [
            history_of(
                ticket,
                self._messages.get(ticket.id, ()),
                kinds.get(ticket.id, ()),
                self._screen_sessions.get(ticket.id, ()),
                follow_ups.get(ticket.id, 0),
            )
            for ticket in self._tickets.values()
        ]

    async def metrics_snapshot(
        self, windows: Sequence[Window], *, now: datetime
    ) -> MetricsSnapshot:
        async with self._lock:
            return snapshot_of(self._histories(), windows, now)

    async def queue_clocks(self, *, now: datetime, horizons: Horizons) -> dict[str, QueueClocks]:
        async with self._lock:
            tiers = {customer.id: customer.tier for customer in self._customers.values()}
            return lead_board.queue_clocks(
                (
                    (ticket, tiers.get(ticket.customer_id, CustomerTier.STANDARD))
                    for ticket in self._tickets.values()
                ),
                now,
                horizons,
            )

    # -- primitives ------------------------------------------------------------------------
    async def _mutate(self, ticket_id: str, mutation: Mutation) -> Change:
        async with self._lock:
            ticket = await self.ticket(ticket_id)
            change = mutation(ticket, self)
            # Compare-and-set: the change must build on the version that is stored now.
            stored = self._tickets[ticket_id].version
            if not change.created and stored != change.ticket.version - 1:
                raise Conflict(f"ticket #{ticket.number} changed meanwhile")
            self._persist(change)
            return change

    def _agent(self, agent_id: str) -> Agent:
        try:
            return self._agents[agent_id]
        except KeyError:
            raise NotFound(f"no agent {agent_id!r}") from None

    async def _write_review(
        self, ticket_id: str, reviewer_id: str, build: ReviewBuilder
    ) -> ReviewChange:
        async with self._lock:
            ticket = await self.ticket(ticket_id)
            reviewer = self._agent(reviewer_id)
            existing = next(
                (
                    review
                    for review in self._reviews.values()
                    if review.ticket_id == ticket_id and review.reviewer_id == reviewer_id
                ),
                None,
            )
            change = build(ticket, reviewer, existing)
            self._reviews[change.review.id] = change.review
            self._audit.append(change.audit)
            self._log(change.kind, change.payload, change.review.updated_at)
            return change

    async def _write_certification(
        self, agent_id: str, actor_id: str, build: CertificationBuilder
    ) -> Certification:
        async with self._lock:
            certification = build(self._agent(agent_id), self._agent(actor_id))
            self._agents[agent_id] = certification.agent
            self._audit.append(certification.audit)
            self._log(certification.kind, certification.payload, certification.change.at)
            return certification

    async def ticket_reviews(self, ticket_id: str) -> list[CaseReview]:
        found = [r for r in self._reviews.values() if r.ticket_id == ticket_id]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    async def agent_reviews(self, agent_id: str, limit: int = 200) -> list[ReviewRow]:
        found = [r for r in self._reviews.values() if r.agent_id == agent_id]
        found.sort(key=lambda r: (r.updated_at, r.id), reverse=True)
        rows = []
        for review in found[: max(limit, 0)]:
            ticket = self._tickets[review.ticket_id]
            rows.append(ReviewRow(review, ticket.number, ticket.subject))
        return rows

    async def skill_changes(self, agent_id: str) -> list[SkillChange]:
        changes = (skill_change_of(event) for event in self._audit if event.ticket_id is None)
        return [change for change in changes if change and change.agent_id == agent_id]

    def _facts(self, ticket: Ticket) -> TicketFacts:
        return TicketFacts.of(ticket, self._customers.get(ticket.customer_id))

    def _load(self, agent_id: str) -> int:
        return sum(
            1
            for ticket in self._tickets.values()
            if ticket.assignee_id == agent_id and ticket.status in routing.LOAD_STATUSES
        )

    async def active_load(self, agent_id: str) -> int:
        return self._load(agent_id)

    async def claim_next(
        self,
        agent: Agent,
        now: datetime,
        policy: RoutingPolicy | None = None,
        *,
        reserved_only: bool = False,
    ) -> Ticket | None:
        policy = policy or self.routing_policy
        async with self._lock:
            load = self._load(agent.id)
            tickets: Iterable[Ticket] = self._tickets.values()
            if reserved_only:
                reserved = pullable_ids(self._held.values(), now)
                tickets = [t for t in tickets if t.id in reserved]
            candidates = (self._facts(t) for t in tickets)
            chosen = routing.pick(candidates, agent, load, now, policy)
            if chosen is None:
                return None
            explanation = explain(
                chosen.facts, agent, load=load, now=now, policy=policy, mode=RouteMode.PULL
            )
            change = assign_routed(self._tickets[chosen.facts.id], explanation, now=now)
            self._persist(change)
            if reserved_only:
                self._held[change.ticket.id] = replace(self._held[change.ticket.id], taken=True)
            return change.ticket

    async def held_claims(self) -> list[HeldClaim]:
        return sorted(self._held.values(), key=lambda claim: claim.ticket_id)

    async def record_claims(self, current: Sequence[HeldClaim], *, now: datetime) -> None:
        async with self._lock:
            kept = merged(self._held.values(), current, now=now)
            self._held = {claim.ticket_id: claim for claim in kept}

    async def auto_assign(
        self, ticket_id: str, now: datetime, policy: RoutingPolicy | None = None
    ) -> Ticket | None:
        policy = policy or self.routing_policy
        async with self._lock:
            ticket = await self.ticket(ticket_id)
            facts = self._facts(ticket)
            if not routing.is_pullable(facts):
                return None
            agents = [AgentLoad(a, self._load(a.id)) for a in await self.agents()]
            choice = routing.choose_agent(facts, agents, policy, self._push_turns)
            if choice is None:
                return None
            explanation = explain(
                facts, choice.agent, load=choice.load, now=now, policy=policy, mode=RouteMode.PUSH
            )
            self._persist(assign_routed(ticket, explanation, now=now))
            self._push_turns.update(choice.turns)
            return self._tickets[ticket_id]


def _snippet(excerpt: str, words: list[str], prefix: bool) -> str:
    """The excerpt as Textual markup with the matched words in bold."""
    segments: list[tuple[str, bool]] = []
    last = 0
    for match in _WORD.finditer(excerpt):
        token = match.group().lower()
        if token in words or (prefix and token.startswith(words[-1])):
            segments += [(excerpt[last : match.start()], False), (match.group(), True)]
            last = match.end()
    segments.append((excerpt[last:], False))
    return segments_to_markup(segments)


_PENDING = DeliveryState.PENDING


@dataclass(slots=True)
class _Delivery:
    """What the SQLite store keeps in an `operations` row beside the op itself."""

    op: Operation
    state: DeliveryState
    attempts: int = 0
    last_error: str | None = None
    reason: str | None = None
    resolved_at: datetime | None = None
    dismissed_at: datetime | None = None

    @property
    def is_conflict(self) -> bool:
        return self.state is DeliveryState.REJECTED and self.dismissed_at is None


def _epoch() -> datetime:
    # Reference-data upserts carry no domain time; the log still needs one.
    return datetime.now(UTC)
