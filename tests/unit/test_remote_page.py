"""Reading a pulled page's tombstones: delete wins over the ticket's earlier records."""

from __future__ import annotations

import pytest

from agentdesk.domain.remote import BadRecord, page_from_wire

AT = "2026-11-23T09:00:00+00:00"


def state(ticket_id: str, number: int) -> dict[str, object]:
    return {
        "id": ticket_id,
        "number": number,
        "subject": "Card declined",
        "customer_id": "c1",
        "department_id": "general",
        "status": "open",
        "priority": "normal",
        "channel": "email",
        "created_at": AT,
        "updated_at": AT,
        "version": 1,
    }


def message(ticket_id: str, message_id: str) -> dict[str, object]:
    return {
        "message": {
            "id": message_id,
            "ticket_id": ticket_id,
            "kind": "reply",
            "body": "hello",
            "created_at": AT,
        }
    }


def test_a_tombstone_drops_the_tickets_state_and_messages_from_the_page() -> None:
    records = [
        {"server_seq": 1, "kind": "ticket_state", "payload": state("t1", 1)},
        {"server_seq": 2, "kind": "event", "payload": message("t1", "m1")},
        {"server_seq": 3, "kind": "ticket_state", "payload": state("t2", 2)},
        {"server_seq": 4, "kind": "event", "payload": message("t2", "m2")},
        {"server_seq": 5, "kind": "tombstone", "payload": {"ticket_id": "t1"}},
    ]
    page = page_from_wire(records, cursor=0, epoch="e")
    assert [ticket.id for ticket in page.tickets] == ["t2"]
    assert [m.id for m in page.messages] == ["m2"]
    assert (page.deleted, page.cursor, page.skipped) == (("t1",), 5, 0)


def test_a_tombstone_without_a_ticket_is_a_bad_record() -> None:
    records = [{"server_seq": 1, "kind": "tombstone", "payload": {}}]
    with pytest.raises(BadRecord, match="change 1: 'ticket_id'"):
        page_from_wire(records, cursor=0, epoch=None)
