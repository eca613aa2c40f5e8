"""The store contract: every backend must pass these, against the shared fixture data.

The fixture tickets, in pull order: #1 urgent, #4 high (older), #2 high, #6 normal (older),
#3 normal, #5 low. Required skills: #1 refunds, #2 orders, #3 accounts, #4 complaints,
#5 none, #6 orders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

import pytest
from textual.content import Content

from agentdesk.domain import actions, routing
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.errors import IllegalTransition, InvalidInput, MissingPlaceholders
from agentdesk.domain.model import (
    Agent,
    Complexity,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    LinkKind,
    MessageKind,
    Priority,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.routing import IntentRoute, RoutingPolicy
from agentdesk.domain.transfers import RuleMove, TransferRule
from agentdesk.store.base import Scope, Store, TicketQuery
from agentdesk.store.errors import Conflict, NotFound
from tests.fixtures import AGENTS, ARTICLES, CUSTOMERS, DEPARTMENTS, NOW, SCRIPTS, TICKETS

PULL_ORDER = [1, 4, 2, 6, 3, 5]
ALL = TicketQuery(scope=Scope.ALL)
TEAM = TicketQuery(scope=Scope.TEAM)
JUNIOR, SENIOR, LEAD = AGENTS
LATER = NOW + timedelta(minutes=5)


async def numbers(store: Store, query: TicketQuery, offset: int = 0, limit: int = 100) -> list[int]:
    return [row.number for row in await store.ticket_rows(query, offset, limit)]


async def by_number(store: Store, number: int) -> Ticket:
    return await store.ticket_by_number(number)


async def op_count(store: Store) -> int:
    return len(await store.operations(limit=100_000))


async def all_tickets(store: Store) -> list[Ticket]:
    return [ticket async for batch in store.iter_tickets() for ticket in batch]


# -- reference data ------------------------------------------------------------------------
async def test_agents_sorted_by_handle_and_found_by_handle(store: Store) -> None:
    assert [agent.handle for agent in await store.agents()] == ["junior", "lead", "senior"]
    assert await store.agent_by_handle("senior") == SENIOR
    with pytest.raises(NotFound):
        await store.agent_by_handle("nobody")


async def test_departments_and_customers(store: Store) -> None:
    assert await store.departments() == sorted(DEPARTMENTS, key=lambda d: d.id)
    assert await store.customer("cu-ada") == CUSTOMERS[0]
    with pytest.raises(NotFound):
        await store.customer("cu-nobody")


async def test_reference_upserts_replace_by_id(store: Store) -> None:
    await store.add_departments([Department("billing", "Billing & Payments")])
    assert len(await store.departments()) == len(DEPARTMENTS)
    assert Department("billing", "Billing & Payments") in await store.departments()

    promoted = replace(JUNIOR, skills={"orders": 3, "refunds": 1}, departments=("billing",))
    await store.add_agents([promoted])
    assert await store.agent_by_handle("junior") == promoted
    assert len(await store.agents()) == len(AGENTS)

    renamed = replace(CUSTOMERS[0], name="Augusta King", tier=CustomerTier.STANDARD)
    await store.add_customers([renamed])
    assert await store.customer("cu-ada") == renamed


async def test_agent_handle_clash_is_a_conflict_and_writes_nothing(store: Store) -> None:
    before = await op_count(store)
    newcomer = Agent("ag-new", "fresh", "New Person")
    with pytest.raises(Conflict):
        await store.add_agents([newcomer, Agent("ag-other", "senior", "Impostor")])
    with pytest.raises(Conflict):
        await store.add_agents([Agent("ag-x", "twin", "X"), Agent("ag-y", "twin", "Y")])
    assert await store.agent_by_handle("senior") == SENIOR
    with pytest.raises(NotFound):
        await store.agent_by_handle("fresh")
    assert await op_count(store) == before


async def test_renamed_customer_is_found_by_new_name_only(store: Store) -> None:
    await store.add_customers([replace(CUSTOMERS[0], name="Augusta King")])
    assert await numbers(store, TicketQuery(scope=Scope.ALL, text="augusta")) == [1, 6]
    assert await numbers(store, TicketQuery(scope=Scope.ALL, text="lovelace")) == []
    rows = await store.ticket_rows(TicketQuery(scope=Scope.ALL, text="#1"), 0, 1)
    assert rows[0].customer_name == "Augusta King"


async def test_scripts(store: Store) -> None:
    assert [s.name for s in await store.scripts()] == ["Order on its way", "Refund started"]
    assert await store.script("sc-refund") == SCRIPTS[0]
    with pytest.raises(NotFound):
        await store.script("sc-nothing")
    changed = replace(SCRIPTS[0], name="A refund", steps=("One",), required=())
    await store.add_scripts([changed])
    assert await store.script("sc-refund") == changed
    assert [s.id for s in await store.scripts()] == ["sc-refund", "sc-track"]


async def test_articles(store: Store) -> None:
    assert await store.articles() == sorted(ARTICLES, key=lambda a: a.id)
    assert await store.article("kb-track") == ARTICLES[1]
    with pytest.raises(NotFound):
        await store.article("kb-nothing")
    tagged = KbArticle("kb-new", "New", "Body", "intent", ("a", "b"), NOW)
    await store.add_articles([tagged])
    assert await store.article("kb-new") == tagged


# -- the queue -----------------------------------------------------------------------------
async def test_queue_is_in_pull_order(store: Store) -> None:
    tickets = await all_tickets(store)
    expected = [t.number for t in sorted(tickets, key=routing.pull_order)]
    assert expected == PULL_ORDER
    assert await numbers(store, ALL) == PULL_ORDER
    assert await numbers(store, TEAM) == PULL_ORDER
    assert await store.count_tickets(ALL) == 6


async def test_first_response_moves_the_deadline_to_resolution(store: Store) -> None:
    # #4 (high) is answered: its resolution deadline (8h) now comes after #2's first
    # response deadline, so #2 moves ahead of it.
    ticket = await by_number(store, 4)
    await store.reply(ticket.id, "On it.", author_id=LEAD.id, now=NOW)
    assert await numbers(store, ALL) == [1, 2, 4, 6, 3, 5]
    reference = sorted(await all_tickets(store), key=routing.pull_order)
    assert [t.number for t in reference] == [1, 2, 4, 6, 3, 5]


async def test_windows_slice_the_ordered_queue(store: Store) -> None:
    assert await numbers(store, ALL, 0, 2) == PULL_ORDER[:2]
    assert await numbers(store, ALL, 2, 3) == PULL_ORDER[2:5]
    assert await numbers(store, ALL, 5, 10) == PULL_ORDER[5:]
    assert await numbers(store, ALL, 6, 10) == []
    assert await numbers(store, ALL, 0, 0) == []


async def test_rows_carry_what_a_list_needs(store: Store) -> None:
    (row,) = await store.ticket_rows(TicketQuery(scope=Scope.ALL, text="#1"), 0, 5)
    ticket = await by_number(store, 1)
    assert row.id == ticket.id
    assert (row.subject, row.status, row.priority, row.channel) == (
        ticket.subject,
        TicketStatus.NEW,
        Priority.URGENT,
        ticket.channel,
    )
    assert (row.customer_name, row.customer_tier) == ("Ada Lovelace", CustomerTier.VIP)
    assert (row.intent, row.department_id, row.assignee_id) == ("get_refund", "billing", None)
    assert row.created_at == NOW - timedelta(minutes=20)
    assert row.first_response_due == ticket.first_response_due
    assert row.resolution_due == ticket.resolution_due
    assert row.first_response_at is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#3", [3]),
        ("3", [3]),
        ("  #3 ", [3]),
        ("kettle", [1]),
        ("KETTLE", [1]),
        ("ada", [1, 6]),
        ("lovelace", [1, 6]),
        ("track_order", [2]),
        ("order", [2]),  # subject and intent; the body ("order 998" of #6) is not searched
        ("refund for", [1]),
        ("zzz", []),
        ("#", []),
        ("999", []),
        ("#99999999999999999999999999", []),
        ("%", []),
        ("_", [1, 2, 3, 5, 6]),  # LIKE wildcards are plain characters
        ("'; drop table tickets; --", []),
    ],
)
async def test_text_filter(store: Store, text: str, expected: list[int]) -> None:
    query = TicketQuery(scope=Scope.ALL, text=text)
    assert await numbers(store, query) == [n for n in PULL_ORDER if n in expected]
    assert await store.count_tickets(query) == len(expected)


@pytest.mark.several_agents_one_desk
async def test_scopes_departments_and_statuses(store: Store) -> None:
    one, two, five = [await by_number(store, n) for n in (1, 2, 5)]
    await store.assign(one.id, JUNIOR.id, actor_id=LEAD.id, now=NOW)
    await store.assign(two.id, JUNIOR.id, actor_id=LEAD.id, now=NOW)
    await store.assign(five.id, SENIOR.id, actor_id=LEAD.id, now=NOW)
    await store.reply(two.id, "Shipped.", author_id=JUNIOR.id, now=NOW)
    await store.request_confirmation(
        two.id, "Found it", "Did it arrive?", actor_id=JUNIOR.id, now=NOW
    )
    await store.customer_reply(two.id, "Yes thanks", now=LATER, confirms_resolution=True)

    mine = TicketQuery(scope=Scope.MINE, agent_id=JUNIOR.id)
    assert await numbers(store, mine) == [1]  # #2 is closed
    assert await numbers(store, TicketQuery(scope=Scope.MINE, agent_id=SENIOR.id)) == [5]
    assert await numbers(store, TEAM) == [1, 4, 6, 3, 5]
    assert await numbers(store, ALL) == PULL_ORDER
    assert await store.count_tickets(TEAM) == 5
    logistics = TicketQuery(scope=Scope.TEAM, departments=("logistics",))
    assert await numbers(store, logistics) == [4, 6]
    two_departments = TicketQuery(scope=Scope.ALL, departments=("logistics", "billing"))
    assert await numbers(store, two_departments) == [1, 4, 2, 6, 5]
    closed = TicketQuery(scope=Scope.ALL, statuses=(TicketStatus.CLOSED,))
    assert await numbers(store, closed) == [2]
    opened = TicketQuery(scope=Scope.TEAM, statuses=(TicketStatus.OPEN, TicketStatus.CLOSED))
    assert await numbers(store, opened) == [1, 5]
    assert await store.count_tickets(opened) == 2
    combined = TicketQuery(scope=Scope.MINE, agent_id=JUNIOR.id, text="kettle")
    assert await numbers(store, combined) == [1]


async def test_ticket_lookups(store: Store) -> None:
    ticket = await by_number(store, 2)
    assert await store.ticket(ticket.id) == ticket
    assert ticket.subject == "Where is my order?"
    assert ticket.status is TicketStatus.NEW and ticket.version == 1
    assert ticket.customer_id == "cu-bob" and ticket.required_skill == "orders"
    assert ticket.first_response_due == NOW - timedelta(minutes=50) + timedelta(minutes=60)
    with pytest.raises(NotFound):
        await store.ticket("no-such-id")
    with pytest.raises(NotFound):
        await store.ticket_by_number(99)
    with pytest.raises(NotFound):
        await store.messages("no-such-id")


async def test_customer_tickets_newest_first(store: Store) -> None:
    assert [row.number for row in await store.customer_tickets("cu-ada")] == [1, 6]
    assert [row.number for row in await store.customer_tickets("cu-ada", limit=1)] == [1]
    assert [row.number for row in await store.customer_tickets("cu-bob")] == [2, 5]
    assert await store.customer_tickets("cu-nobody") == []


async def test_iter_tickets_in_number_order_by_batches(store: Store) -> None:
    batches = [batch async for batch in store.iter_tickets(batch=4)]
    assert [[t.number for t in batch] for batch in batches] == [[1, 2, 3, 4], [5, 6]]


async def test_new_tickets_get_fresh_numbers(store: Store) -> None:
    created = await store.add_tickets(
        [NewTicket("A", "a body", "cu-cy"), NewTicket("B", "b body", "cu-di", id="my-id")],
        now=NOW,
    )
    assert [t.number for t in created] == [7, 8]
    assert created[1].id == "my-id"
    assert await store.ticket("my-id") == created[1]
    single = await store.create_ticket(NewTicket("C", "c body", "cu-cy"), now=NOW)
    assert single.number == 9
    assert await store.add_tickets([], now=NOW) == []


async def test_bulk_ticket_add_is_all_or_nothing(store: Store) -> None:
    before = await op_count(store)
    good = NewTicket("Fine", "fine", "cu-cy")
    with pytest.raises(NotFound):
        await store.add_tickets([good, NewTicket("Bad", "bad", "cu-nobody")], now=NOW)
    with pytest.raises(InvalidInput):
        await store.add_tickets([good, NewTicket("  ", "no subject", "cu-cy")], now=NOW)
    existing = await by_number(store, 1)
    with pytest.raises(Conflict):
        await store.add_tickets([good, NewTicket("Dup", "dup", "cu-cy", id=existing.id)], now=NOW)
    assert await store.count_tickets(ALL) == 6
    assert await op_count(store) == before
    (next_one,) = await store.add_tickets([good], now=NOW)
    assert next_one.number == 7


# -- claim_next and push mode: tests/store/test_contract_routing.py ---------------------


# -- ticket actions ------------------------------------------------------------------------
async def test_reply_sets_first_response_and_assignee(store: Store) -> None:
    ticket = await by_number(store, 3)
    updated = await store.reply(ticket.id, "Try this link.", author_id=JUNIOR.id, now=NOW)
    assert updated.status is TicketStatus.OPEN
    assert updated.first_response_at == NOW
    assert updated.assignee_id == JUNIOR.id
    assert updated.version == 2
    assert await store.ticket(ticket.id) == updated
    messages = await store.messages(ticket.id)
    assert [m.kind for m in messages] == [MessageKind.CUSTOMER, MessageKind.REPLY]
    assert messages[1].body == "Try this link." and messages[1].author_id == JUNIOR.id
    later = await store.reply(ticket.id, "Any luck?", author_id=SENIOR.id, now=LATER)
    assert later.first_response_at == NOW  # only the first reply counts
    assert later.assignee_id == JUNIOR.id


async def test_note_is_internal(store: Store) -> None:
    ticket = await by_number(store, 3)
    updated = await store.reply(
        ticket.id, "Customer sounds upset", author_id=LEAD.id, now=NOW, internal=True
    )
    assert updated.status is TicketStatus.NEW
    assert updated.first_response_at is None and updated.assignee_id is None
    assert (await store.messages(ticket.id))[-1].kind is MessageKind.NOTE


async def test_messages_ordered_by_time(store: Store) -> None:
    ticket = await by_number(store, 3)
    await store.reply(ticket.id, "second", author_id=LEAD.id, now=LATER)
    await store.reply(ticket.id, "first", author_id=LEAD.id, now=NOW, internal=True)
    bodies = [m.body for m in await store.messages(ticket.id)]
    assert bodies == ["I forgot my password and the reset mail never came.", "first", "second"]


async def test_reply_with_unfilled_placeholder_is_blocked(store: Store) -> None:
    ticket = await by_number(store, 1)
    before = await op_count(store)
    with pytest.raises(MissingPlaceholders) as caught:
        await store.reply(ticket.id, "Refund in {{x}} days", author_id=SENIOR.id, now=NOW)
    assert caught.value.names == ["x"]
    assert await store.ticket(ticket.id) == ticket
    assert len(await store.messages(ticket.id)) == 1
    assert await op_count(store) == before


async def test_transfer(store: Store) -> None:
    ticket = await by_number(store, 1)
    await store.assign(ticket.id, SENIOR.id, actor_id=SENIOR.id, now=NOW)
    with pytest.raises(NotFound):
        await store.transfer(ticket.id, "nowhere", "why", actor_id=SENIOR.id, now=NOW)
    with pytest.raises(InvalidInput):
        await store.transfer(ticket.id, "billing", "same", actor_id=SENIOR.id, now=NOW)
    moved = await store.transfer(
        ticket.id, "technical", "Kettle firmware", actor_id=SENIOR.id, now=LATER
    )
    assert moved.department_id == "technical" and moved.assignee_id is None
    assert moved.first_response_due == ticket.first_response_due  # the SLA clock is kept
    note = (await store.messages(ticket.id))[-1]
    assert note.kind is MessageKind.NOTE and "Kettle firmware" in note.body
    assert await numbers(store, TicketQuery(scope=Scope.TEAM, departments=("technical",))) == [
        1,
        3,
    ]


VIP_COMPLAINTS = TransferRule(
    "vip-complaints",
    "billing",
    "VIP complaint: offer a goodwill credit.",
    intents=frozenset({"complaint"}),
    customer_tiers=frozenset({CustomerTier.VIP}),
)


async def test_reclassify_takes_the_route_and_a_rule_transfers(store: Store) -> None:
    store.routing_policy = RoutingPolicy(
        {"complaint": IntentRoute("general", "complaints", Complexity.COMPLEX, Priority.HIGH)}
    )
    gone = replace(VIP_COMPLAINTS, name="gone", department="nowhere")
    store.transfer_rules = (gone, VIP_COMPLAINTS)
    # #6: Ada (VIP), logistics, change_shipping_address, normal, assigned below.
    ticket = await by_number(store, 6)
    await store.assign(ticket.id, SENIOR.id, actor_id=SENIOR.id, now=NOW)
    before = await op_count(store)
    moved = await store.reclassify(ticket.id, "complaint", actor_id=SENIOR.id, now=LATER)
    assert (moved.intent, moved.intent_confidence) == ("complaint", None)
    assert (moved.required_skill, moved.complexity) == ("complaints", Complexity.COMPLEX)
    assert moved.priority is Priority.HIGH
    assert (moved.department_id, moved.assignee_id) == ("billing", None)
    assert moved.first_response_due == ticket.first_response_due  # the SLA clock is kept
    assert await store.ticket(ticket.id) == moved
    events = (await store.audit_events(ticket.id))[-2:]
    assert [event.kind for event in events] == ["ticket.reclassified", "ticket.transferred"]
    assert events[1].detail["rule"] == "vip-complaints"
    assert events[1].actor_id == SENIOR.id
    note = (await store.messages(ticket.id))[-1]
    assert note.kind is MessageKind.NOTE and "goodwill credit" in note.body
    (op,) = await store.operations(after_seq=before)
    assert (op.kind, op.payload["rule"]) == ("ticket.reclassify", "vip-complaints")

    # Bob is no VIP: #2 only changes its intent, and stays where it is.
    bob = await by_number(store, 2)
    same_place = await store.reclassify(bob.id, "complaint", actor_id=SENIOR.id, now=LATER)
    assert (same_place.department_id, same_place.intent) == ("logistics", "complaint")
    with pytest.raises(InvalidInput):
        await store.reclassify(bob.id, "complaint", actor_id=SENIOR.id, now=LATER)
    with pytest.raises(NotFound):
        await store.reclassify("no-such-ticket", "complaint", actor_id=SENIOR.id, now=LATER)


async def test_a_rule_move_on_arrival_is_stored_with_its_note_and_audit(store: Store) -> None:
    new = NewTicket(
        "Rude courier",
        "Again!",
        "cu-ada",
        "billing",
        intent="complaint",
        decisions=("intent complaint given", "rule 'vip-complaints' → billing"),
        moved_by=RuleMove("vip-complaints", "logistics", "VIP complaint."),
    )
    (ticket,) = await store.add_tickets([new], now=NOW)
    assert ticket.department_id == "billing"
    kinds = [event.kind for event in await store.audit_events(ticket.id)]
    assert kinds == ["ticket.created", "ticket.routed", "ticket.transferred"]
    routed = (await store.audit_events(ticket.id))[1]
    assert routed.detail == {"decisions": list(new.decisions)}
    customer, note = await store.messages(ticket.id)
    assert customer.kind is MessageKind.CUSTOMER and customer.body == "Again!"
    assert (
        note.body
        == "Transferred from logistics to billing by rule 'vip-complaints': VIP complaint."
    )


async def test_confirmation_reopen_and_confirm_close(store: Store) -> None:
    ticket = await by_number(store, 2)
    await store.reply(ticket.id, "Looking.", author_id=JUNIOR.id, now=NOW)
    waiting = await store.request_confirmation(
        ticket.id,
        "Parcel re-sent",
        "Has it arrived?",
        actor_id=JUNIOR.id,
        now=NOW,
        links=(TicketLink(LinkKind.ARTICLE, "kb-track", "Track an Order"),),
    )
    assert waiting.status is TicketStatus.AWAITING_CONFIRMATION
    assert waiting.resolution == "Parcel re-sent"
    assert waiting.links == (TicketLink(LinkKind.ARTICLE, "kb-track", "Track an Order"),)
    reopened = await store.customer_reply(ticket.id, "Not yet!", now=LATER)
    assert reopened.id == ticket.id and reopened.status is TicketStatus.OPEN
    kinds = [event.kind for event in await store.audit_events(ticket.id)]
    assert kinds[-2:] == ["ticket.customer_reply", "ticket.reopened"]
    await store.request_confirmation(
        ticket.id, "Re-sent again", "Now?", actor_id=JUNIOR.id, now=LATER
    )
    closed = await store.customer_reply(
        ticket.id, "Got it, thanks", now=LATER, confirms_resolution=True
    )
    assert closed.status is TicketStatus.CLOSED and closed.closed_at == LATER
    assert await store.ticket(ticket.id) == closed


async def test_close_confirmed_with_csat_and_follow_up(store: Store) -> None:
    ticket = await by_number(store, 5)
    await store.reply(ticket.id, "Attached.", author_id=JUNIOR.id, now=NOW)
    closed = await store.close_confirmed(
        ticket.id, "Sent invoice", "Customer said thanks", actor_id=JUNIOR.id, now=NOW, csat=5
    )
    assert closed.status is TicketStatus.CLOSED and closed.csat == 5
    system = (await store.messages(ticket.id))[-1]
    assert system.kind is MessageKind.SYSTEM and "Customer said thanks" in system.body

    follow = await store.customer_reply(ticket.id, "One more invoice please", now=LATER)
    assert follow.id != ticket.id and follow.number == 7
    assert follow.follow_up_of == ticket.id and follow.subject == "Re: Invoice copy"
    assert follow.status is TicketStatus.NEW and follow.customer_id == "cu-bob"
    assert await store.ticket(ticket.id) == closed  # closed stays closed
    assert [m.body for m in await store.messages(follow.id)] == ["One more invoice please"]
    assert [row.number for row in await store.customer_tickets("cu-bob")] == [7, 2, 5]
    (last_op,) = (await store.operations(limit=1000))[-1:]
    assert last_op.kind == "ticket.follow_up"
    assert last_op.payload["ticket_id"] == follow.id
    assert last_op.payload["follow_up_of"] == ticket.id


async def test_csat_and_links(store: Store) -> None:
    ticket = await by_number(store, 5)
    rated = await store.record_csat(ticket.id, 4, actor_id=LEAD.id, now=NOW)
    assert rated.csat == 4
    with pytest.raises(InvalidInput):
        await store.record_csat(ticket.id, 9, actor_id=LEAD.id, now=NOW)
    linked = await store.link(
        ticket.id, LinkKind.SCRIPT, "sc-refund", "Refund started", actor_id=LEAD.id, now=NOW
    )
    again = await store.link(
        ticket.id, LinkKind.SCRIPT, "sc-refund", "Refund started", actor_id=LEAD.id, now=NOW
    )
    assert (
        linked.links == again.links == (TicketLink(LinkKind.SCRIPT, "sc-refund", "Refund started"),)
    )
    assert (await store.ticket(ticket.id)).links == linked.links


async def test_illegal_transitions_raise_and_write_nothing(store: Store) -> None:
    fresh = await by_number(store, 3)
    before = await op_count(store)
    with pytest.raises(IllegalTransition):
        await store.request_confirmation(fresh.id, "Fixed", "Ok?", actor_id=LEAD.id, now=NOW)
    with pytest.raises(IllegalTransition):
        await store.close_confirmed(fresh.id, "Fixed", "said so", actor_id=LEAD.id, now=NOW)
    assert await store.ticket(fresh.id) == fresh
    assert await op_count(store) == before

    await store.reply(fresh.id, "Done.", author_id=LEAD.id, now=NOW)
    await store.close_confirmed(fresh.id, "Fixed", "said so", actor_id=LEAD.id, now=NOW)
    attempts: list[Callable[[], Awaitable[Ticket]]] = [
        lambda: store.reply(fresh.id, "More", author_id=LEAD.id, now=LATER),
        lambda: store.reply(fresh.id, "Note", author_id=LEAD.id, now=LATER, internal=True),
        lambda: store.assign(fresh.id, JUNIOR.id, actor_id=LEAD.id, now=LATER),
        lambda: store.transfer(fresh.id, "billing", "move", actor_id=LEAD.id, now=LATER),
    ]
    closed = await store.ticket(fresh.id)
    for attempt in attempts:
        with pytest.raises(IllegalTransition):
            await attempt()
    assert await store.ticket(fresh.id) == closed


async def test_actions_on_unknown_ticket_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.reply("no-such-id", "Hi", author_id=LEAD.id, now=NOW)
    with pytest.raises(NotFound):
        await store.assign("no-such-id", LEAD.id, actor_id=LEAD.id, now=NOW)
    with pytest.raises(NotFound):
        await store.customer_reply("no-such-id", "Hi", now=NOW)


async def test_stale_change_is_a_conflict(store: Store) -> None:
    stale = await by_number(store, 1)
    await store.reply(stale.id, "First!", author_id=SENIOR.id, now=NOW)  # someone else wins
    current = await store.ticket(stale.id)
    before = await op_count(store)
    # A mutation computed from what the loser saw before the other write landed.
    with pytest.raises(Conflict):
        await store._mutate(
            stale.id, lambda _t, _ctx: actions.assign(stale, LEAD.id, actor_id=LEAD.id, now=NOW)
        )
    assert await store.ticket(stale.id) == current
    assert await op_count(store) == before
    kinds = [event.kind for event in await store.audit_events(stale.id)]
    assert kinds == ["ticket.created", "ticket.reply"]


# -- operation log -------------------------------------------------------------------------
async def test_seed_is_logged_in_order(store: Store) -> None:
    ops = await store.operations()
    expected = (
        ["department.upsert"] * len(DEPARTMENTS)
        + ["agent.upsert"] * len(AGENTS)
        + ["customer.upsert"] * len(CUSTOMERS)
        + ["kb.upsert"] * len(ARTICLES)
        + ["script.upsert"] * len(SCRIPTS)
        + ["ticket.create"] * len(TICKETS)
    )
    assert [op.kind for op in ops] == expected
    assert [op.seq for op in ops] == list(range(1, len(expected) + 1))
    assert {op.client_id for op in ops} == {store.info().client_id}
    assert len({op.op_id for op in ops}) == len(ops)
    created = [op for op in ops if op.kind == "ticket.create"]
    tickets = await all_tickets(store)
    assert [op.payload["ticket_id"] for op in created] == [t.id for t in tickets]
    assert [op.payload["number"] for op in created] == [1, 2, 3, 4, 5, 6]
    assert [op.payload["id"] for op in ops[:4]] == [d.id for d in DEPARTMENTS]


async def test_every_mutation_logs_exactly_its_operation(store: Store) -> None:
    start = await op_count(store)
    t = {n: (await by_number(store, n)).id for n in range(1, 7)}
    steps: list[tuple[str, Callable[[], Awaitable[Ticket | None]]]] = [
        ("ticket.assign", lambda: store.assign(t[1], SENIOR.id, actor_id=LEAD.id, now=NOW)),
        ("ticket.reply", lambda: store.reply(t[1], "Hello", author_id=SENIOR.id, now=NOW)),
        (
            "ticket.note",
            lambda: store.reply(t[1], "psst", author_id=LEAD.id, now=NOW, internal=True),
        ),
        (
            "ticket.transfer",
            lambda: store.transfer(t[1], "general", "x", actor_id=LEAD.id, now=NOW),
        ),
        (
            "ticket.request_confirmation",
            lambda: store.request_confirmation(t[1], "r", "ok?", actor_id=LEAD.id, now=NOW),
        ),
        ("ticket.customer_reply", lambda: store.customer_reply(t[1], "not ok", now=NOW)),
        (
            "ticket.request_confirmation",
            lambda: store.request_confirmation(t[1], "r2", "now?", actor_id=LEAD.id, now=NOW),
        ),
        (
            "ticket.customer_confirmed",
            lambda: store.customer_reply(t[1], "yes", now=NOW, confirms_resolution=True),
        ),
        ("ticket.follow_up", lambda: store.customer_reply(t[1], "again", now=LATER)),
        ("ticket.csat", lambda: store.record_csat(t[1], 3, actor_id=LEAD.id, now=NOW)),
        (
            "ticket.link",
            lambda: store.link(t[2], LinkKind.ARTICLE, "kb-track", "", actor_id=LEAD.id, now=NOW),
        ),
        ("ticket.reply", lambda: store.reply(t[5], "Sent", author_id=LEAD.id, now=NOW)),
        (
            "ticket.close",
            lambda: store.close_confirmed(t[5], "done", "yes", actor_id=LEAD.id, now=NOW),
        ),
        ("ticket.assign", lambda: store.claim_next(JUNIOR, NOW)),
        ("ticket.create", lambda: store.create_ticket(NewTicket("N", "n", "cu-di"), now=NOW)),
    ]
    for kind, step in steps:
        result = await step()
        assert isinstance(result, Ticket)
        added = await store.operations(after_seq=await op_count(store) - 1)
        assert [op.kind for op in added] == [kind]
        assert added[0].payload["ticket_id"] == result.id
        assert added[0].at == result.updated_at
    ops = await store.operations(after_seq=start, limit=100_000)
    assert [op.kind for op in ops] == [kind for kind, _ in steps]
    assert [op.seq for op in ops] == list(range(start + 1, start + len(steps) + 1))


async def test_message_ops_name_their_message(store: Store) -> None:
    ticket = await by_number(store, 4)
    await store.reply(ticket.id, "One", author_id=LEAD.id, now=NOW)
    await store.reply(ticket.id, "Two", author_id=LEAD.id, now=LATER, internal=True)
    messages = await store.messages(ticket.id)
    ops = [op for op in await store.operations() if op.payload.get("ticket_id") == ticket.id]
    assert [op.payload["message_id"] for op in ops] == [m.id for m in messages]


async def test_operations_paging(store: Store) -> None:
    everything = await store.operations()
    assert [op.seq for op in await store.operations(after_seq=5, limit=3)] == [6, 7, 8]
    assert await store.operations(after_seq=len(everything)) == []
    assert await store.operations(limit=2) == everything[:2]


async def test_empty_store_has_no_operations(empty_store: Store) -> None:
    assert await empty_store.operations() == []
    assert await empty_store.count_tickets(ALL) == 0
    assert await empty_store.ticket_rows(ALL, 0, 10) == []
    assert await empty_store.search_kb("refund") == []
    assert await empty_store.claim_next(SENIOR, NOW) is None


# -- knowledge base ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("refund", "kb-refund"),
        ("Refund", "kb-refund"),
        ("refu", "kb-refund"),  # the last word is a prefix
        ("pass", "kb-password"),
        ("reset pass", "kb-password"),
        ("track ord", "kb-track"),
        ("shipping status", "kb-track"),
    ],
)
async def test_kb_search_finds(store: Store, typed: str, first: str) -> None:
    hits = await store.search_kb(typed)
    assert hits and hits[0].article_id == first
    assert "[b]" in hits[0].snippet


async def test_kb_search_needs_every_word_and_prefix_only_last(store: Store) -> None:
    assert await store.search_kb("refund password") == []
    assert await store.search_kb("refu reason") == []  # only the last word is a prefix
    assert [hit.article_id for hit in await store.search_kb("refund reason")] == ["kb-refund"]
    assert await store.search_kb("nothing-like-this") == []


async def test_kb_search_a_space_finishes_the_last_word(store: Store) -> None:
    assert [hit.article_id for hit in await store.search_kb("refu")] == ["kb-refund"]
    assert await store.search_kb("refu ") == []  # a finished word is matched whole
    assert [hit.article_id for hit in await store.search_kb("refund ")] == ["kb-refund"]


async def test_kb_title_matches_rank_higher(store: Store) -> None:
    await store.add_articles(
        [
            KbArticle("kb-a", "Warranty claims", "How to file one for a broken item."),
            KbArticle("kb-b", "Broken items", "Check the warranty first; the warranty covers it."),
        ]
    )
    assert [hit.article_id for hit in await store.search_kb("warranty")] == ["kb-a", "kb-b"]
    assert [hit.article_id for hit in await store.search_kb("broken")] == ["kb-b", "kb-a"]
    hits = await store.search_kb("warranty")
    assert hits[0].score > hits[1].score


async def test_kb_replace_reindexes(store: Store) -> None:
    await store.add_articles([KbArticle("kb-refund", "Start a return", "Print the label.")])
    assert await store.search_kb("refund") == []
    assert [hit.article_id for hit in await store.search_kb("label")] == ["kb-refund"]
    assert len(await store.articles()) == len(ARTICLES)


async def test_kb_snippets_are_safe_markup(store: Store) -> None:
    body = "Open [Pull up Account] then [b]check[/b] the account \\"
    await store.add_articles([KbArticle("kb-markup", "Account tools", body)])
    (hit,) = await store.search_kb("pull account")
    content = Content.from_markup(hit.snippet)
    assert "[Pull up Account]" in content.plain and "[b]check[/b]" in content.plain
    assert "account" in hit.snippet.lower()


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        '"',
        '""',
        "'",
        "(",
        ")",
        "()",
        "-",
        "--",
        "*",
        "refund*",
        "-refund",
        "refund -",
        "AND",
        "OR",
        "NOT",
        "refund AND",
        "AND refund",
        "NEAR(refund track)",
        "title:refund",
        "^refund",
        "{title}: refund",
        "refund + password",
        '"refund',
        "ref'und",
        "_",
        "__",
        "[b]",
        "\\",
        "\x00",
        "💥 refund",
        "ß",
        "refund " * 50,
    ],
)
async def test_kb_search_never_raises(store: Store, typed: str) -> None:
    hits = await store.search_kb(typed)
    assert isinstance(hits, list)
    for hit in hits:
        Content.from_markup(hit.snippet)


async def test_kb_search_limit(store: Store) -> None:
    await store.add_articles(
        [KbArticle(f"kb-{i}", f"Parcel {i}", "parcel parcel") for i in range(30)]
    )
    assert len(await store.search_kb("parcel")) == 20
    assert len(await store.search_kb("parcel", limit=5)) == 5


async def test_customer_upsert_keeps_data(store: Store) -> None:
    await store.add_customers([Customer("cu-new", "Neu Kunde", tier=CustomerTier.VIP)])
    assert (await store.customer("cu-new")).tier is CustomerTier.VIP
    ticket = await store.create_ticket(NewTicket("Hallo", "Hilfe", "cu-new"), now=NOW)
    (row,) = await store.ticket_rows(TicketQuery(scope=Scope.ALL, text="neu kunde"), 0, 10)
    assert row.id == ticket.id and row.customer_tier is CustomerTier.VIP
