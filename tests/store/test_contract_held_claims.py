"""The held-claims contract: epochs and reservations kept per backend, and pull-next in sync mode
choosing only among live untaken reservations."""

from __future__ import annotations

from datetime import timedelta

from agentdesk.domain.held_claims import ClaimKind, HeldClaim, reserved_count
from agentdesk.domain.model import Ticket
from agentdesk.store.base import Store
from tests.fixtures import AGENTS, NOW

_JUNIOR, SENIOR, _LEAD = AGENTS
SHIFT = timedelta(hours=8)


def reservation(ticket: Ticket, epoch: int = 1, *, ends: timedelta = SHIFT) -> HeldClaim:
    return HeldClaim(ticket.id, epoch, ClaimKind.RESERVATION, NOW + ends)


async def by_number(store: Store, number: int) -> Ticket:
    return await store.ticket_by_number(number)


async def test_a_fresh_store_holds_no_claims(store: Store) -> None:
    assert await store.held_claims() == []
    assert (await store.sync_status()).reserved_until == ()


async def test_claims_the_server_stops_listing_are_kept_as_lost_then_forgotten(
    store: Store,
) -> None:
    one, two = await by_number(store, 5), await by_number(store, 3)
    online = HeldClaim(two.id, 4, ClaimKind.ONLINE, NOW + timedelta(minutes=5), taken=True)
    await store.record_claims([reservation(one), online], now=NOW)
    assert await store.held_claims() == sorted(
        [reservation(one), online], key=lambda c: c.ticket_id
    )
    await store.record_claims([online], now=NOW + timedelta(minutes=1))
    lost = {c.ticket_id: c for c in await store.held_claims()}[one.id]
    assert (lost.epoch, lost.lost) == (1, True)
    # The lost one's epoch still fences its ops for a long while, then goes.
    await store.record_claims([online], now=NOW + timedelta(days=31))
    assert [c.ticket_id for c in await store.held_claims()] == [two.id]


async def test_sync_mode_pull_next_takes_only_live_untaken_reservations(store: Store) -> None:
    # Nothing reserved: nothing to pull, though the queue has tickets.
    assert await store.claim_next(SENIOR, NOW, reserved_only=True) is None
    low, lapsed = await by_number(store, 5), await by_number(store, 3)
    await store.record_claims(
        [reservation(low, 7), reservation(lapsed, 2, ends=-timedelta(minutes=1))], now=NOW
    )
    status = await store.sync_status()
    assert reserved_count(status.reserved_until, NOW) == 1
    pulled = await store.claim_next(SENIOR, NOW, reserved_only=True)
    assert pulled is not None and pulled.id == low.id and pulled.assignee_id == SENIOR.id
    held = {c.ticket_id: c for c in await store.held_claims()}
    assert held[low.id].taken and held[low.id].epoch == 7
    assert reserved_count((await store.sync_status()).reserved_until, NOW) == 0
    assert await store.claim_next(SENIOR, NOW, reserved_only=True) is None
    # The ordinary pull-next still ranks the whole queue.
    assert await store.claim_next(SENIOR, NOW) is not None
