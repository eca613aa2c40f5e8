"""A ticket as the client shows it: the server's copy with the still-pending local ops on top.

The client's visible state is an overlay (SYNC.md §4.2): whenever a server copy of a ticket
arrives (a pulled page, or a fresh copy fetched after a rejection), the ticket becomes that copy
with each of its pending ops re-applied, in log order, through the same domain functions that
made them. An op that no longer applies (the ticket was closed meanwhile, say) is left out of the
overlay; it stays pending and the server gives the final answer. Rejected ops are never
replayed: that is how a rejection rolls back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from agentdesk.domain import actions, op_effects
from agentdesk.domain.errors import DomainError
from agentdesk.domain.ids import starting_with
from agentdesk.domain.lifecycle import Action, next_status
from agentdesk.domain.model import (
    Complexity,
    Operation,
    Priority,
    Ticket,
)
from agentdesk.domain.op_effects import links_of

Replayer = Callable[[Ticket, Mapping[str, object], Operation], Ticket]


def ticket_of(op: Operation) -> str | None:
    ticket_id = op.payload.get("ticket_id")
    return ticket_id if isinstance(ticket_id, str) else None


def message_of(op: Operation) -> str | None:
    """The id of the message the op wrote, if it wrote one."""
    message_id = op.payload.get("message_id")
    return message_id if isinstance(message_id, str) and message_id else None


def replay(base: Ticket, ops: Iterable[Operation]) -> Ticket:
    """`base` with the effect of each op of `ops` on this ticket re-applied, in seq order."""
    ticket = base
    for op in sorted(ops, key=lambda op: op.seq):
        if ticket_of(op) != base.id:
            continue
        replayer = _REPLAYERS.get(op.kind)
        if replayer is None:
            continue  # no effect on the ticket row (a create is never rebased: no server copy)
        try:
            ticket = replayer(ticket, op.payload, op)
        except (DomainError, KeyError, TypeError, ValueError):
            continue  # no longer applies here; the server decides
    return ticket


def _actor(payload: Mapping[str, object], ticket: Ticket, key: str = "actor_id") -> str:
    actor = payload.get(key)
    # Ops logged before the payload named its author keep whoever holds the ticket.
    return actor if isinstance(actor, str) else (ticket.assignee_id or "")


def _reply(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    return actions.reply(
        ticket,
        str(payload["body"]),
        author_id=_actor(payload, ticket, "author_id"),
        now=op.at,
        internal=bool(payload.get("internal")),
        wait_on_customer=bool(payload.get("wait_on_customer")),
        links=links_of(payload),
        make_id=starting_with(payload.get("message_id")),
    ).ticket


def _assign(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    agent = str(payload["agent_id"])
    return actions.assign(ticket, agent, actor_id=_actor(payload, ticket), now=op.at).ticket


def _transfer(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    return actions.transfer(
        ticket,
        str(payload["department_id"]),
        str(payload["note"]),
        actor_id=_actor(payload, ticket),
        now=op.at,
        make_id=starting_with(payload.get("message_id")),
    ).ticket


def _request_confirmation(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    return op_effects.request_confirmation(
        ticket,
        payload,
        actor_id=_actor(payload, ticket),
        now=op.at,
        make_id=starting_with(payload.get("message_id")),
    ).ticket


def _close(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    return op_effects.close_confirmed(
        ticket,
        payload,
        actor_id=_actor(payload, ticket),
        now=op.at,
        make_id=starting_with(payload.get("message_id")),
    ).ticket


def _csat(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    score = payload["csat"]
    assert isinstance(score, int)
    return actions.record_csat(ticket, score, actor_id=_actor(payload, ticket), now=op.at).ticket


def _link(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    for link in links_of(payload):
        ticket = actions.link(
            ticket, link.kind, link.ref_id, link.title, actor_id=_actor(payload, ticket), now=op.at
        ).ticket
    return ticket


def _reclassify(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    """The fields the reclassification chose (its routing already ran when it was made)."""
    changes: dict[str, object] = {
        "intent": str(payload["intent"]),
        "required_skill": payload.get("required_skill"),
        "complexity": Complexity(payload.get("complexity", ticket.complexity.value)),
        "priority": Priority(payload.get("priority", ticket.priority.value)),
    }
    department = payload.get("department_id")
    if isinstance(department, str) and department != ticket.department_id:
        changes.update(
            department_id=department,
            status=next_status(ticket.status, Action.TRANSFER),
            assignee_id=None,
        )
    return replace(ticket, updated_at=op.at, version=ticket.version + 1, **changes)  # type: ignore[arg-type]


def _customer_words(ticket: Ticket, payload: Mapping[str, object], op: Operation) -> Ticket:
    # On a ticket the server has closed this raises (a follow-up needs a number): not replayed,
    # and the server's answer moves the words to the follow-up it opens.
    return actions.customer_reply(
        ticket,
        str(payload["body"]),
        now=op.at,
        confirms_resolution=bool(payload.get("confirms_resolution")),
        make_id=starting_with(payload.get("message_id")),
    ).ticket


_REPLAYERS: Mapping[str, Replayer] = {
    "ticket.reply": _reply,
    "ticket.note": _reply,
    "ticket.assign": _assign,
    "ticket.transfer": _transfer,
    "ticket.request_confirmation": _request_confirmation,
    "ticket.close": _close,
    "ticket.csat": _csat,
    "ticket.link": _link,
    "ticket.reclassify": _reclassify,
    "ticket.customer_reply": _customer_words,
    "ticket.customer_confirmed": _customer_words,
}
