"""Applying pulled pages: server state lands without new local operations, cursor with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.hlc import Hlc, epoch_ms
from agentdesk.domain.model import (
    Channel,
    LinkKind,
    Message,
    MessageKind,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.outbox import PushResult
from agentdesk.domain.remote import RemotePage
from agentdesk.domain.sync_rules import OutcomeKind
from agentdesk.store.base import Store
from agentdesk.store.errors import Conflict, NotFound
from tests.fixtures import NOW

# These hand the store made-up server answers (push results, pulled pages): the remote backend
# runs them with its link down, as a replica working offline (tests/store/remote_backend.py).
pytestmark = pytest.mark.offline_replica


def remote_ticket(number: int) -> Ticket:
    return Ticket(
        id="remote-1",
        number=number,
        subject="Made on another site",
        customer_id="server-only-customer",
        department_id="general",
        status=TicketStatus.OPEN,
        priority=Priority.HIGH,
        channel=Channel.EMAIL,
        intent="",
        created_at=NOW,
        updated_at=NOW,
        version=3,
    )


def message(message_id: str, ticket_id: str = "remote-1") -> Message:
    return Message(message_id, ticket_id, MessageKind.REPLY, "from afar", NOW, "someone")


async def test_a_page_upserts_tickets_and_messages_and_moves_the_cursor(store: Store) -> None:
    ops_before = await store.operations(limit=100_000)
    taken = (await store.ticket_by_number(1)).id
    page = RemotePage(0, (remote_ticket(1),), (message("m1"), message("m2")), 3, "lineage-a")
    await store.apply_remote(page)
    ticket = await store.ticket("remote-1")
    # Number 1 is another ticket's here, so the remote one gets a free local number.
    assert ticket.number != 1 and (await store.ticket_by_number(1)).id == taken
    assert (ticket.subject, ticket.version, ticket.status) == (
        "Made on another site",
        3,
        TicketStatus.OPEN,
    )
    assert [m.id for m in await store.messages("remote-1")] == ["m1", "m2"]
    status = await store.sync_status()
    assert (status.cursor, status.server_epoch) == (3, "lineage-a")
    assert await store.operations(limit=100_000) == ops_before

    # The next page updates the ticket in place, keeps its local number, adds messages once.
    newer = replace(remote_ticket(1), status=TicketStatus.PENDING, version=4)
    stray = message("m9", ticket_id="never-sent")
    await store.apply_remote(RemotePage(3, (newer,), (message("m2"), message("m3"), stray), 5))
    again = await store.ticket("remote-1")
    assert (again.number, again.status) == (ticket.number, TicketStatus.PENDING)
    assert [m.id for m in await store.messages("remote-1")] == ["m1", "m2", "m3"]
    made = await store.create_ticket(
        NewTicket(subject="Local", body="b", customer_id="server-only-customer"),
        now=NOW + timedelta(minutes=1),
    )
    assert made.number not in {ticket.number, 1}


async def test_a_page_that_does_not_continue_the_cursor_applies_nothing(store: Store) -> None:
    with pytest.raises(Conflict):
        await store.apply_remote(RemotePage(7, (remote_ticket(500),), (), 9))
    assert (await store.sync_status()).cursor == 0
    with pytest.raises(NotFound):
        await store.ticket("remote-1")


async def test_a_pulled_ticket_keeps_its_pending_ops_on_top(store: Store) -> None:
    await store.apply_remote(RemotePage(0, (remote_ticket(900),), (message("m1"),), 2))
    asked = await store.request_confirmation(
        "remote-1", "fixed", "Works now?", actor_id="me", now=NOW
    )
    # Someone else changed the ticket on the server: the pulled copy is its new base.
    newer = replace(remote_ticket(900), priority=Priority.URGENT, version=4)
    await store.apply_remote(RemotePage(2, (newer,), (message("m2"),), 4))
    ticket = await store.ticket("remote-1")
    assert (ticket.status, ticket.priority, ticket.version) == (
        TicketStatus.AWAITING_CONFIRMATION,
        Priority.URGENT,
        5,
    )
    assert ticket.resolution == asked.resolution == "fixed"


async def test_a_message_the_server_moved_to_another_ticket_moves_here_too(store: Store) -> None:
    await store.apply_remote(RemotePage(0, (remote_ticket(900),), (message("m1"),), 2))
    follow_up = replace(remote_ticket(901), id="remote-2", follow_up_of="remote-1")
    await store.apply_remote(RemotePage(2, (follow_up,), (message("m1", "remote-2"),), 4))
    assert await store.messages("remote-1") == []
    assert [m.id for m in await store.messages("remote-2")] == ["m1"]


async def test_a_rebase_rolls_back_a_rejected_op(store: Store) -> None:
    await store.apply_remote(RemotePage(0, (remote_ticket(900),), (message("m1"),), 2))
    await store.request_confirmation("remote-1", "fixed", "Works now?", actor_id="me", now=NOW)
    (*_, op) = await store.pending_operations(limit=100_000)
    assert op.kind == "ticket.request_confirmation"
    await store.record_push_results(
        [PushResult(op.op_id, OutcomeKind.REJECTED, reason="claim_lost")], now=NOW
    )
    # No newer change was pulled; the fresh copy the client fetched is the base again.
    await store.rebase_tickets([remote_ticket(900)], [message("m1")])
    ticket = await store.ticket("remote-1")
    assert (ticket.status, ticket.version) == (TicketStatus.OPEN, 3)
    assert [m.id for m in await store.messages("remote-1")] == ["m1"]
    assert op.op_id in [c.op.op_id for c in await store.conflicts()]
    assert (await store.sync_status()).cursor == 2


async def test_the_clock_ratchets_to_server_time(store: Store) -> None:
    ahead = NOW + timedelta(days=1)
    await store.observe_server_time(ahead)
    await store.apply_remote(RemotePage(0, (), (), 0, server_time=ahead + timedelta(hours=1)))
    await store.create_ticket(NewTicket(subject="s", body="b", customer_id="cu-ada"), now=NOW)
    (*_, last) = await store.operations(limit=100_000)
    assert last.hlc > Hlc(epoch_ms(ahead + timedelta(hours=1)), 0)


async def test_answers_with_reasons_are_what_a_round_rolls_back(store: Store) -> None:
    await store.apply_remote(RemotePage(0, (remote_ticket(900),), (message("m1"),), 2))
    await store.link("remote-1", LinkKind.ARTICLE, "kb-1", "A", actor_id="me", now=NOW)
    await store.record_csat("remote-1", 4, actor_id="me", now=NOW)
    await store.request_confirmation("remote-1", "fixed", "Works now?", actor_id="me", now=NOW)
    *_, link, csat, confirm = await store.pending_operations(limit=100_000)
    later = NOW + timedelta(minutes=1)
    await store.record_push_results(
        [
            PushResult(link.op_id, OutcomeKind.APPLIED),
            PushResult(csat.op_id, OutcomeKind.APPLIED_LOST_LWW, reason="lost_fields: csat"),
            PushResult(confirm.op_id, OutcomeKind.REJECTED, reason="claim_lost"),
        ],
        now=later,
    )
    answers = await store.answers_with_reasons(later)
    assert [(a.op.op_id, a.reason, a.at) for a in answers] == [
        (csat.op_id, "lost_fields: csat", later),
        (confirm.op_id, "claim_lost", later),
    ]
    assert await store.answers_with_reasons(later + timedelta(seconds=1)) == []
    # Only the rejection is a conflict the agent sees.
    assert [c.op.op_id for c in await store.conflicts()][-1:] == [confirm.op_id]
