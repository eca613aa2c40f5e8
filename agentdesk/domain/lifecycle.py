"""The ticket state machine.

new -> open -> pending (waiting on the customer) / awaiting_confirmation -> closed.
A customer reply reopens a pending or awaiting ticket; closed is terminal (a later customer
message starts a linked follow-up ticket instead).
"""

from __future__ import annotations

from enum import StrEnum

from agentdesk.domain.errors import IllegalTransition
from agentdesk.domain.model import TicketStatus


class Action(StrEnum):
    ASSIGN = "assign"
    AGENT_REPLY = "agent_reply"
    ASK_CUSTOMER = "ask_customer"
    CUSTOMER_REPLY = "customer_reply"
    REQUEST_CONFIRMATION = "request_confirmation"
    CONFIRM_CLOSE = "confirm_close"
    TRANSFER = "transfer"


_NEW = TicketStatus.NEW
_OPEN = TicketStatus.OPEN
_PENDING = TicketStatus.PENDING
_AWAITING = TicketStatus.AWAITING_CONFIRMATION
_CLOSED = TicketStatus.CLOSED

TRANSITIONS: dict[TicketStatus, dict[Action, TicketStatus]] = {
    _NEW: {
        Action.ASSIGN: _OPEN,
        Action.AGENT_REPLY: _OPEN,
        Action.ASK_CUSTOMER: _PENDING,
        Action.CUSTOMER_REPLY: _NEW,
        Action.TRANSFER: _NEW,
    },
    _OPEN: {
        Action.ASSIGN: _OPEN,
        Action.AGENT_REPLY: _OPEN,
        Action.ASK_CUSTOMER: _PENDING,
        Action.CUSTOMER_REPLY: _OPEN,
        Action.REQUEST_CONFIRMATION: _AWAITING,
        Action.CONFIRM_CLOSE: _CLOSED,
        Action.TRANSFER: _OPEN,
    },
    _PENDING: {
        Action.ASSIGN: _PENDING,
        Action.AGENT_REPLY: _PENDING,
        Action.ASK_CUSTOMER: _PENDING,
        Action.CUSTOMER_REPLY: _OPEN,
        Action.REQUEST_CONFIRMATION: _AWAITING,
        Action.CONFIRM_CLOSE: _CLOSED,
        Action.TRANSFER: _OPEN,
    },
    _AWAITING: {
        Action.ASSIGN: _AWAITING,
        Action.AGENT_REPLY: _AWAITING,
        Action.CUSTOMER_REPLY: _OPEN,
        Action.REQUEST_CONFIRMATION: _AWAITING,
        Action.CONFIRM_CLOSE: _CLOSED,
        Action.TRANSFER: _OPEN,
    },
    _CLOSED: {},
}

ACTIVE_STATUSES: frozenset[TicketStatus] = frozenset(
    status for status in TicketStatus if status is not _CLOSED
)


def next_status(status: TicketStatus, action: Action) -> TicketStatus:
    """The status after `action`, or IllegalTransition if the rules forbid it."""
    try:
        return TRANSITIONS[status][action]
    except KeyError:
        raise IllegalTransition(status.value, action.value) from None


def allowed_actions(status: TicketStatus) -> frozenset[Action]:
    return frozenset(TRANSITIONS[status])
