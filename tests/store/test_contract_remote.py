"""Applying pulled pages: server state lands without new local operations, cursor with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Channel, Message, MessageKind, Priority, Ticket, TicketStatus
from agentdesk.domain.remote import RemotePage
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
