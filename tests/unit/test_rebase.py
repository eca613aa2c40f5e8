"""Replaying pending local ops on a server copy of a ticket (domain/rebase.py) and the HLC ratchet."""

from __future__ import annotations

from datetime import timedelta

from agentdesk.domain import actions
from agentdesk.domain.hlc import ZERO, Hlc, epoch_ms, ratchet
from agentdesk.domain.model import Operation, Priority, TicketStatus
from agentdesk.domain.rebase import replay
from tests.unit.test_actions import AGENT, NOW, make_ticket


def op(seq: int, change: actions.Change) -> Operation:
    return Operation(f"op-{seq}", "client", seq, NOW, change.kind, change.payload, Hlc(seq))


def test_pending_ops_are_re_applied_on_the_server_copy_in_seq_order() -> None:
    local = make_ticket(status=TicketStatus.OPEN, assignee_id=AGENT)
    ask = actions.reply(local, "Which card?", author_id=AGENT, now=NOW, wait_on_customer=True)
    confirm = actions.request_confirmation(ask.ticket, "fixed", "Works?", actor_id=AGENT, now=NOW)
    # Meanwhile the server raised the priority: that is the new base.
    server = make_ticket(status=TicketStatus.OPEN, assignee_id=AGENT, priority=Priority.URGENT)
    rebased = replay(server, [op(2, confirm), op(1, ask)])
    assert (rebased.status, rebased.priority, rebased.resolution) == (
        TicketStatus.AWAITING_CONFIRMATION,
        Priority.URGENT,
        "fixed",
    )
    assert rebased.version == server.version + 2


def test_an_op_that_no_longer_applies_is_left_out_and_others_still_apply() -> None:
    local = make_ticket(status=TicketStatus.OPEN, assignee_id=AGENT)
    close = actions.close_confirmed(local, "fixed", "said so", actor_id=AGENT, now=NOW)
    note = actions.reply(local, "checked", author_id=AGENT, now=NOW, internal=True)
    other = actions.reply(
        make_ticket(id="t-2"), "elsewhere", author_id=AGENT, now=NOW, wait_on_customer=True
    )
    closed = make_ticket(status=TicketStatus.CLOSED, assignee_id=AGENT, closed_at=NOW)
    # The server closed it already: the pending close cannot apply again, nor can the note.
    assert replay(closed, [op(1, close), op(2, note), op(3, other)]) == closed
    opened = make_ticket(status=TicketStatus.OPEN, assignee_id=AGENT)
    assert replay(opened, [op(3, other)]) == opened


def test_a_replayed_reply_makes_its_author_the_assignee_of_an_unassigned_ticket() -> None:
    local = make_ticket(status=TicketStatus.NEW, assignee_id=None)
    reply = actions.reply(local, "Hello", author_id=AGENT, now=NOW)
    assert replay(local, [op(1, reply)]).assignee_id == AGENT


def test_the_clock_ratchets_to_server_time_and_never_back() -> None:
    seen = NOW + timedelta(hours=1)
    raised = ratchet(ZERO, seen)
    assert raised == Hlc(epoch_ms(seen), 0)
    ahead = Hlc(epoch_ms(seen) + 5, 3)
    assert ratchet(ahead, seen) == ahead
