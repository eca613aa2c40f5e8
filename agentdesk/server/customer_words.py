"""What a customer said, recorded on the server: from an intake or pushed by the desk that heard it.

Only the server records the customer's words (sync_rules.SERVER_ONLY_ACTIONS): a desk does not
claim to *be* the customer, it reports what the customer told it (a phone call, a chat typed in),
and the server runs the customer's side of the state machine itself. So the effect is always
the server's reading of the ticket as it is now: a reply reopens a pending or solved ticket,
a confirmation closes one awaiting it, and words for a closed ticket open a linked follow-up.
The words always land; a confirmation that no longer applies (the ticket left awaiting
confirmation meanwhile) is kept as words and says so (`status_kept`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from agentdesk.domain import actions
from agentdesk.domain.errors import DomainError
from agentdesk.domain.ids import starting_with as ids
from agentdesk.domain.model import Ticket, TicketStatus
from agentdesk.domain.sync_ops import OpEnvelope
from agentdesk.server import tickets
from agentdesk.server.op_writes import Rejection, locked_ticket, persist
from agentdesk.server.tickets import create_ticket


@dataclass(frozen=True, slots=True)
class CustomerWords:
    ticket_id: str
    body: str
    confirms_resolution: bool = False
    # A desk's message id, so its local copy and the server's are one message.
    message_id: str | None = None


def words_of(op: OpEnvelope) -> CustomerWords:
    payload: Mapping[str, object] = op.payload
    body = payload.get("body")
    message_id = payload.get("message_id")
    if not op.ticket_id:
        raise Rejection("invalid", "the op names no ticket")
    if not isinstance(body, str) or not body.strip():
        raise Rejection("invalid", "a customer message needs its words")
    return CustomerWords(
        op.ticket_id,
        body,
        confirms_resolution=bool(payload.get("confirms_resolution")),
        message_id=message_id if isinstance(message_id, str) and message_id else None,
    )


def record(connection: Connection, words: CustomerWords, *, now: datetime) -> dict[str, Any]:
    """Record `words` in the caller's transaction; returns what the answer carries besides them.

    `ticket_id` is where the words landed (a follow-up's id when the ticket was closed) and
    `status` its status afterwards.
    """
    ticket = locked_ticket(connection, words.ticket_id)
    extra: dict[str, Any] = {}
    if ticket.status is TicketStatus.CLOSED:
        follow_up = tickets.live_follow_up(connection, ticket.id)
        if follow_up is None:
            follow_up = _follow_up(connection, ticket, words, now=now)
            return {"ticket_id": follow_up.id, "follow_up_ticket_id": follow_up.id, "status": "new"}
        # The closed ticket's open follow-up takes these words too, as a reply to it would.
        ticket, extra["follow_up_ticket_id"] = follow_up, follow_up.id
    confirming = words.confirms_resolution
    if confirming and ticket.status is not TicketStatus.AWAITING_CONFIRMATION:
        extra["status_kept"] = "not_awaiting_confirmation"
    try:
        change = actions.customer_reply(
            ticket,
            words.body,
            now=now,
            confirms_resolution=confirming,
            make_id=ids(words.message_id),
        )
    except DomainError as error:
        raise Rejection("invalid", str(error)) from None
    persist(connection, change, now=now)
    return {"ticket_id": ticket.id, "status": change.ticket.status.value, **extra}


def _follow_up(
    connection: Connection, closed: Ticket, words: CustomerWords, *, now: datetime
) -> Ticket:
    """A new ticket opened by the customer's words, linked to `closed` (closed is final)."""
    new = actions.follow_up_for(closed, words.body, message_id=words.message_id)
    return create_ticket(
        connection,
        new,
        customer_name=None,
        now=now,
        follow_up_of=closed.id,
        opened_by_customer=True,
    )
