"""The claims a workstation holds on the server, and what they allow offline (SYNC.md §4.8).

The server lists every live claim an agent holds, with its fencing epoch, each time a sync round
refreshes reservations. The client keeps that list: its epochs go with ownership-sensitive ops,
and its untaken reservations are the only tickets pull-next may hand out in sync mode, online or
offline, so a ticket pulled on a workstation is one the server has already set aside for that
agent.

A claim the server stops listing (revoked, lapsed and taken by someone else, released) is kept
as *lost*: ops logged while it was held still quote its epoch, so the server rejects them as
`claim_lost` rather than taking them for the new owner's. Lost claims are forgotten once their
lease is long past.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

# Longer than any offline window we support (SYNC.md keeps op results 30 days).
FORGET_LOST_AFTER = timedelta(days=30)


class ClaimKind(StrEnum):
    ONLINE = "online"
    RESERVATION = "reservation"


class BadClaim(ValueError):
    """A claim the server sent that this client cannot read; the message names the field."""


@dataclass(frozen=True, slots=True)
class HeldClaim:
    ticket_id: str
    epoch: int
    kind: ClaimKind
    lease_expires_at: datetime
    # Taken: the ticket is assigned to the holder (as opposed to only reserved for them).
    taken: bool = False
    # When this workstation learnt the server no longer lists the claim.
    lost_at: datetime | None = None

    @property
    def lost(self) -> bool:
        return self.lost_at is not None

    def fences(self, logged_at: datetime) -> bool:
        """Whether an op logged at `logged_at` quotes this claim's epoch: always while it is
        held; once lost, only ops logged before the loss was learnt. Later ones (a re-apply
        from the conflicts) are new attempts on the current state and quote no epoch."""
        return self.lost_at is None or logged_at < self.lost_at

    def live(self, now: datetime) -> bool:
        return not self.lost and self.lease_expires_at > now

    def pullable(self, now: datetime) -> bool:
        """A reservation pull-next may hand out: held, untaken, lease not run out."""
        return self.kind is ClaimKind.RESERVATION and not self.taken and self.live(now)


def claims_from_wire(raw: object) -> list[HeldClaim]:
    """The `claims` list of a POST /reservations answer."""
    if not isinstance(raw, list):
        raise BadClaim("claims must be a list")
    found = []
    for index, item in enumerate(raw):
        try:
            found.append(_claim(item))
        except (KeyError, TypeError, ValueError) as error:
            raise BadClaim(f"claims.{index}: {error!s}") from None
    return found


def _claim(item: Mapping[str, Any]) -> HeldClaim:
    epoch = item["epoch"]
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
        raise ValueError(f"epoch must be a positive whole number, not {epoch!r}")
    expires = datetime.fromisoformat(item["lease_expires_at"])
    if expires.tzinfo is None:
        raise ValueError("lease_expires_at needs a UTC offset")
    return HeldClaim(
        ticket_id=str(item["ticket_id"]),
        epoch=epoch,
        kind=ClaimKind(item["kind"]),
        lease_expires_at=expires,
        taken=bool(item.get("taken", False)),
    )


def merged(
    stored: Iterable[HeldClaim], current: Sequence[HeldClaim], *, now: datetime
) -> list[HeldClaim]:
    """What to keep after the server listed `current`: those, plus the others as lost."""
    listed = {claim.ticket_id for claim in current}
    # A reservation pulled here whose take the server has not applied yet stays taken.
    pulled = {(claim.ticket_id, claim.epoch) for claim in stored if claim.taken and not claim.lost}
    kept = [
        replace(claim, taken=True) if (claim.ticket_id, claim.epoch) in pulled else claim
        for claim in current
    ]
    for claim in stored:
        if claim.ticket_id in listed:
            continue
        if claim.lease_expires_at + FORGET_LOST_AFTER <= now:
            continue
        kept.append(claim if claim.lost else replace(claim, lost_at=now))
    return sorted(kept, key=lambda claim: claim.ticket_id)


def epochs(claims: Iterable[HeldClaim]) -> dict[str, int]:
    """ticket id -> the epoch ownership-sensitive ops on it quote (lost ones too: see above)."""
    return {claim.ticket_id: claim.epoch for claim in claims}


def pullable_ids(claims: Iterable[HeldClaim], now: datetime) -> frozenset[str]:
    return frozenset(claim.ticket_id for claim in claims if claim.pullable(now))


def reserved_count(lease_ends: Iterable[datetime], now: datetime) -> int:
    """How many untaken reservations are still live at `now` (the status bar's count)."""
    return sum(1 for end in lease_ends if end > now)


def nothing_to_pull(*, online: bool, reserved: int) -> str:
    """What pull-next says in sync mode when it found nothing for the agent."""
    if online:
        return (
            "Nothing to pull: no reserved ticket is left and the server had none to reserve; "
            "reserving more on the next sync."
        )
    if reserved:
        return (
            f"Nothing to pull: none of your {reserved} reserved tickets can be taken now "
            "(skills, language or assigned meanwhile)."
        )
    return (
        "Offline and no ticket reserved for you: pull-next works offline only on tickets "
        "reserved while online. Replies and notes still work; pull again once back online."
    )


# The server's limits (server/reservations.py): untaken reservations per agent, and lease length.
MAX_RESERVATIONS = 20
MAX_RESERVATION_HOURS = 24.0


@dataclass(frozen=True, slots=True)
class ReservePolicy:
    """How many tickets a sync round keeps reserved for offline pull-next, and for how long
    (a shift; renewed every round while online). The `[sync]` config keys set it."""

    count: int = 3
    hours: float = 8.0

    def __post_init__(self) -> None:
        if not 0 <= self.count <= MAX_RESERVATIONS:
            raise ValueError(f"reserve: expected 0 to {MAX_RESERVATIONS} tickets, not {self.count}")
        if not 0 < self.hours <= MAX_RESERVATION_HOURS:
            raise ValueError(
                f"reserve_hours: expected more than 0 and at most 24, not {self.hours}"
            )

    @property
    def seconds(self) -> int:
        # The server takes at least a minute.
        return max(60, round(self.hours * 3600))
