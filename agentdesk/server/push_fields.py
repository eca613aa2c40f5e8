"""Pushed field edits, transfers and links (SYNC.md §4.6).

Scalar fields are last-writer-wins registers ordered by the op's `(hlc, site_id)`
(`sync_rules.merge_field`); each ticket keeps the clock of the write every field holds in
`field_clocks`. A write that loses is still acknowledged, as `applied_lost_lww`, and recorded
in the audit trail, so nothing a person typed vanishes silently. A department change is the
same kind of register, but it also releases the claim (epoch + 1) and leaves the next agent a
note. Links are append-only: adding one twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from agentdesk.domain import actions
from agentdesk.domain.errors import DomainError
from agentdesk.domain.hlc import Hlc, clamp, epoch_ms
from agentdesk.domain.ids import starting_with as ids
from agentdesk.domain.model import (
    AuditEvent,
    Complexity,
    LinkKind,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.sync_ops import OpEnvelope
from agentdesk.domain.sync_rules import FieldWrite, OutcomeKind, merge_field
from agentdesk.server import tables as t
from agentdesk.server.database import dialect_insert
from agentdesk.server.op_writes import ASSIGNERS, Pusher, Rejection, locked_row, persist
from agentdesk.server.tickets import CLAIMABLE, ensure_department, queue_values, ticket_from_row

# Ops stamped further ahead of the server's clock are pulled back (and audited), not refused.
MAX_FORWARD_SKEW = timedelta(minutes=5)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be non-empty text")
    return value.strip()


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _csat(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in actions.CSAT_RANGE:
        raise ValueError("must be 1 to 5")
    return value


# The fields a set_field op may write, each with its parser.
SETTABLE: Mapping[str, Callable[[object], object]] = {
    "subject": _text,
    "priority": lambda value: Priority(value),
    "csat": _csat,
    "intent": _text,
    "required_skill": _optional_text,
    "complexity": lambda value: Complexity(value),
}
# A closed ticket keeps its classification; these may still change (as Zendesk allows).
CLOSED_EDITABLE = frozenset({"subject", "priority", "csat"})
GROUP = "department_id"


def set_fields(
    connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
) -> dict[str, Any]:
    """Merge each field the op names into its register; a department goes through `move`."""
    writes: dict[str, object] = {}
    for name, parse in SETTABLE.items():
        if name in op.payload:
            try:
                writes[name] = parse(op.payload[name])
            except ValueError as error:
                raise Rejection("invalid", f"{name}: {error}") from None
    department = op.payload.get(GROUP)
    if not writes and not isinstance(department, str):
        raise Rejection("invalid", "the op sets no field the server knows")
    row = locked_row(connection, _ticket_id(op))
    ticket = ticket_from_row(row)
    if ticket.status is TicketStatus.CLOSED and set(writes) - CLOSED_EDITABLE:
        closed = ", ".join(sorted(set(writes) - CLOSED_EDITABLE))
        raise Rejection("ticket_closed", f"a closed ticket's {closed} cannot change")
    stamp = Stamp.of(op, now)
    clocks = dict(row.field_clocks or {})
    won, lost = stamp.merge(ticket, clocks, writes)
    updated = replace(ticket, updated_at=now, version=ticket.version + 1, **won) if won else ticket
    if writes:
        audit = stamp.audit(ticket, pusher.agent_id, won, lost, now=now)
        change = actions.Change("sync.set_field", updated, {}, (), tuple(audit))
        persist(connection, change, now=now, field_clocks=clocks)
    result = _lww_result(won, lost)
    if isinstance(department, str) and department != updated.department_id:
        moved = move(connection, pusher, op, department, stamp, now=now)
        result = _combined(result, moved)
    return result


def move(
    connection: Connection,
    pusher: Pusher,
    op: OpEnvelope,
    department: str,
    stamp: Stamp | None = None,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Change the ticket's department (LWW); a winning move releases the claim, epoch + 1."""
    ticket_id = _ticket_id(op)
    stamp = stamp or Stamp.of(op, now)
    # Lock order as in claims.py: claim row, then ticket row.
    claim = connection.execute(
        select(t.ticket_claims).where(t.ticket_claims.c.ticket_id == ticket_id).with_for_update()
    ).first()
    held_by_other = (
        claim is not None
        and claim.owner_agent_id not in (None, pusher.agent_id)
        and claim.lease_expires_at > now
    )
    if held_by_other and pusher.role not in ASSIGNERS:
        raise Rejection("claim_lost", "another agent holds a live claim on the ticket")
    row = locked_row(connection, ticket_id)
    ticket = ticket_from_row(row)
    clocks = dict(row.field_clocks or {})
    won, lost = stamp.merge(ticket, clocks, {GROUP: department})
    if not won:
        audit = stamp.audit(ticket, pusher.agent_id, won, lost, now=now)
        persist(connection, actions.Change("sync.transfer", ticket, {}, (), tuple(audit)), now=now)
        return _lww_result(won, lost)
    note = str(op.payload.get("note") or op.payload.get("rule") or "moved by a synced change")
    ensure_department(connection, department)
    try:
        change = actions.transfer(
            ticket,
            department,
            note,
            actor_id=pusher.agent_id,
            now=now,
            make_id=ids(op.payload.get("message_id")),
        )
    except DomainError as error:
        raise Rejection("invalid", str(error)) from None
    epoch = _release(connection, ticket_id, claim)
    state = {"owner_agent_id": None, "epoch": epoch} if epoch is not None else None
    extra = stamp.audit(ticket, pusher.agent_id, {}, {}, now=now)
    change = replace(change, audit=change.audit + tuple(extra))
    persist(connection, change, now=now, claim=state, field_clocks=clocks)
    if change.ticket.status in CLAIMABLE:
        connection.execute(
            dialect_insert(connection, t.routing_queue)
            .values(**queue_values(connection, change.ticket))
            .on_conflict_do_nothing()
        )
    return {} if epoch is None else {"claim_epoch": epoch}


def add_links(
    connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
) -> dict[str, Any]:
    """Append the op's links; ones the ticket has already are skipped, so a replay is a no-op."""
    raw = op.payload.get("links")
    if not isinstance(raw, list) or not raw:
        raise Rejection("invalid", "a link op names no links")
    try:
        links = [
            TicketLink(LinkKind(item["kind"]), _text(item["ref_id"]), str(item.get("title", "")))
            for item in raw
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise Rejection("invalid", f"links: {error}") from None
    ticket = ticket_from_row(locked_row(connection, _ticket_id(op)))
    have = {(link.kind, link.ref_id) for link in ticket.links}
    make_id = ids(None)
    audit: list[AuditEvent] = []
    for link in links:
        if (link.kind, link.ref_id) in have:
            continue
        have.add((link.kind, link.ref_id))
        change = actions.link(
            ticket,
            link.kind,
            link.ref_id,
            link.title,
            actor_id=pusher.agent_id,
            now=now,
            make_id=make_id,
        )
        ticket = change.ticket
        audit += change.audit
    if audit:
        persist(connection, actions.Change("ticket.link", ticket, {}, (), tuple(audit)), now=now)
        return {}
    # The client added them to its copy (a new version there): it rolls back to the server's.
    return {"unchanged": "the ticket has these links already"}


@dataclass(frozen=True, slots=True)
class Stamp:
    """The op's clock (clamped to the server's forward-skew limit) and site: its LWW order."""

    hlc: Hlc
    site_id: str
    # The clock the op carried, when it had to be clamped.
    adjusted_from: Hlc | None

    @classmethod
    def of(cls, op: OpEnvelope, now: datetime) -> Stamp:
        skew_ms = int(MAX_FORWARD_SKEW / timedelta(milliseconds=1))
        hlc, adjusted = clamp(op.hlc, epoch_ms(now), skew_ms)
        return cls(hlc, op.site_id, op.hlc if adjusted else None)

    def merge(
        self, ticket: Ticket, clocks: dict[str, list[str]], writes: Mapping[str, object]
    ) -> tuple[dict[str, object], dict[str, dict[str, Any]]]:
        """The writes that won (and their clocks, set in `clocks`), and those that lost."""
        won: dict[str, object] = {}
        lost: dict[str, dict[str, Any]] = {}
        for name, value in writes.items():
            held = clocks.get(name)
            current = getattr(ticket, name)
            register = (
                FieldWrite(current, Hlc.from_str(held[0]), held[1]) if held is not None else None
            )
            _winner, outcome = merge_field(register, FieldWrite(value, self.hlc, self.site_id))
            if outcome.kind is OutcomeKind.APPLIED:
                won[name] = value
                clocks[name] = [self.hlc.to_str(), self.site_id]
            elif outcome.kind is OutcomeKind.APPLIED_LOST_LWW and held is not None:
                lost[name] = {"value": value, "kept": current, "kept_clock": held}
        return won, lost

    def audit(
        self,
        ticket: Ticket,
        actor: str,
        won: Mapping[str, object],
        lost: Mapping[str, Mapping[str, Any]],
        *,
        now: datetime,
    ) -> list[AuditEvent]:
        make_id = ids(None)
        clock = [self.hlc.to_str(), self.site_id]
        events = []
        if won:
            detail = {"fields": dict(won), "clock": clock}
            events.append(AuditEvent(make_id(), ticket.id, actor, "ticket.fields_set", detail, now))
        if lost:
            detail = {"lost": dict(lost), "clock": clock}
            events.append(
                AuditEvent(make_id(), ticket.id, actor, "ticket.applied_lost_lww", detail, now)
            )
        if self.adjusted_from is not None:
            detail = {"sent": self.adjusted_from.to_str(), "used": self.hlc.to_str()}
            events.append(AuditEvent(make_id(), ticket.id, actor, "clock_adjusted", detail, now))
        return events


def _release(connection: Connection, ticket_id: str, claim: Any) -> int | None:
    """Free the claim and bump its epoch so its holder's later ops are fenced out."""
    if claim is None:
        return None
    epoch = int(claim.epoch) + 1
    connection.execute(
        update(t.ticket_claims)
        .where(t.ticket_claims.c.ticket_id == ticket_id)
        .values(owner_agent_id=None, lease_expires_at=None, epoch=epoch)
    )
    return epoch


def _lww_result(won: Mapping[str, object], lost: Mapping[str, object]) -> dict[str, Any]:
    if not lost:
        return {}
    result: dict[str, Any] = {"lost_fields": sorted(lost)}
    if not won:
        result["outcome"] = "applied_lost_lww"
    return result


def _combined(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    lost = sorted({*first.get("lost_fields", []), *second.get("lost_fields", [])})
    combined = {**first, **second}
    if lost:
        combined["lost_fields"] = lost
    if first.get("outcome") != second.get("outcome"):
        combined.pop("outcome", None)
    return combined


def _ticket_id(op: OpEnvelope) -> str:
    if not op.ticket_id:
        raise Rejection("invalid", "the op names no ticket")
    return op.ticket_id
