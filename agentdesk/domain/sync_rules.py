"""The sync server's merge rules over plain values (docs: SYNC.md §4.6-4.9).

Each rule takes the current state and one incoming operation and returns the next state plus an
`Outcome`. Nothing here does I/O: the server runs these inside its per-op transaction, and a
client may run them for early warning only (the server decides).

- Scalar fields are last-writer-wins registers ordered by `(hlc, site_id)`; the loser is reported
  as `applied_lost_lww` so nothing a human typed vanishes silently.
- Messages and notes are append-only events keyed by op id: a set union, shown in server order.
- Status changes are validated against the lifecycle state machine with compare-and-set on
  `status_version`; ownership-sensitive ones also need the current claim `(owner, epoch)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Generic, TypeVar

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.lifecycle import TRANSITIONS, Action
from agentdesk.domain.model import TicketStatus

T = TypeVar("T")


class OutcomeKind(StrEnum):
    APPLIED = "applied"
    APPLIED_LOST_LWW = "applied_lost_lww"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


class Reason(StrEnum):
    STALE_TRANSITION = "stale_transition"
    CLAIM_LOST = "claim_lost"
    INVALID_TRANSITION = "invalid_transition"
    NOT_AUTHORISED = "not_authorised"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one op. Rejection is a result, acknowledged like any other."""

    kind: OutcomeKind
    reason: Reason | None = None

    @property
    def for_conflict_list(self) -> bool:
        """Rejected ops go to the agent's visible conflict list with a re-apply option."""
        return self.kind is OutcomeKind.REJECTED


APPLIED = Outcome(OutcomeKind.APPLIED)
LOST_LWW = Outcome(OutcomeKind.APPLIED_LOST_LWW)
DUPLICATE = Outcome(OutcomeKind.DUPLICATE)


def rejected(reason: Reason) -> Outcome:
    return Outcome(OutcomeKind.REJECTED, reason)


# --- last-writer-wins registers -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldWrite(Generic[T]):
    """One write to a scalar field, stamped by the writing site's clock."""

    value: T
    hlc: Hlc
    site_id: str

    def wins_over(self, other: FieldWrite[T]) -> bool:
        """Higher `(hlc, site_id)` wins.

        A site never stamps two writes alike (its clock is strictly monotonic), so equal stamps
        mean the same write delivered twice. Should a buggy client reuse a stamp anyway, the
        value's repr breaks the tie so every replica still picks the same winner.
        """
        mine = (self.hlc, self.site_id)
        theirs = (other.hlc, other.site_id)
        if mine != theirs:
            return mine > theirs
        return repr(self.value) > repr(other.value)


def merge_field(
    current: FieldWrite[T] | None, incoming: FieldWrite[T]
) -> tuple[FieldWrite[T], Outcome]:
    """The register after `incoming`: the winning write, and how `incoming` fared."""
    if current is None:
        return incoming, APPLIED
    if incoming == current:
        return current, DUPLICATE
    if incoming.wins_over(current):
        return incoming, APPLIED
    return current, LOST_LWW


def join_fields(
    left: Mapping[str, FieldWrite[T]], right: Mapping[str, FieldWrite[T]]
) -> dict[str, FieldWrite[T]]:
    """Merge two replicas' registers field by field (the LWW join)."""
    merged = dict(left)
    for name, write in right.items():
        merged[name] = merge_field(merged.get(name), write)[0]
    return merged


def apply_field_writes(
    fields: Mapping[str, FieldWrite[T]], writes: Iterable[tuple[str, FieldWrite[T]]]
) -> tuple[dict[str, FieldWrite[T]], list[Outcome]]:
    """Apply `(field, write)` pairs in arrival order; returns the registers and each outcome."""
    state = dict(fields)
    outcomes: list[Outcome] = []
    for name, write in writes:
        state[name], outcome = merge_field(state.get(name), write)
        outcomes.append(outcome)
    return state, outcomes


def present_tags(tags: Mapping[str, FieldWrite[bool]]) -> frozenset[str]:
    """Tags as an add/remove set: each tag is a register of presence, so add vs remove is LWW."""
    return frozenset(tag for tag, write in tags.items() if write.value)


# --- append-only events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """A message or note. Its id is the op id that created it, which makes delivery idempotent."""

    op_id: str
    server_seq: int
    kind: str
    body: str
    author: str


def add_event(events: Mapping[str, Event], event: Event) -> tuple[dict[str, Event], Outcome]:
    if event.op_id in events:
        return dict(events), DUPLICATE
    return {**events, event.op_id: event}, APPLIED


def merge_events(*replicas: Mapping[str, Event]) -> dict[str, Event]:
    merged: dict[str, Event] = {}
    for replica in replicas:
        merged.update(replica)
    return merged


def in_display_order(events: Mapping[str, Event]) -> tuple[Event, ...]:
    """Server order, which never changes once assigned; op id only guards against equal seqs."""
    return tuple(sorted(events.values(), key=lambda event: (event.server_seq, event.op_id)))


# --- claims and status ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    owner: str
    epoch: int


def check_fence(claim: Claim | None, actor: str, epoch: int | None) -> Outcome:
    """An ownership-sensitive op needs the claim's current owner and epoch (a fencing token)."""
    if claim is None or epoch is None or claim.owner != actor or claim.epoch != epoch:
        return rejected(Reason.CLAIM_LOST)
    return APPLIED


@dataclass(frozen=True, slots=True)
class StatusState:
    status: TicketStatus
    status_version: int = 0
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class TransitionOp:
    """A request to move a ticket's status.

    Client ops carry what the agent saw (`from_status`, `base_version`) and their claim epoch;
    server-originated events (a customer reply, a supervisor command) set `by_server` and apply
    to whatever the status is now.
    """

    action: Action
    actor: str
    from_status: TicketStatus | None = None
    base_version: int | None = None
    claim_epoch: int | None = None
    by_server: bool = False


# Only the server records what the customer did; a client claiming to be the customer is refused.
SERVER_ONLY_ACTIONS: frozenset[Action] = frozenset({Action.CUSTOMER_REPLY})
# Taking a ticket is how a claim starts, so it cannot require one; the server's claim protocol
# guards it instead.
UNFENCED_ACTIONS: frozenset[Action] = frozenset({Action.ASSIGN})


def validate_transition(state: StatusState, op: TransitionOp) -> Outcome:
    if not op.by_server:
        if op.action in SERVER_ONLY_ACTIONS:
            return rejected(Reason.NOT_AUTHORISED)
        if op.action not in UNFENCED_ACTIONS:
            fence = check_fence(state.claim, op.actor, op.claim_epoch)
            if fence.for_conflict_list:
                return fence
        if op.from_status is not state.status or op.base_version != state.status_version:
            return rejected(Reason.STALE_TRANSITION)
    if op.action not in TRANSITIONS[state.status]:
        return rejected(Reason.INVALID_TRANSITION)
    return APPLIED


def apply_transition(state: StatusState, op: TransitionOp) -> tuple[StatusState, Outcome]:
    """The state after `op`; `status_version` moves only when the status does.

    Bumping only on a real change keeps a customer's extra message on an open ticket from
    invalidating an agent's offline work, while a reopen does invalidate an older offline close.
    """
    outcome = validate_transition(state, op)
    if outcome.for_conflict_list:
        return state, outcome
    status = TRANSITIONS[state.status][op.action]
    if status is state.status:
        return state, outcome
    return replace(state, status=status, status_version=state.status_version + 1), outcome


def is_allowed_step(before: TicketStatus, after: TicketStatus) -> bool:
    """Whether some action of the state machine moves `before` to `after`."""
    return after in TRANSITIONS[before].values()
