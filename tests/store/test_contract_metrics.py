"""The metrics contract: every backend counts exactly as `domain.metrics` defines.

A short morning on the fixture desk (NOW is 09:00; default SLA targets, open around the clock):
  #1 billing urgent, 08:40: Sam answers 09:05 (due 09:10), asks to confirm 09:10, the customer
     confirms 09:15, CSAT 5; on screen 6 min (Sam) + 1 min (Lee).
  #2 logistics high, 08:10: Jamie answers 09:20 (due 09:10: late), asks 09:25, the customer
     says no 09:30 (reopened), asks again 09:35, confirmed 09:40, CSAT 2; on screen 10 min.
  #3 technical normal, 07:00: assigned to Jamie, unanswered (due 11:00).
  #4 logistics 06:00, #5 billing (yesterday), #6 logistics 04:00: waiting; #6's first response
     was due at 08:00, so it lapses inside a window starting then.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from agentdesk.domain.metrics import (
    Kpis,
    MetricsSnapshot,
    QueueState,
    ScreenSession,
    Window,
    history_of,
    snapshot_of,
    total,
)
from agentdesk.store.base import Store
from agentdesk.store.errors import NotFound
from tests.fixtures import NOW

MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
WINDOW = Window(NOW - HOUR, NOW + HOUR)
LATER = NOW + HOUR


async def work_the_morning(store: Store) -> dict[int, str]:
    ids = {n: (await store.ticket_by_number(n)).id for n in range(1, 7)}
    one, two = ids[1], ids[2]
    await store.reply(one, "On it", author_id="ag-senior", now=NOW + 5 * MIN)
    await store.request_confirmation(
        one, "Refunded", "Refunded, all good?", actor_id="ag-senior", now=NOW + 10 * MIN
    )
    await store.customer_reply(one, "Yes thanks", now=NOW + 15 * MIN, confirms_resolution=True)
    await store.record_csat(one, 5, actor_id="ag-senior", now=NOW + 16 * MIN)
    await store.assign(two, "ag-junior", actor_id="ag-lead", now=NOW)
    await store.reply(two, "Looking", author_id="ag-junior", now=NOW + 20 * MIN)
    await store.request_confirmation(
        two, "Found", "Found it, ok?", actor_id="ag-junior", now=NOW + 25 * MIN
    )
    await store.customer_reply(two, "No, wrong parcel", now=NOW + 30 * MIN)
    await store.request_confirmation(
        two, "Found", "This one?", actor_id="ag-junior", now=NOW + 35 * MIN
    )
    await store.customer_reply(two, "Yes", now=NOW + 40 * MIN, confirms_resolution=True)
    await store.record_csat(two, 2, actor_id="ag-junior", now=NOW + 41 * MIN)
    await store.assign(ids[3], "ag-junior", actor_id="ag-lead", now=NOW)
    await store.record_screen_sessions(
        [
            ScreenSession(one, "ag-senior", NOW + 4 * MIN, NOW + 10 * MIN),
            ScreenSession(one, "ag-lead", NOW + 12 * MIN, NOW + 13 * MIN),
            ScreenSession(two, "ag-junior", NOW + 18 * MIN, NOW + 28 * MIN),
        ]
    )
    return ids


@pytest.mark.several_agents_one_desk
async def test_the_morning_in_numbers(store: Store) -> None:
    await work_the_morning(store)
    snapshot = await store.metrics_snapshot([WINDOW], now=LATER)
    (groups,) = snapshot.tallies
    assert set(groups) == {
        ("billing", "ag-senior"),
        ("logistics", "ag-junior"),
        ("logistics", None),
    }
    kpis = Kpis.of(total(groups.values()))
    assert (kpis.arrivals, kpis.resolved) == (2, 2)
    assert kpis.average_first_response == (25 + 70) * MIN / 2
    assert kpis.first_response_sla == pytest.approx(1 / 3)  # #1 met; #2 late; #6 lapsed
    assert kpis.resolution_sla == 1
    assert kpis.first_contact_resolution == pytest.approx(1 / 2)
    assert kpis.reopen_rate == pytest.approx(1 / 2)
    assert (kpis.csat, kpis.csat_responses) == (pytest.approx(1 / 2), 2)
    assert kpis.average_handle_time == 17 * MIN / 2
    assert groups[("billing", "ag-senior")].handle_time == 7 * MIN
    assert groups[("logistics", None)].first_response_clocks == 1


@pytest.mark.several_agents_one_desk
async def test_queues_and_loads_now(store: Store) -> None:
    await work_the_morning(store)
    snapshot = await store.metrics_snapshot([], now=LATER)
    assert snapshot.tallies == ()
    assert snapshot.queues == {
        "billing": QueueState("billing", 1, 31 * HOUR, 31 * HOUR),
        "logistics": QueueState("logistics", 2, 10 * HOUR, 6 * HOUR),
    }
    assert snapshot.loads == {"ag-junior": 1}


@pytest.mark.several_agents_one_desk
async def test_a_follow_up_reopens_a_closed_ticket(store: Store) -> None:
    ids = await work_the_morning(store)
    await store.customer_reply(ids[1], "It broke again", now=NOW + 50 * MIN)
    (groups,) = (await store.metrics_snapshot([WINDOW], now=LATER)).tallies
    everything = total(groups.values())
    assert (everything.arrivals, everything.reopened, everything.first_contact_resolved) == (
        3,
        2,
        0,
    )
    assert groups[("billing", None)].arrivals == 1  # the follow-up waits in the queue


@pytest.mark.several_agents_one_desk
async def test_windows_count_only_their_own_events(store: Store) -> None:
    await work_the_morning(store)
    before, during = Window(NOW - 10 * HOUR, NOW), Window(NOW + 30 * MIN, LATER)
    first, second = (await store.metrics_snapshot([before, during], now=LATER)).tallies
    assert total(first.values()).arrivals == 5  # all but #5, created yesterday
    assert total(first.values()).resolved == 0
    # Only #2's end falls in the second window: closed at 09:40 after a 10-minute screen.
    assert total(second.values()).resolved == 1
    assert total(second.values()).handle_time == 10 * MIN


async def reference_snapshot(store: Store, windows: list[Window]) -> MetricsSnapshot:
    """What `domain.metrics` makes of the store's data read back through the interface."""
    tickets = [ticket async for batch in store.iter_tickets() for ticket in batch]
    follow_ups: dict[str, int] = {}
    for ticket in tickets:
        if ticket.follow_up_of is not None:
            follow_ups[ticket.follow_up_of] = follow_ups.get(ticket.follow_up_of, 0) + 1
    histories = [
        history_of(
            ticket,
            await store.messages(ticket.id),
            [event.kind for event in await store.audit_events(ticket.id)],
            await store.screen_sessions(ticket.id),
            follow_ups.get(ticket.id, 0),
        )
        for ticket in tickets
    ]
    return snapshot_of(histories, windows, LATER)


async def test_the_snapshot_matches_the_domain_over_the_stored_history(store: Store) -> None:
    ids = await work_the_morning(store)
    await store.customer_reply(ids[1], "Again", now=NOW + 50 * MIN)
    windows = [
        WINDOW,
        Window(NOW - 40 * HOUR, LATER),
        Window(NOW + 8 * MIN, NOW + 12 * MIN),
        Window(LATER, LATER),
    ]
    assert await store.metrics_snapshot(windows, now=LATER) == await reference_snapshot(
        store, windows
    )


async def test_screen_sessions_come_back_in_start_order(store: Store) -> None:
    ticket = await store.ticket_by_number(3)
    late = ScreenSession(ticket.id, "ag-junior", NOW + 5 * MIN, NOW + 6 * MIN)
    early = ScreenSession(ticket.id, "ag-senior", NOW, NOW + MIN)
    await store.record_screen_sessions([late])
    await store.record_screen_sessions([early])
    assert await store.screen_sessions(ticket.id) == [early, late]
    assert await store.screen_sessions((await store.ticket_by_number(4)).id) == []


async def test_sessions_naming_an_unknown_ticket_are_refused_and_none_kept(store: Store) -> None:
    ticket = await store.ticket_by_number(3)
    known = ScreenSession(ticket.id, "ag-junior", NOW, NOW + MIN)
    with pytest.raises(NotFound, match="nope"):
        await store.record_screen_sessions([known, ScreenSession("nope", "ag-junior", NOW, NOW)])
    assert await store.screen_sessions(ticket.id) == []
    await store.record_screen_sessions([])
