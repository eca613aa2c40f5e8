"""Local operation log -> sync op envelopes: every logged kind has a rule, stamps are monotonic."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain import actions, intake
from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.hlc import Hlc
from agentdesk.domain.lifecycle import Action
from agentdesk.domain.model import Operation, TicketStatus
from agentdesk.domain.routing import DEFAULT_POLICY
from agentdesk.domain.sync_ops import (
    KIND_RULES,
    LOCAL_ONLY_KINDS,
    OpEnvelope,
    SyncKind,
    UnknownOperation,
    envelope_for,
    envelopes,
)
from tests.unit.test_actions import AGENT, NOW, UPDATING_ACTIONS, Ids, make_ticket

SITE = "site-lisbon"
CLIENT = "client-1"
STAMP = Hlc(1)


def _op(change: Change, seq: int = 1, hlc: Hlc = STAMP) -> Operation:
    return Operation(f"op-{seq}", CLIENT, seq, NOW, change.kind, change.payload, hlc)


def _every_change() -> list[Change]:
    ids = Ids()
    ticket = make_ticket()
    changes = [action(ticket, ids) for action in UPDATING_ACTIONS.values()]
    awaiting = make_ticket(status=TicketStatus.AWAITING_CONFIRMATION)
    closed = make_ticket(status=TicketStatus.CLOSED)
    changes += [
        actions.customer_reply(
            awaiting, "yes, fixed", now=NOW, confirms_resolution=True, make_id=ids
        ),
        actions.customer_reply(closed, "again", now=NOW, follow_up_number=1002, make_id=ids),
        actions.create_ticket(
            NewTicket("Card lost", "I lost my card", "cu-ada"), number=1003, now=NOW, make_id=ids
        ),
        intake.reclassify(
            ticket, "card_lost", actor_id=AGENT, now=NOW, policy=DEFAULT_POLICY, make_id=ids
        ),
    ]
    return changes


def test_every_kind_the_actions_log_has_a_sync_rule_or_is_local_only() -> None:
    kinds = {change.kind for change in _every_change()}
    assert kinds <= KIND_RULES.keys() | LOCAL_ONLY_KINDS, kinds - KIND_RULES.keys()
    # And every rule is for a kind that is actually logged (reference edits are logged by the
    # stores' edit_script/edit_article: tests/store/test_contract_reference_sync.py).
    assert KIND_RULES.keys() <= kinds | {"script.edit", "kb.edit"}


def test_customer_words_a_desk_recorded_are_pushed_for_the_server_to_record() -> None:
    by_kind = {
        c.kind: envelope_for(_op(c), SITE, {"t-1": 4})
        for c in _every_change()
        if c.kind.startswith(("ticket.customer", "ticket.follow"))
    }
    confirmed, follow_up = by_kind["ticket.customer_confirmed"], by_kind["ticket.follow_up"]
    assert confirmed is not None and follow_up is not None
    # The desk reports words; it does not act as the customer (no action, no fence).
    assert (confirmed.kind, confirmed.action, confirmed.claim_epoch) == (
        SyncKind.CUSTOMER_MESSAGE,
        None,
        None,
    )
    assert confirmed.payload["confirms_resolution"] is True
    assert follow_up.kind is SyncKind.CREATE
    assert follow_up.payload["follow_up_of"] == "t-1"
    assert follow_up.ticket_id != "t-1"


def test_an_unknown_kind_is_refused_loudly() -> None:
    op = Operation("op-1", CLIENT, 7, NOW, "ticket.teleport", {"ticket_id": "t-1"}, Hlc(1))
    with pytest.raises(UnknownOperation, match=r"ticket\.teleport"):
        envelope_for(op, SITE, {})


def test_a_close_carries_the_claim_epoch_base_version_and_action() -> None:
    change = UPDATING_ACTIONS["close_confirmed"](make_ticket(), Ids())
    envelope = envelope_for(_op(change, seq=9, hlc=Hlc(5, 1)), SITE, {"t-1": 4})
    assert envelope is not None
    assert (envelope.kind, envelope.action) == (SyncKind.TRANSITION, Action.CONFIRM_CLOSE)
    assert (envelope.op_id, envelope.client_seq, envelope.hlc) == ("op-9", 9, Hlc(5, 1))
    assert (envelope.ticket_id, envelope.base_version, envelope.claim_epoch) == ("t-1", 3, 4)
    assert envelope.payload["evidence"] == "said yes on the phone"


def test_a_reply_that_waits_on_the_customer_is_an_ask() -> None:
    ask = envelope_for(_op(UPDATING_ACTIONS["ask"](make_ticket(), Ids())), SITE, {})
    plain = envelope_for(_op(UPDATING_ACTIONS["reply"](make_ticket(), Ids())), SITE, {})
    assert ask is not None and plain is not None
    assert (ask.kind, ask.action) == (SyncKind.REPLY, Action.ASK_CUSTOMER)
    assert (plain.kind, plain.action) == (SyncKind.REPLY, Action.AGENT_REPLY)


def test_unfenced_kinds_carry_no_epoch_even_when_one_is_known() -> None:
    note = UPDATING_ACTIONS["note"](make_ticket(), Ids())
    envelope = envelope_for(_op(note), SITE, {"t-1": 4})
    assert envelope is not None and envelope.kind is SyncKind.NOTE
    assert envelope.claim_epoch is None


def test_envelopes_round_trip_through_the_wire_form() -> None:
    batch = envelopes([_op(c, seq) for seq, c in enumerate(_every_change(), 1)], SITE, {"t-1": 2})
    assert batch
    for envelope in batch:
        assert OpEnvelope.from_wire(envelope.to_wire()) == envelope


@pytest.mark.parametrize(
    ("key", "value"),
    [("client_seq", -1), ("client_seq", True), ("hlc", "nope"), ("op_id", ""), ("payload", [])],
)
def test_a_bad_wire_field_is_named(key: str, value: object) -> None:
    change = UPDATING_ACTIONS["reply"](make_ticket(), Ids())
    envelope = envelope_for(_op(change), SITE, {})
    assert envelope is not None
    wire = envelope.to_wire() | {key: value}
    with pytest.raises(ValueError):
        OpEnvelope.from_wire(wire)


@given(st.permutations(range(1, 30)))
def test_envelopes_follow_the_log_order_with_the_stored_stamps(seqs: list[int]) -> None:
    note = UPDATING_ACTIONS["note"](make_ticket(), Ids())
    # A certification stays on the desk (LOCAL_ONLY_KINDS): its seq is skipped.
    local = Change("agent.skill_level", make_ticket(), {"agent_id": AGENT}, (), ())
    ops = [_op(note if seq % 3 else local, seq, Hlc(1_000, seq)) for seq in seqs]
    batch = envelopes(ops, SITE)
    assert [envelope.client_seq for envelope in batch] == [s for s in range(1, 30) if s % 3]
    assert [envelope.hlc for envelope in batch] == [Hlc(1_000, s) for s in range(1, 30) if s % 3]
