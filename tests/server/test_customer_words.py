"""What a customer said reaches the server: by its intake endpoint, or pushed by the desk that heard it.

The server records the words as the customer's and runs the customer's side of the state
machine on its own copy: a reply reopens, a confirmation closes an awaiting ticket, words for a
closed ticket open a linked follow-up. The words always land.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from agentdesk.domain.ids import new_id
from agentdesk.domain.sync_ops import SyncKind
from agentdesk.server import tables as t
from tests.server.conftest import Server
from tests.server.test_push import op
from tests.server.test_push_kinds import result, ticket_row


def set_status(server: Server, ticket_id: str, status: str) -> None:
    with server.engine.begin() as connection:
        connection.execute(
            update(t.tickets).where(t.tickets.c.id == ticket_id).values(status=status)
        )


def messages_of(server: Server, ticket_id: str) -> list[tuple[str, str, str]]:
    with server.engine.connect() as connection:
        rows = connection.execute(
            select(t.messages.c.id, t.messages.c.kind, t.messages.c.body)
            .where(t.messages.c.ticket_id == ticket_id)
            .order_by(t.messages.c.created_at, t.messages.c.id)
        ).all()
    return [tuple(row) for row in rows]


def words(seq: int, ticket_id: str, body: str, *, confirms: bool = False) -> dict[str, Any]:
    payload = {"message_id": new_id(), "body": body, "confirms_resolution": confirms}
    return op(seq, SyncKind.CUSTOMER_MESSAGE, ticket_id, payload)


def test_a_customer_reply_from_the_intake_reopens_a_pending_ticket(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    set_status(server, ticket_id, "pending")
    answer = server.client.post(
        f"/tickets/{ticket_id}/customer-messages", json={"body": "Still broken"}, headers=amy
    )
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"ticket_id": ticket_id, "status": "open"}
    assert ticket_row(server, ticket_id).status == "open"
    assert messages_of(server, ticket_id)[-1][1:] == ("customer", "Still broken")
    # The change reaches every desk through the log.
    changes = server.client.get("/sync/changes", params={"cursor": 0}, headers=amy).json()
    bodies = [c["payload"]["message"]["body"] for c in changes["changes"] if c["kind"] == "event"]
    assert bodies[-1] == "Still broken"


def test_the_intake_refuses_unknown_tickets_and_empty_words_clearly(server: Server) -> None:
    amy = server.agent("amy")
    missing = server.client.post(
        "/tickets/nope/customer-messages", json={"body": "hello"}, headers=amy
    )
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    ticket_id = str(server.new_ticket(amy)["id"])
    empty = server.client.post(
        f"/tickets/{ticket_id}/customer-messages", json={"body": ""}, headers=amy
    )
    assert empty.status_code == 422


def test_a_pushed_confirmation_closes_an_awaiting_ticket(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    set_status(server, ticket_id, "awaiting_confirmation")
    pushed = words(1, ticket_id, "Yes, it works now", confirms=True)
    answer = result(server, amy, pushed)
    assert (answer["outcome"], answer["status"]) == ("applied", "closed"), answer
    assert "status_kept" not in answer
    row = ticket_row(server, ticket_id)
    assert row.status == "closed" and row.closed_at is not None
    # The desk's message id is kept: its local copy and the server's are one message.
    assert messages_of(server, ticket_id)[-1] == (
        pushed["payload"]["message_id"],
        "customer",
        "Yes, it works now",
    )


def test_a_confirmation_the_ticket_no_longer_waits_for_keeps_the_words_only(
    server: Server,
) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    set_status(server, ticket_id, "open")  # another channel's reply reopened it meanwhile
    answer = result(server, amy, words(1, ticket_id, "Thanks, all good", confirms=True))
    assert answer["outcome"] == "applied"
    assert answer["status_kept"] == "not_awaiting_confirmation"
    assert ticket_row(server, ticket_id).status == "open"
    assert messages_of(server, ticket_id)[-1][1:] == ("customer", "Thanks, all good")


def test_words_for_a_closed_ticket_open_a_follow_up_with_them(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    set_status(server, ticket_id, "closed")
    pushed = words(1, ticket_id, "It broke again")
    answer = result(server, amy, pushed)
    assert answer["outcome"] == "applied", answer
    follow_up = ticket_row(server, answer["follow_up_ticket_id"])
    assert (follow_up.follow_up_of, follow_up.subject) == (ticket_id, "Re: Card declined")
    # The customer's words open it, as the customer's, under the desk's message id.
    assert messages_of(server, follow_up.id) == [
        (pushed["payload"]["message_id"], "customer", "It broke again")
    ]
    assert ticket_row(server, ticket_id).status == "closed"


def test_a_follow_up_a_desk_opened_is_created_with_its_link(server: Server) -> None:
    amy = server.agent("amy")
    closed_id = str(server.new_ticket(amy)["id"])
    set_status(server, closed_id, "closed")
    follow_up_id, message_id = new_id(), new_id()
    payload = {
        "message_id": message_id,
        "subject": "Re: Card declined",
        "body": "Me again",
        "customer_id": "c1",
        "follow_up_of": closed_id,
    }
    answer = result(server, amy, op(1, SyncKind.CREATE, follow_up_id, payload))
    assert answer["outcome"] == "applied", answer
    assert ticket_row(server, follow_up_id).follow_up_of == closed_id
    assert messages_of(server, follow_up_id) == [(message_id, "customer", "Me again")]


def test_more_words_for_a_closed_ticket_join_its_open_follow_up(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    set_status(server, ticket_id, "closed")
    first = result(server, amy, words(1, ticket_id, "It broke again"))
    second = result(server, amy, words(2, ticket_id, "Also the app crashes"))
    assert second["follow_up_ticket_id"] == first["follow_up_ticket_id"]
    bodies = [body for _id, _kind, body in messages_of(server, first["follow_up_ticket_id"])]
    assert bodies == ["It broke again", "Also the app crashes"]
