"""Applying pushed client operations (SYNC.md §4.4): in groups, in order, deduped by seq.

A group of ops runs in one transaction that locks the client's `sync_clients` row, so each op's
dedupe entry, its effect, its change-log rows and its stored result commit together: a
redelivered op gets its stored result and no second effect. Rejection is a result like any
other, and undoes only the rejected op. Runs of the common kinds are validated and applied in
memory and written together (`_Run`); the others go one by one under a savepoint.

Client seqs are sparse: the client's log also holds local-only entries (reference data, customer
messages) that are never pushed. An op therefore may name `prev_seq`, the seq of the op the
client pushed before it; the server takes it as the next op when `prev_seq` is the last one it
applied. Without it, anything but `max_applied_seq + 1` is a gap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from agentdesk.domain import actions, op_effects
from agentdesk.domain.errors import DomainError
from agentdesk.domain.ids import starting_with as ids
from agentdesk.domain.lifecycle import TRANSITIONS, Action
from agentdesk.domain.model import (
    Channel,
    Complexity,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.sync_ops import OpEnvelope, SyncKind
from agentdesk.domain.sync_rules import (
    Claim,
    StatusState,
    TransitionOp,
    validate_transition,
)
from agentdesk.server import (
    changelog,
    claims,
    customer_words,
    push_fields,
    reference,
    reservations,
    tickets,
    tombstones,
)
from agentdesk.server import tables as t
from agentdesk.server.database import dialect_insert
from agentdesk.server.op_writes import (
    ASSIGNERS,
    Pusher,
    Rejection,
    locked_ticket,
    missing,
    persist,
)
from agentdesk.server.tickets import (
    TicketWrites,
    create_ticket,
    give_back_numbers,
    new_ticket_change,
    take_numbers,
    ticket_from_row,
)

MAX_BATCH_OPS = 200
# Ops of one push committed together (one transaction, one flush). The change log's head row is
# locked only from a run's last write to the commit, but the group's tickets (and the number
# counter, once it creates one) stay locked for the whole group: small enough that a claim or a
# new ticket waits a few milliseconds, large enough to spare most flushes and statements.
COMMIT_GROUP = 50


class ClientTaken(Exception):
    """The client id belongs to another agent."""


@dataclass(frozen=True, slots=True)
class Gap:
    """The op does not follow the last one applied; the client resends from `expected_seq`."""

    expected_seq: int
    max_applied_seq: int


def result_json(
    op: OpEnvelope, outcome: str, reason: str | None = None, server_seq: int | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {"op_id": op.op_id, "client_seq": op.client_seq, "outcome": outcome}
    if reason:
        result["reason"] = reason
    if server_seq is not None:
        result["server_seq"] = server_seq
    return result


def push_one(
    connection: Connection,
    pusher: Pusher | str,
    client_id: str,
    op: OpEnvelope,
    prev_seq: int | None,
    *,
    now: datetime,
) -> dict[str, Any] | Gap:
    """Apply `op` in the caller's transaction, or return its stored result, or the gap."""
    results, gap = push_group(connection, pusher, client_id, [(op, prev_seq)], clock=lambda: now)
    return gap if gap is not None else results[0]


def push_group(
    connection: Connection,
    pusher: Pusher | str,
    client_id: str,
    ops: Sequence[tuple[OpEnvelope, int | None]],
    *,
    clock: Callable[[], datetime],
) -> tuple[list[dict[str, Any]], Gap | None]:
    """Apply `ops` (each with its `prev_seq`) in order in the caller's transaction.

    Returns a result per op up to the first gap (stored results for ops applied before), and
    the gap if there is one. Consecutive ops of the common kinds (`_Run`) are applied in memory
    and written together; any other op goes alone, under its own savepoint. Each op is stamped
    with its own `clock()` reading, so messages of one group still sort in the order written.
    """
    if isinstance(pusher, str):
        pusher = Pusher(pusher)
    max_applied = _lock_client(connection, pusher.agent_id, client_id)
    results: list[dict[str, Any]] = []
    fresh: dict[int, tuple[OpEnvelope, dict[str, Any]]] = {}  # by client seq
    run: _Run | None = None
    ensured: set[tuple[str, str]] = set()  # departments and customers the runs made sure of
    gap: Gap | None = None
    for index, (op, prev_seq) in enumerate(ops):
        if op.client_seq <= max_applied:
            results.append(_stored(connection, client_id, op, fresh))
            continue
        if op.client_seq != max_applied + 1 and prev_seq != max_applied:
            gap = Gap(max_applied + 1, max_applied)
            break
        result: dict[str, Any] | None = None
        if op.kind in _Run.KINDS:
            if run is None:
                run = _Run.locking(connection, [op for op, _ in ops[index:]], ensured)
            result = run.push(connection, pusher, op, now=clock())
        if result is None:
            if run is not None:
                run.flush(connection, now=clock())
                run = None
            result = _push_alone(connection, pusher, op, now=clock())
        results.append(result)
        fresh[op.client_seq] = (op, result)
        max_applied = op.client_seq
    if run is not None:
        run.flush(connection, now=clock())
    _store(connection, client_id, list(fresh.values()), max_applied)
    return results, gap


def _push_alone(
    connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
) -> dict[str, Any]:
    """Apply `op` under its own savepoint, so a rejection rolls back its writes alone."""
    try:
        with connection.begin_nested():
            extra = _apply(connection, pusher, op, now=now)
            server_seq, _lineage = changelog.head(connection)
        return {**result_json(op, "applied", server_seq=server_seq), **extra}
    except Rejection as rejection:
        return _rejected(op, rejection)


def _rejected(op: OpEnvelope, rejection: Rejection) -> dict[str, Any]:
    result = result_json(op, "rejected", rejection.reason)
    if rejection.detail:
        result["detail"] = rejection.detail
    return result


class _Alone(Exception):
    """The op needs the per-op path: it writes more than a `_Run` holds back."""


_LOCK_TICKETS = (
    select(t.tickets)
    .where(t.tickets.c.id.in_(bindparam("ticket_ids", expanding=True)))
    .order_by(t.tickets.c.id)
    .with_for_update()
)


@dataclass
class _Run:
    """Consecutive ops applied in memory against their tickets, locked up front in id order
    (SYNC.md §4.4), and written together by `flush`.

    An op's writes join the run only once it is validated, so a rejected op leaves nothing to
    roll back and needs no savepoint. Creating a ticket takes its number and makes its
    department and customer at once; it joins a run only when nothing can fail after that.
    """

    KINDS: ClassVar[frozenset[SyncKind]] = frozenset(
        {SyncKind.CREATE, SyncKind.REPLY, SyncKind.NOTE, SyncKind.TRANSITION}
    )

    tickets: dict[str, Ticket]
    # Creations ahead, for which the first one takes numbers at once (in one statement).
    creations: int = 0
    numbers: deque[int] = field(default_factory=deque)
    writes: TicketWrites = field(default_factory=TicketWrites)
    # Each applied op's result and how many change records the run held after it.
    applied: list[tuple[dict[str, Any], int]] = field(default_factory=list)
    ensured: set[tuple[str, str]] = field(default_factory=set)  # shared by a group's runs
    # Ids the run's creates name that an admin deleted: delete wins, even over a re-create.
    deleted: set[str] = field(default_factory=set)

    @classmethod
    def locking(
        cls, connection: Connection, ops: Sequence[OpEnvelope], ensured: set[tuple[str, str]]
    ) -> _Run:
        """A run for the ops ahead, with the tickets its leading ops of its kinds name locked."""
        ticket_ids: set[str] = set()
        created: set[str] = set()
        creations = 0
        for op in ops:
            if op.kind not in cls.KINDS:
                break
            creations += op.kind is SyncKind.CREATE
            named = op.payload.get("ticket_id") if op.kind is SyncKind.CREATE else op.ticket_id
            if isinstance(named, str) and named:
                ticket_ids.add(named)
                if op.kind is SyncKind.CREATE:
                    created.add(named)
        rows = connection.execute(_LOCK_TICKETS, {"ticket_ids": sorted(ticket_ids)})
        return cls(
            {row.id: ticket_from_row(row) for row in rows},
            creations,
            ensured=ensured,
            deleted=tombstones.deleted_among(connection, created),
        )

    def push(
        self, connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
    ) -> dict[str, Any] | None:
        """The op's result (its writes wait for `flush`), or None if it must go alone."""
        try:
            extra = self._apply(connection, pusher, op, now=now)
        except Rejection as rejection:
            return _rejected(op, rejection)
        except _Alone:
            return None
        result = {**result_json(op, "applied"), **extra}
        self.applied.append((result, len(self.writes.records)))
        return result

    def _apply(
        self, connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
    ) -> dict[str, Any]:
        _refuse_nul(op)
        if op.kind is SyncKind.CREATE:
            ticket_id = _created_id(op)
            if ticket_id in self.tickets:
                raise Rejection("invalid", f"ticket {ticket_id} exists already")
            if ticket_id in self.deleted:
                raise Rejection(tombstones.DELETED, f"ticket {ticket_id} was deleted by an admin")
            new = _new_ticket(op, ticket_id)
            if not new.subject.strip() or not new.body.strip():
                raise _Alone  # refused after its number is taken: the savepoint gives it back
            if op.payload.get("follow_up_of"):
                raise _Alone  # a desk's follow-up: its link is checked on the way
            change = new_ticket_change(
                connection,
                new,
                customer_name=None,
                now=now,
                ensured=self.ensured,
                number=self._number(connection),
            )
            self.tickets[ticket_id] = change.ticket
            self.writes.create(change)
            return {}
        if not op.ticket_id:
            raise Rejection("invalid", "the op names no ticket")
        ticket = self.tickets.get(op.ticket_id)
        if ticket is None:
            raise missing(connection, op.ticket_id)  # deleted, or never there
        if op.kind is not SyncKind.TRANSITION and ticket.status is TicketStatus.CLOSED:
            raise _Alone  # its words open a follow-up ticket
        change, extra = _ticket_change(connection, pusher.agent_id, op, ticket, now=now)
        self.tickets[ticket.id] = change.ticket
        self.writes.change(change)
        return extra

    def _number(self, connection: Connection) -> int:
        if not self.numbers:
            count = max(self.creations, 1)
            first = take_numbers(connection, count)
            self.numbers.extend(range(first, first + count))
        return self.numbers.popleft()

    def flush(self, connection: Connection, *, now: datetime) -> None:
        """Write the run's ops and give each result the seq of its last change record."""
        if self.numbers:
            give_back_numbers(connection, len(self.numbers))
        seqs = self.writes.flush(connection, now=now)
        for result, records in self.applied:
            result["server_seq"] = seqs[records - 1]


_STORED = select(t.op_results.c.outcome).where(
    t.op_results.c.client_id == bindparam("client_id"),
    t.op_results.c.client_seq == bindparam("client_seq"),
)
_INSERT_RESULTS = insert(t.op_results)
_SET_MAX_APPLIED = (
    update(t.sync_clients)
    .where(t.sync_clients.c.client_id == bindparam("b_client_id"))
    .values(max_applied_seq=bindparam("b_max_applied_seq"))
)
_CLIENT_ROW = (
    select(t.sync_clients.c.agent_id, t.sync_clients.c.max_applied_seq)
    .where(t.sync_clients.c.client_id == bindparam("client_id"))
    .with_for_update()
)


def _stored(
    connection: Connection,
    client_id: str,
    op: OpEnvelope,
    fresh: Mapping[int, tuple[OpEnvelope, dict[str, Any]]],
) -> dict[str, Any]:
    """The result a redelivered op got (in this group or before)."""
    if op.client_seq in fresh:
        return fresh[op.client_seq][1]
    stored = connection.execute(
        _STORED, {"client_id": client_id, "client_seq": op.client_seq}
    ).scalar_one_or_none()
    if stored is not None:
        return dict(stored)
    # The seq was skipped as local-only (see the module docstring): it never had an effect.
    return result_json(op, "rejected", "unknown_seq")


def _store(
    connection: Connection,
    client_id: str,
    answered: list[tuple[OpEnvelope, dict[str, Any]]],
    max_applied: int,
) -> None:
    """Keep each op's result for redelivery, and where the client's ops stand: the dedupe,
    committed with the effects."""
    if not answered:
        return
    connection.execute(
        _INSERT_RESULTS,
        [
            {
                "op_id": op.op_id,
                "client_id": client_id,
                "client_seq": op.client_seq,
                "outcome": result,
                "server_seq": result.get("server_seq"),
            }
            for op, result in answered
        ],
    )
    connection.execute(
        _SET_MAX_APPLIED, {"b_client_id": client_id, "b_max_applied_seq": max_applied}
    )


def _lock_client(connection: Connection, agent_id: str, client_id: str) -> int:
    connection.execute(
        dialect_insert(connection, t.sync_clients)
        .values(client_id=client_id, agent_id=agent_id, max_applied_seq=0)
        .on_conflict_do_nothing()
    )
    row = connection.execute(_CLIENT_ROW, {"client_id": client_id}).one()
    if row.agent_id != agent_id:
        raise ClientTaken(f"client id {client_id!r} belongs to another agent")
    return int(row.max_applied_seq)


# -- applying one op by kind -------------------------------------------------------------------
def _apply(
    connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
) -> dict[str, Any]:
    """Apply `op`; returns fields the op's result carries besides its outcome."""
    _refuse_nul(op)
    if op.kind in reference.PUSHED:
        return reference.apply_pushed(connection, pusher, op, now=now)
    if op.kind is SyncKind.CREATE:
        _create(connection, op, now=now)
        return {}
    if op.kind is SyncKind.ASSIGN:
        return {"claim_epoch": _assign(connection, pusher, op, now=now)}
    if op.kind is SyncKind.SET_FIELD:
        return push_fields.set_fields(connection, pusher, op, now=now)
    if op.kind is SyncKind.TRANSFER:
        department = op.payload.get("department_id")
        if not isinstance(department, str) or not department:
            raise Rejection("invalid", "a transfer names no department")
        return push_fields.move(connection, pusher, op, department, now=now)
    if op.kind is SyncKind.LINK_ADD:
        return push_fields.add_links(connection, pusher, op, now=now)
    if op.kind is SyncKind.CUSTOMER_MESSAGE:
        return customer_words.record(connection, customer_words.words_of(op), now=now)
    if op.kind not in (SyncKind.REPLY, SyncKind.NOTE, SyncKind.TRANSITION):
        raise Rejection("unsupported", f"the server does not apply {op.kind.value!r} ops yet")
    if not op.ticket_id:
        raise Rejection("invalid", "the op names no ticket")
    ticket = locked_ticket(connection, op.ticket_id)
    extra: dict[str, Any] = {}
    if op.kind is not SyncKind.TRANSITION and ticket.status is TicketStatus.CLOSED:
        ticket = _follow_up(connection, ticket, now=now)
        extra["follow_up_ticket_id"] = ticket.id
    change, more = _ticket_change(
        connection, pusher.agent_id, op, ticket, now=now, follow_up=bool(extra)
    )
    persist(connection, change, now=now)
    return {**extra, **more}


def _refuse_nul(op: OpEnvelope) -> None:
    if _holds_nul(op.payload):
        # A desk's SQLite stores NUL, PostgreSQL text cannot: refuse this op alone.
        raise Rejection("invalid", "the op holds a NUL character, which the server cannot store")


def _ticket_change(
    connection: Connection,
    agent_id: str,
    op: OpEnvelope,
    ticket: Ticket,
    *,
    now: datetime,
    follow_up: bool = False,
) -> tuple[actions.Change, dict[str, Any]]:
    """The change a reply, note or transition makes to `ticket` (validated, not written), and
    what its result carries besides its outcome."""
    payload = op.payload
    make_id = ids(payload.get("message_id"))
    extra: dict[str, Any] = {}
    try:
        if op.kind is SyncKind.TRANSITION:
            _check_transition(connection, ticket, agent_id, op, now=now)
            return _transition(ticket, agent_id, op, now=now, make_id=make_id), extra
        wait = op.kind is SyncKind.REPLY and bool(payload.get("wait_on_customer"))
        if wait and not follow_up:
            kept = _status_kept(connection, ticket, agent_id, op, now=now)
            if kept is not None:
                # The words land anyway (append-only); only the status change is refused.
                wait = False
                extra["status_kept"] = kept
        change = actions.reply(
            ticket,
            str(payload.get("body", "")),
            author_id=agent_id,
            now=now,
            internal=op.kind is SyncKind.NOTE,
            wait_on_customer=wait,
            links=reply_links(payload),
            make_id=make_id,
        )
    except DomainError as error:
        raise Rejection("invalid", str(error)) from None
    return change, extra


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


def _status_kept(
    connection: Connection, ticket: Ticket, agent_id: str, op: OpEnvelope, *, now: datetime
) -> str | None:
    """Why a reply's status change (asking the customer: -> pending) is refused, if it is.

    Moving a ticket to pending is the owner's transition (SYNC.md §4.7), validated like any
    other: fenced, compare-and-set on the version the client saw.
    """
    if TRANSITIONS[ticket.status].get(Action.ASK_CUSTOMER) is ticket.status:
        return None  # no status change (already pending): nothing to validate
    try:
        _check_transition(
            connection, ticket, agent_id, replace(op, action=Action.ASK_CUSTOMER), now=now
        )
    except Rejection as refused:
        return refused.reason
    return None


def reply_links(payload: Mapping[str, object]) -> tuple[TicketLink, ...]:
    """The links a reply or transition offered, or a rejection naming what is wrong with them."""
    try:
        return op_effects.links_of(payload)
    except (KeyError, TypeError, ValueError) as error:
        raise Rejection("invalid", f"links: {error}") from None


def _follow_up(connection: Connection, closed: Ticket, *, now: datetime) -> Ticket:
    """Where words that arrived after `closed` closed go (closed is final).

    Its open follow-up if it has one, else a new ticket linked to it.
    """
    existing = tickets.live_follow_up(connection, closed.id)
    if existing is not None:
        return existing
    new = actions.follow_up_for(
        closed, f"Follow-up of #{closed.number}: a message arrived after it was closed."
    )
    return create_ticket(connection, new, customer_name=None, now=now, follow_up_of=closed.id)


def _assign(connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime) -> int:
    """Claim the ticket for the assignee (epoch + 1, a fresh lease); returns the new epoch.

    Taking a ticket yourself needs it free: a live claim of someone else's is `claim_lost`.
    Handing it to someone else is a lead's command (like POST /tickets/{id}/assign) and fences
    out whoever held it.
    """
    if not op.ticket_id:
        raise Rejection("invalid", "the op names no ticket")
    target = _assignee(connection, pusher.agent_id, op.payload)
    if target != pusher.agent_id and pusher.role not in ASSIGNERS:
        raise Rejection("not_authorised", "only a lead may assign a ticket to someone else")
    ticket = connection.execute(
        select(t.tickets.c.id).where(t.tickets.c.id == op.ticket_id)
    ).first()
    if ticket is None:
        raise missing(connection, op.ticket_id)
    # Lock order as in claims.py: queue row, claim row, ticket row, log head.
    connection.execute(delete(t.routing_queue).where(t.routing_queue.c.ticket_id == op.ticket_id))
    held = connection.execute(
        select(
            t.ticket_claims.c.owner_agent_id,
            t.ticket_claims.c.lease_expires_at,
            t.ticket_claims.c.epoch,
        )
        .where(t.ticket_claims.c.ticket_id == op.ticket_id)
        .with_for_update()
    ).first()
    mine = held is not None and held.owner_agent_id == target and held.lease_expires_at > now
    if target == pusher.agent_id and (op.claim_epoch is not None or mine):
        # Taking what you hold (a reservation, usually) keeps its epoch: see take_held.
        quoted = op.claim_epoch if op.claim_epoch is not None else int(held.epoch)
        epoch = reservations.take_held(
            connection, op.ticket_id, target, quoted, held, now=now, lease=pusher.lease
        )
    else:
        forced = mine or target != pusher.agent_id
        taken = claims.take(
            connection, op.ticket_id, target, now=now, lease=pusher.lease, force=forced
        )
        if taken is None:
            raise Rejection("claim_lost", "another agent holds a live claim on the ticket")
        epoch = taken
    current = locked_ticket(connection, op.ticket_id)
    try:
        change = actions.assign(
            current, target, actor_id=pusher.agent_id, now=now, make_id=ids(None)
        )
    except DomainError as error:
        raise Rejection("invalid", str(error)) from None
    persist(connection, change, now=now, claim={"owner_agent_id": target, "epoch": epoch})
    return epoch


def _assignee(connection: Connection, agent_id: str, payload: Mapping[str, object]) -> str:
    """The server agent an assign op names.

    A workstation's agent ids are its own, not the server's: an agent who took the ticket
    themselves (the payload's actor is the assignee, as pull-next logs it) means the pusher.
    Anyone else must be named by their server id.
    """
    target = payload.get("agent_id")
    if not isinstance(target, str) or not target:
        raise Rejection("invalid", "an assign op names no agent")
    if target == agent_id or payload.get("actor_id") == target:
        return agent_id
    known = connection.execute(select(t.agents.c.id).where(t.agents.c.id == target)).first()
    if known is None:
        raise Rejection("not_found", f"no agent {target} on the server")
    return target


def _create(connection: Connection, op: OpEnvelope, *, now: datetime) -> None:
    ticket_id = _created_id(op)
    exists = connection.execute(select(t.tickets.c.id).where(t.tickets.c.id == ticket_id)).first()
    if exists is not None:
        raise Rejection("invalid", f"ticket {ticket_id} exists already")
    if tombstones.deleted(connection, ticket_id):
        raise Rejection(tombstones.DELETED, f"ticket {ticket_id} was deleted by an admin")
    new = _new_ticket(op, ticket_id)
    follow_up_of = _optional_str(op.payload.get("follow_up_of"))
    if follow_up_of is not None:
        known = connection.execute(select(t.tickets.c.id).where(t.tickets.c.id == follow_up_of))
        if known.first() is None:
            follow_up_of = None  # the words still open their ticket; the link has nothing to name
    try:
        # A desk's follow-up (`ticket.follow_up`) is opened by what the customer said.
        create_ticket(
            connection,
            new,
            customer_name=None,
            now=now,
            follow_up_of=follow_up_of,
            opened_by_customer=True,
        )
    except DomainError as error:
        raise Rejection("invalid", str(error)) from None


def _created_id(op: OpEnvelope) -> str:
    ticket_id = op.payload.get("ticket_id")
    if not isinstance(ticket_id, str) or not ticket_id:
        raise Rejection("invalid", "a created ticket needs its id")
    return ticket_id


def _new_ticket(op: OpEnvelope, ticket_id: str) -> actions.NewTicket:
    payload = op.payload
    try:
        created = payload.get("created_at")
        return actions.NewTicket(
            id=ticket_id,
            message_id=_optional_str(payload.get("message_id")),
            subject=str(payload.get("subject", "")),
            body=str(payload.get("body", "")),
            customer_id=str(payload.get("customer_id") or "unknown"),
            department_id=str(payload.get("department_id") or "general"),
            priority=Priority(payload.get("priority", Priority.NORMAL.value)),
            channel=Channel(payload.get("channel", Channel.EMAIL.value)),
            intent=str(payload.get("intent") or ""),
            required_skill=_optional_str(payload.get("required_skill")),
            complexity=Complexity(payload.get("complexity", Complexity.STANDARD.value)),
            created_at=datetime.fromisoformat(created) if isinstance(created, str) else None,
        )
    except ValueError as error:
        raise Rejection("invalid", str(error)) from None


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _check_transition(
    connection: Connection, ticket: Ticket, agent_id: str, op: OpEnvelope, *, now: datetime
) -> None:
    """Validate with the shared rules: compare-and-set on the version the client saw, fenced.

    The server keeps no separate status version yet, so the ticket version stands in for it:
    stricter (any change since the client read the ticket makes the transition stale), never
    looser.
    """
    if op.action is None:
        raise Rejection("invalid", "a transition names no action")
    row = connection.execute(
        select(t.ticket_claims).where(t.ticket_claims.c.ticket_id == ticket.id)
    ).first()
    if row is not None and op.claim_epoch is not None and op.claim_epoch != int(row.epoch):
        # The epoch the client held is gone (revoked, reassigned, lapsed and retaken): fenced
        # out, whoever holds the ticket now.
        raise Rejection("claim_lost")
    live = row is not None and row.owner_agent_id is not None and row.lease_expires_at > now
    epoch = op.claim_epoch or 0
    if live and row is not None:
        claim: Claim | None = Claim(row.owner_agent_id, int(row.epoch))
        if op.claim_epoch is None and row.owner_agent_id == agent_id:
            # Workstations do not send epochs yet: the live owner's op is taken as quoting the
            # current one. Another agent's op still fails the fence (the owner differs).
            epoch = int(row.epoch)
    elif ticket.assignee_id in (None, agent_id):
        # No live claim: the assignee (or anyone, on an unassigned ticket) may act on it.
        claim = Claim(agent_id, epoch)
    else:
        claim = None
    outcome = validate_transition(
        StatusState(ticket.status, ticket.version, claim),
        TransitionOp(
            op.action,
            agent_id,
            from_status=ticket.status,
            base_version=op.base_version,
            claim_epoch=epoch,
        ),
    )
    if outcome.for_conflict_list and outcome.reason is not None:
        raise Rejection(outcome.reason.value)


def _transition(
    ticket: Ticket,
    agent_id: str,
    op: OpEnvelope,
    *,
    now: datetime,
    make_id: Callable[[], str],
) -> actions.Change:
    """The domain's change for a validated transition op (the same function the client ran)."""
    build = _TRANSITIONS.get(op.action) if op.action is not None else None
    if build is None:
        raise Rejection("unsupported", f"{op.action} is not a transition a client sends")
    reply_links(op.payload)  # a bad links list is named as such
    try:
        return build(ticket, _Step(agent_id, op.payload, now, make_id))
    except (KeyError, TypeError, ValueError) as error:
        raise Rejection("invalid", f"malformed {op.action.value} payload: {error}") from None


@dataclass(frozen=True, slots=True)
class _Step:
    """What a transition builder needs besides the ticket."""

    agent_id: str
    payload: Mapping[str, object]
    now: datetime
    make_id: Callable[[], str]


def _request_confirmation(ticket: Ticket, step: _Step) -> actions.Change:
    return op_effects.request_confirmation(
        ticket, step.payload, actor_id=step.agent_id, now=step.now, make_id=step.make_id
    )


def _confirm_close(ticket: Ticket, step: _Step) -> actions.Change:
    return op_effects.close_confirmed(
        ticket, step.payload, actor_id=step.agent_id, now=step.now, make_id=step.make_id
    )


# Transitions that travel as `transition` ops (sync_ops.KIND_RULES). The other agent-side status
# changes ride on their own kinds, each validated by the same state machine: a reply that asks
# the customer (`_status_kept`), a transfer (`push_fields.move`) and an assign (the claim).
_TRANSITIONS: Mapping[Action, Callable[[Ticket, _Step], actions.Change]] = {
    Action.REQUEST_CONFIRMATION: _request_confirmation,
    Action.CONFIRM_CLOSE: _confirm_close,
}
