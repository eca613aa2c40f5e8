"""The client's outbox: delivery state of logged operations, push results, conflicts.

Every logged operation is either pushed (pending until the server answers) or local only
(reference data, customer messages: see `sync_ops`). The server's answer is final: an applied op
is acked, a rejected one becomes a conflict the agent sees until they dismiss it (SYNC.md §4.9).
Transport failures are not results; the op stays pending and counts an attempt.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from agentdesk.domain.held_claims import reserved_count
from agentdesk.domain.model import Operation
from agentdesk.domain.sync_ops import LOCAL_ONLY_KINDS
from agentdesk.domain.sync_rules import OutcomeKind


class DeliveryState(StrEnum):
    LOCAL = "local"  # never pushed
    PENDING = "pending"
    ACKED = "acked"
    REJECTED = "rejected"


def initial_state(kind: str) -> DeliveryState:
    """The state an operation of `kind` is logged in."""
    return DeliveryState.LOCAL if kind in LOCAL_ONLY_KINDS else DeliveryState.PENDING


@dataclass(frozen=True, slots=True)
class PushResult:
    """The server's answer for one pushed op (a duplicate carries the stored outcome's kind)."""

    op_id: str
    outcome: OutcomeKind
    server_seq: int | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.outcome is OutcomeKind.REJECTED and not self.reason:
            raise ValueError(f"push result for {self.op_id}: a rejection needs a reason")

    @property
    def state(self) -> DeliveryState:
        rejected = self.outcome is OutcomeKind.REJECTED
        return DeliveryState.REJECTED if rejected else DeliveryState.ACKED


@dataclass(frozen=True, slots=True)
class SyncConflict:
    """A local operation the server rejected: shown to the agent, never silently dropped."""

    op: Operation
    reason: str
    at: datetime  # when the rejection was recorded


@dataclass(frozen=True, slots=True)
class SyncStatus:
    pending: int = 0
    conflicts: int = 0  # rejected and not dismissed
    cursor: int = 0  # last applied server_seq
    last_sync_at: datetime | None = None
    server_epoch: str | None = None
    # When each untaken reservation's lease ends (`held_claims`): the ones still live are the
    # tickets pull-next can hand out offline.
    reserved_until: tuple[datetime, ...] = ()
    # A fresh download from the server's log is under way (its lineage changed): SYNC.md §4.5.
    resyncing: bool = False


@dataclass(frozen=True, slots=True)
class SyncView:
    """What the status bar shows about sync: the link state and the outbox, read at `at`."""

    online: bool
    status: SyncStatus
    at: datetime


def ago(then: datetime, now: datetime) -> str:
    """'just now', '2m ago', '3h ago', '4d ago': how long since `then`, coarsely."""
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes}m ago"
    if minutes < 60 * 24:
        return f"{minutes // 60}h ago"
    return f"{minutes // (60 * 24)}d ago"


def sync_parts(view: SyncView | None) -> list[str]:
    """The status bar's sync segment, in order; `None` means no server is configured."""
    if view is None:
        return ["local only"]
    status = view.status
    synced = status.last_sync_at
    parts = [
        "online" if view.online else "offline",
        f"pending {status.pending}",
        f"conflicts {status.conflicts}",
        f"synced {ago(synced, view.at)}" if synced else "never synced",
    ]
    # Tickets pull-next can hand out offline; shown once there are any.
    reserved = reserved_count(status.reserved_until, view.at)
    if reserved:
        parts.insert(3, f"reserved {reserved}")
    if status.resyncing:
        parts.insert(1, "resyncing…")
    return parts
