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
