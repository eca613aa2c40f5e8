"""Every action in `agentdesk.domain.actions`: the ticket it returns, its messages, audit and payload."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from agentdesk.domain import actions
from agentdesk.domain.actions import Change, NewTicket
from agentdesk.domain.errors import IllegalTransition, InvalidInput, MissingPlaceholders
from agentdesk.domain.model import (
    Channel,
    Customer,
    LinkKind,
    MessageKind,
    Priority,
    SlaPolicy,
    Ticket,
    TicketLink,
    TicketStatus,
)

CREATED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOW = CREATED + timedelta(minutes=30)
AGENT = "ag-1"

NEW = TicketStatus.NEW
OPEN = TicketStatus.OPEN
PENDING = TicketStatus.PENDING
AWAITING = TicketStatus.AWAITING_CONFIRMATION
CLOSED = TicketStatus.CLOSED

ARTICLE = TicketLink(LinkKind.ARTICLE, "kb-refund", "Initiate Refund")
SCRIPT = TicketLink(LinkKind.SCRIPT, "sc-refund", "Refund script")


class Ids:
    """Deterministic id factory: id-1, id-2, ..."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def __call__(self) -> str:
        return f"id-{next(self._counter)}"


def make_ticket(**overrides: object) -> Ticket:
    values: dict[str, object] = {
        "id": "t-1",
        "number": 1001,
        "subject": "Refund please",
        "customer_id": "cu-ada",
        "department_id": "billing",
        "status": OPEN,
        "priority": Priority.HIGH,
        "channel": Channel.EMAIL,
        "intent": "get_refund",
        "created_at": CREATED,
        "updated_at": CREATED,
        "first_response_due": CREATED + timedelta(hours=1),
        "resolution_due": CREATED + timedelta(hours=8),
        "version": 3,
    }
    values.update(overrides)
    return Ticket(**values)  # type: ignore[arg-type]


# --- properties every updating action shares -------------------------------------------------

UpdatingAction = Callable[[Ticket, Ids], Change]

UPDATING_ACTIONS: dict[str, UpdatingAction] = {
    "assign": lambda t, ids: actions.assign(t, "ag-2", actor_id=AGENT, now=NOW, make_id=ids),
    "reply": lambda t, ids: actions.reply(t, "Hello", author_id=AGENT, now=NOW, make_id=ids),
    "note": lambda t, ids: actions.reply(
        t, "FYI", author_id=AGENT, now=NOW, internal=True, make_id=ids
    ),
    "ask": lambda t, ids: actions.reply(
        t, "Which order?", author_id=AGENT, now=NOW, wait_on_customer=True, make_id=ids
    ),
    "customer_reply": lambda t, ids: actions.customer_reply(t, "Any news?", now=NOW, make_id=ids),
    "transfer": lambda t, ids: actions.transfer(
        t, "technical", "needs a tech", actor_id=AGENT, now=NOW, make_id=ids
    ),
    "request_confirmation": lambda t, ids: actions.request_confirmation(
        t, "Refunded", "Did the refund arrive?", actor_id=AGENT, now=NOW, make_id=ids
    ),
    "close_confirmed": lambda t, ids: actions.close_confirmed(
        t, "Refunded", "said yes on the phone", actor_id=AGENT, now=NOW, make_id=ids
    ),
    "record_csat": lambda t, ids: actions.record_csat(t, 4, actor_id=AGENT, now=NOW, make_id=ids),
    "link": lambda t, ids: actions.link(
        t, LinkKind.ARTICLE, "kb-1", "An article", actor_id=AGENT, now=NOW, make_id=ids
    ),
    "set_priority": lambda t, ids: actions.set_priority(
        t, Priority.URGENT, actor_id=AGENT, now=NOW, make_id=ids
    ),
}


@pytest.mark.parametrize("name", list(UPDATING_ACTIONS))
def test_updating_action_bumps_version_and_updated_at(name: str) -> None:
    ticket = make_ticket()
    change = UPDATING_ACTIONS[name](ticket, Ids())
    assert change.ticket.id == ticket.id
    assert change.ticket.version == ticket.version + 1
    assert change.ticket.updated_at == NOW
    assert change.ticket.created_at == ticket.created_at
    assert change.created is False
    assert change.payload["base_version"] == ticket.version


@pytest.mark.parametrize("name", list(UPDATING_ACTIONS))
def test_updating_action_payload_audit_and_messages_agree(name: str) -> None:
    ticket = make_ticket()
    change = UPDATING_ACTIONS[name](ticket, Ids())
    assert change.payload["ticket_id"] == ticket.id
    assert change.audit, "every action leaves an audit trail"
    for event in change.audit:
        assert event.ticket_id == ticket.id
        assert event.at == NOW
        assert event.kind.startswith("ticket.")
    for message in change.messages:
        assert message.ticket_id == ticket.id
        assert message.created_at == NOW
    if change.messages:
        (message,) = change.messages
        assert change.payload["message_id"] == message.id
        assert change.audit[0].detail.get("message_id", message.id) == message.id
    else:
        assert "message_id" not in change.payload
    ids = [event.id for event in change.audit] + [m.id for m in change.messages]
    assert len(ids) == len(set(ids)), "ids come from make_id and are distinct"


@pytest.mark.parametrize("name", list(UPDATING_ACTIONS))
def test_updating_action_does_not_mutate_its_input(name: str) -> None:
    ticket = make_ticket()
    snapshot = replace(ticket)
    UPDATING_ACTIONS[name](ticket, Ids())
    assert ticket == snapshot


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in UPDATING_ACTIONS
        # A closed ticket may still get a CSAT score, links and a priority (SYNC.md §4.6).
        if n not in {"record_csat", "link", "customer_reply", "set_priority"}
    ],
)
def test_closed_ticket_refuses_agent_actions(name: str) -> None:
    ticket = make_ticket(status=CLOSED, closed_at=NOW)
    with pytest.raises(IllegalTransition):
        UPDATING_ACTIONS[name](ticket, Ids())


# --- create_ticket ---------------------------------------------------------------------------


def test_create_ticket_builds_a_new_ticket_with_default_sla() -> None:
    new = NewTicket(
        subject="  Where is my parcel?  ",
        body=" It has been a week. ",
        customer_id="cu-bob",
        department_id="logistics",
        priority=Priority.URGENT,
        channel=Channel.CHAT,
        intent="track_order",
        required_skill="orders",
    )
    change = actions.create_ticket(new, number=7, now=NOW, make_id=Ids())
    ticket = change.ticket
    assert change.kind == "ticket.create"
    assert change.created is True
    assert ticket.status is NEW
    assert ticket.version == 1
    assert ticket.number == 7
    assert ticket.subject == "Where is my parcel?"
    assert ticket.created_at == ticket.updated_at == NOW
    assert ticket.first_response_due == NOW + timedelta(minutes=30)
    assert ticket.resolution_due == NOW + timedelta(hours=4)
    assert ticket.first_response_at is None
    assert ticket.assignee_id is None
    assert ticket.required_skill == "orders"
    assert ticket.follow_up_of is None
    (message,) = change.messages
    assert message.kind is MessageKind.CUSTOMER
    assert message.body == "It has been a week."
    assert message.ticket_id == ticket.id
    assert message.author_id is None
    (audit,) = change.audit
    assert audit.kind == "ticket.created"
    assert audit.ticket_id == ticket.id
    assert audit.detail == {"number": 7}
    assert change.payload["ticket_id"] == ticket.id
    assert change.payload["message_id"] == message.id
    assert change.payload["priority"] == "urgent"
    assert change.payload["channel"] == "chat"
    assert change.payload["body"] == "It has been a week."
    assert change.payload["created_at"] == NOW.isoformat()


def test_create_ticket_uses_given_ids_time_and_policies() -> None:
    policies = {p: SlaPolicy(p, 10, 20) for p in Priority}
    new = NewTicket(
        subject="s",
        body="b",
        customer_id="cu",
        created_at=CREATED,
        id="fixed-ticket",
        message_id="fixed-message",
    )
    change = actions.create_ticket(
        new, number=1, now=NOW, policies=policies, follow_up_of="old", make_id=Ids()
    )
    assert change.ticket.id == "fixed-ticket"
    assert change.messages[0].id == "fixed-message"
    assert change.ticket.created_at == CREATED
    assert change.messages[0].created_at == CREATED
    assert change.ticket.first_response_due == CREATED + timedelta(minutes=10)
    assert change.ticket.resolution_due == CREATED + timedelta(minutes=20)
    assert change.ticket.follow_up_of == "old"
    assert change.payload["follow_up_of"] == "old"


@pytest.mark.parametrize(("subject", "body", "field"), [(" ", "b", "subject"), ("s", "\n", "body")])
def test_create_ticket_needs_subject_and_body(subject: str, body: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.create_ticket(NewTicket(subject, body, "cu"), number=1, now=NOW)
    assert raised.value.field == field


# --- assign ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"), [(NEW, OPEN), (OPEN, OPEN), (PENDING, PENDING), (AWAITING, AWAITING)]
)
def test_assign_sets_assignee_and_opens_new_tickets(
    status: TicketStatus, expected: TicketStatus
) -> None:
    ticket = make_ticket(status=status, assignee_id="ag-old")
    change = actions.assign(ticket, "ag-2", actor_id=AGENT, now=NOW, make_id=Ids())
    assert change.kind == "ticket.assign"
    assert change.ticket.status is expected
    assert change.ticket.assignee_id == "ag-2"
    (audit,) = change.audit
    assert audit.kind == "ticket.assigned"
    assert audit.actor_id == AGENT
    assert audit.detail == {"agent_id": "ag-2", "previous": "ag-old"}
    assert change.payload == {
        "ticket_id": "t-1",
        "agent_id": "ag-2",
        "actor_id": AGENT,
        "base_version": 3,
    }
    assert change.messages == ()


# --- reply -----------------------------------------------------------------------------------


def test_first_public_reply_opens_sets_first_response_and_assigns_author() -> None:
    ticket = make_ticket(status=NEW)
    change = actions.reply(ticket, "  Hi Ada  ", author_id=AGENT, now=NOW, make_id=Ids())
    assert change.kind == "ticket.reply"
    assert change.ticket.status is OPEN
    assert change.ticket.first_response_at == NOW
    assert change.ticket.assignee_id == AGENT
    (message,) = change.messages
    assert message.kind is MessageKind.REPLY
    assert message.body == "Hi Ada"
    assert message.author_id == AGENT
    (audit,) = change.audit
    assert audit.kind == "ticket.reply"
    assert audit.actor_id == AGENT
    assert audit.detail == {"message_id": message.id, "status": "open"}
    assert change.payload == {
        "ticket_id": ticket.id,
        "message_id": message.id,
        "body": "Hi Ada",
        "internal": False,
        "wait_on_customer": False,
        "links": [],
        "base_version": ticket.version,
        "author_id": AGENT,
    }


def test_later_public_reply_keeps_first_response_and_assignee() -> None:
    answered = CREATED + timedelta(minutes=5)
    ticket = make_ticket(first_response_at=answered, assignee_id="ag-owner")
    change = actions.reply(ticket, "More news", author_id=AGENT, now=NOW, make_id=Ids())
    assert change.ticket.first_response_at == answered
    assert change.ticket.assignee_id == "ag-owner"


def test_note_is_not_a_first_response_and_keeps_status() -> None:
    ticket = make_ticket(status=NEW)
    change = actions.reply(
        ticket, "Customer sounds upset", author_id=AGENT, now=NOW, internal=True, make_id=Ids()
    )
    assert change.kind == "ticket.note"
    assert change.ticket.status is NEW
    assert change.ticket.first_response_at is None
    assert change.ticket.assignee_id is None
    (message,) = change.messages
    assert message.kind is MessageKind.NOTE
    assert change.audit[0].kind == "ticket.note"
    assert change.payload["internal"] is True


def test_note_then_reply_sets_first_response_at_the_reply() -> None:
    ticket = make_ticket(status=NEW)
    note = actions.reply(ticket, "n", author_id=AGENT, now=NOW, internal=True, make_id=Ids())
    later = NOW + timedelta(minutes=3)
    public = actions.reply(note.ticket, "r", author_id=AGENT, now=later, make_id=Ids())
    assert public.ticket.first_response_at == later


@pytest.mark.parametrize(
    ("status", "expected"), [(NEW, PENDING), (OPEN, PENDING), (PENDING, PENDING)]
)
def test_reply_waiting_on_customer_makes_ticket_pending(
    status: TicketStatus, expected: TicketStatus
) -> None:
    ticket = make_ticket(status=status)
    change = actions.reply(
        ticket, "Which order?", author_id=AGENT, now=NOW, wait_on_customer=True, make_id=Ids()
    )
    assert change.ticket.status is expected
    assert change.payload["wait_on_customer"] is True
    assert change.audit[0].detail["status"] == "pending"


def test_reply_waiting_on_customer_is_refused_while_awaiting_confirmation() -> None:
    ticket = make_ticket(status=AWAITING)
    with pytest.raises(IllegalTransition):
        actions.reply(ticket, "?", author_id=AGENT, now=NOW, wait_on_customer=True)


def test_note_on_closed_ticket_is_refused() -> None:
    ticket = make_ticket(status=CLOSED)
    with pytest.raises(IllegalTransition):
        actions.reply(ticket, "n", author_id=AGENT, now=NOW, internal=True)


@pytest.mark.parametrize("body", ["", "   ", "\n\t"])
def test_reply_needs_text(body: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.reply(make_ticket(), body, author_id=AGENT, now=NOW)
    assert raised.value.field == "body"


def test_public_reply_with_unfilled_placeholder_is_refused() -> None:
    with pytest.raises(MissingPlaceholders) as raised:
        actions.reply(
            make_ticket(), "Hi {{Customer Name}}, order {{ order_id }}", author_id=AGENT, now=NOW
        )
    assert raised.value.names == ["Customer Name", "order_id"]


def test_note_may_keep_braces() -> None:
    change = actions.reply(
        make_ticket(), "template uses {{order_id}}", author_id=AGENT, now=NOW, internal=True
    )
    assert change.messages[0].body == "template uses {{order_id}}"


def test_reply_adds_links_once() -> None:
    ticket = make_ticket(links=(ARTICLE,))
    same_article_new_title = TicketLink(LinkKind.ARTICLE, "kb-refund", "Renamed")
    change = actions.reply(
        ticket,
        "See the article",
        author_id=AGENT,
        now=NOW,
        links=(same_article_new_title, SCRIPT, SCRIPT),
        make_id=Ids(),
    )
    assert change.ticket.links == (ARTICLE, SCRIPT)
    assert change.payload["links"][1] == {  # type: ignore[index]
        "kind": "script",
        "ref_id": "sc-refund",
        "title": "Refund script",
    }


# --- customer_reply --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"), [(NEW, NEW), (OPEN, OPEN), (PENDING, OPEN), (AWAITING, OPEN)]
)
def test_customer_reply_adds_message_and_reopens(
    status: TicketStatus, expected: TicketStatus
) -> None:
    ticket = make_ticket(status=status)
    change = actions.customer_reply(ticket, " Still broken ", now=NOW, make_id=Ids())
    assert change.kind == "ticket.customer_reply"
    assert change.ticket.status is expected
    assert change.ticket.first_response_at is None
    assert change.ticket.closed_at is None
    (message,) = change.messages
    assert message.kind is MessageKind.CUSTOMER
    assert message.body == "Still broken"
    assert message.author_id is None
    assert change.audit[0].kind == "ticket.customer_reply"
    assert change.audit[0].actor_id is None
    assert change.audit[0].detail == {"message_id": message.id, "status": expected.value}
    assert change.payload["confirms_resolution"] is False
    reopened = [event for event in change.audit if event.kind == "ticket.reopened"]
    if status is AWAITING:
        assert len(reopened) == 1
        assert reopened[0].detail == {"reason": "customer"}
    else:
        assert reopened == []


def test_customer_confirmation_closes_an_awaiting_ticket() -> None:
    ticket = make_ticket(status=AWAITING, resolution="Refunded")
    change = actions.customer_reply(
        ticket, "Yes, got it", now=NOW, confirms_resolution=True, make_id=Ids()
    )
    assert change.kind == "ticket.customer_confirmed"
    assert change.ticket.status is CLOSED
    assert change.ticket.closed_at == NOW
    assert change.ticket.resolution == "Refunded"
    assert [event.kind for event in change.audit] == ["ticket.customer_confirmed"]
    assert change.payload["confirms_resolution"] is True


@pytest.mark.parametrize("status", [NEW, OPEN, PENDING])
def test_confirmation_flag_only_counts_while_awaiting(status: TicketStatus) -> None:
    ticket = make_ticket(status=status)
    change = actions.customer_reply(ticket, "Thanks", now=NOW, confirms_resolution=True)
    assert change.ticket.status is not CLOSED
    assert change.kind == "ticket.customer_reply"
    assert change.payload["confirms_resolution"] is False


def test_customer_reply_on_closed_ticket_needs_a_follow_up_number() -> None:
    ticket = make_ticket(status=CLOSED, closed_at=NOW)
    with pytest.raises(InvalidInput) as raised:
        actions.customer_reply(ticket, "Broken again", now=NOW)
    assert raised.value.field == "follow_up_number"


def test_customer_reply_on_closed_ticket_starts_a_follow_up() -> None:
    closed = make_ticket(
        status=CLOSED, closed_at=CREATED, required_skill="refunds", assignee_id="ag-old"
    )
    later = NOW + timedelta(days=2)
    policies = {p: SlaPolicy(p, 15, 90) for p in Priority}
    change = actions.customer_reply(
        closed,
        " Broken again ",
        now=later,
        follow_up_number=1002,
        policies=policies,
        make_id=Ids(),
    )
    follow = change.ticket
    assert change.kind == "ticket.follow_up"
    assert change.created is True
    assert follow.id != closed.id
    assert follow.number == 1002
    assert follow.status is NEW
    assert follow.version == 1
    assert follow.follow_up_of == closed.id
    assert follow.subject == "Re: Refund please"
    assert follow.assignee_id is None
    for attribute in ("customer_id", "department_id", "priority", "channel", "intent"):
        assert getattr(follow, attribute) == getattr(closed, attribute)
    assert follow.required_skill == "refunds"
    assert follow.created_at == later
    assert follow.first_response_due == later + timedelta(minutes=15)
    assert follow.resolution_due == later + timedelta(minutes=90)
    (message,) = change.messages
    assert message.ticket_id == follow.id
    assert message.kind is MessageKind.CUSTOMER
    assert message.body == "Broken again"
    assert change.payload["ticket_id"] == follow.id
    assert change.payload["message_id"] == message.id
    assert change.payload["follow_up_of"] == closed.id
    assert change.payload["number"] == 1002
    assert all(event.ticket_id == follow.id for event in change.audit)


# --- transfer --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"), [(NEW, NEW), (OPEN, OPEN), (PENDING, OPEN), (AWAITING, OPEN)]
)
def test_transfer_moves_unassigns_and_keeps_the_sla(
    status: TicketStatus, expected: TicketStatus
) -> None:
    ticket = make_ticket(status=status, assignee_id="ag-2")
    change = actions.transfer(
        ticket, "technical", " needs a tech ", actor_id=AGENT, now=NOW, make_id=Ids()
    )
    moved = change.ticket
    assert change.kind == "ticket.transfer"
    assert moved.department_id == "technical"
    assert moved.assignee_id is None
    assert moved.status is expected
    assert moved.first_response_due == ticket.first_response_due
    assert moved.resolution_due == ticket.resolution_due
    (message,) = change.messages
    assert message.kind is MessageKind.NOTE
    assert message.author_id == AGENT
    assert message.body == "Transferred from billing to technical: needs a tech"
    (audit,) = change.audit
    assert audit.kind == "ticket.transferred"
    assert audit.detail == {"source": "billing", "target": "technical", "note": "needs a tech"}
    assert change.payload["department_id"] == "technical"
    assert change.payload["note"] == "needs a tech"


def test_transfer_to_the_same_department_is_refused() -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.transfer(make_ticket(), "billing", "why", actor_id=AGENT, now=NOW)
    assert raised.value.field == "department"


def test_transfer_needs_a_note() -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.transfer(make_ticket(), "technical", "  ", actor_id=AGENT, now=NOW)
    assert raised.value.field == "note"


# --- request_confirmation --------------------------------------------------------------------


@pytest.mark.parametrize("status", [OPEN, PENDING, AWAITING])
def test_request_confirmation_records_resolution_and_waits(status: TicketStatus) -> None:
    ticket = make_ticket(status=status, links=(ARTICLE,))
    change = actions.request_confirmation(
        ticket,
        " Refund issued ",
        " Did it arrive? ",
        actor_id=AGENT,
        now=NOW,
        links=(ARTICLE, SCRIPT),
        make_id=Ids(),
    )
    assert change.kind == "ticket.request_confirmation"
    assert change.ticket.status is AWAITING
    assert change.ticket.resolution == "Refund issued"
    assert change.ticket.first_response_at == NOW
    assert change.ticket.links == (ARTICLE, SCRIPT)
    (message,) = change.messages
    assert message.kind is MessageKind.REPLY
    assert message.body == "Did it arrive?"
    assert message.author_id == AGENT
    assert change.audit[0].kind == "ticket.confirmation_requested"
    assert change.payload["resolution"] == "Refund issued"
    assert change.payload["body"] == "Did it arrive?"


def test_request_confirmation_keeps_an_earlier_first_response() -> None:
    answered = CREATED + timedelta(minutes=1)
    ticket = make_ticket(first_response_at=answered)
    change = actions.request_confirmation(ticket, "r", "ok?", actor_id=AGENT, now=NOW)
    assert change.ticket.first_response_at == answered


def test_request_confirmation_on_a_new_ticket_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        actions.request_confirmation(make_ticket(status=NEW), "r", "ok?", actor_id=AGENT, now=NOW)


def test_request_confirmation_refuses_unfilled_placeholders() -> None:
    with pytest.raises(MissingPlaceholders) as raised:
        actions.request_confirmation(
            make_ticket(), "r", "Hi {{first_name}}, fixed?", actor_id=AGENT, now=NOW
        )
    assert raised.value.names == ["first_name"]


@pytest.mark.parametrize(
    ("resolution", "body", "field"),
    [(" ", "ok?", "resolution"), ("r", "", "confirmation request")],
)
def test_request_confirmation_needs_text(resolution: str, body: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.request_confirmation(make_ticket(), resolution, body, actor_id=AGENT, now=NOW)
    assert raised.value.field == field


# --- close_confirmed -------------------------------------------------------------------------


@pytest.mark.parametrize("status", [OPEN, PENDING, AWAITING])
def test_close_confirmed_closes_with_evidence(status: TicketStatus) -> None:
    ticket = make_ticket(status=status)
    change = actions.close_confirmed(
        ticket,
        " Refunded ",
        " customer said yes on the phone ",
        actor_id=AGENT,
        now=NOW,
        links=(SCRIPT,),
        csat=5,
        make_id=Ids(),
    )
    closed = change.ticket
    assert change.kind == "ticket.close"
    assert closed.status is CLOSED
    assert closed.closed_at == NOW
    assert closed.resolution == "Refunded"
    assert closed.csat == 5
    assert closed.links == (SCRIPT,)
    (message,) = change.messages
    assert message.kind is MessageKind.SYSTEM
    assert message.body == "Customer confirmed the fix: customer said yes on the phone"
    (audit,) = change.audit
    assert audit.kind == "ticket.closed"
    assert audit.detail == {"message_id": message.id, "csat": 5}
    assert change.payload["evidence"] == "customer said yes on the phone"
    assert change.payload["csat"] == 5


def test_close_confirmed_without_csat_keeps_the_recorded_score() -> None:
    ticket = make_ticket(csat=3)
    change = actions.close_confirmed(ticket, "r", "yes", actor_id=AGENT, now=NOW)
    assert change.ticket.csat == 3
    assert change.payload["csat"] is None


def test_close_confirmed_on_a_new_ticket_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        actions.close_confirmed(make_ticket(status=NEW), "r", "yes", actor_id=AGENT, now=NOW)


@pytest.mark.parametrize("csat", [0, 6, -1])
def test_close_confirmed_rejects_csat_out_of_range(csat: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.close_confirmed(make_ticket(), "r", "yes", actor_id=AGENT, now=NOW, csat=csat)
    assert raised.value.field == "csat"


@pytest.mark.parametrize(
    ("resolution", "evidence", "field"),
    [("", "yes", "resolution"), ("r", " ", "customer confirmation")],
)
def test_close_confirmed_needs_text(resolution: str, evidence: str, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.close_confirmed(make_ticket(), resolution, evidence, actor_id=AGENT, now=NOW)
    assert raised.value.field == field


# --- record_csat -----------------------------------------------------------------------------


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_record_csat_accepts_one_to_five(score: int) -> None:
    ticket = make_ticket(status=CLOSED)
    change = actions.record_csat(ticket, score, actor_id=AGENT, now=NOW, make_id=Ids())
    assert change.kind == "ticket.csat"
    assert change.ticket.csat == score
    assert change.ticket.status is CLOSED
    assert change.audit[0].detail == {"score": score}
    assert change.payload == {"ticket_id": "t-1", "csat": score, "base_version": 3}


@pytest.mark.parametrize("score", [0, 6, 10, -5])
def test_record_csat_rejects_out_of_range(score: int) -> None:
    with pytest.raises(InvalidInput) as raised:
        actions.record_csat(make_ticket(), score, actor_id=AGENT, now=NOW)
    assert raised.value.field == "csat"


# --- link ------------------------------------------------------------------------------------


def test_link_adds_an_article_once() -> None:
    ticket = make_ticket()
    first = actions.link(
        ticket, LinkKind.ARTICLE, "kb-refund", "Initiate Refund", actor_id=AGENT, now=NOW
    )
    assert first.ticket.links == (ARTICLE,)
    assert first.kind == "ticket.link"
    assert first.audit[0].detail == {"kind": "article", "ref_id": "kb-refund"}
    assert first.payload["links"] == [
        {"kind": "article", "ref_id": "kb-refund", "title": "Initiate Refund"}
    ]
    again = actions.link(first.ticket, LinkKind.ARTICLE, "kb-refund", "x", actor_id=AGENT, now=NOW)
    assert again.ticket.links == (ARTICLE,)


def test_link_of_another_kind_with_the_same_id_is_distinct() -> None:
    ticket = make_ticket(links=(ARTICLE,))
    change = actions.link(ticket, LinkKind.SCRIPT, "kb-refund", "s", actor_id=AGENT, now=NOW)
    assert change.ticket.links == (ARTICLE, TicketLink(LinkKind.SCRIPT, "kb-refund", "s"))


# --- customer_display ------------------------------------------------------------------------


def test_customer_display() -> None:
    assert actions.customer_display(Customer("cu", "Ada Lovelace")) == "Ada Lovelace"
    assert actions.customer_display(None) == "unknown customer"


def test_set_priority_keeps_the_sla_due_times_and_audits_the_old_value() -> None:
    ticket = make_ticket()
    change = actions.set_priority(ticket, Priority.LOW, actor_id=AGENT, now=NOW, make_id=Ids())
    assert change.ticket.priority is Priority.LOW
    assert change.ticket.first_response_due == ticket.first_response_due
    assert change.ticket.resolution_due == ticket.resolution_due
    (event,) = change.audit
    assert event.detail == {"priority": "low", "previous": ticket.priority.value}


def test_setting_the_same_priority_again_is_refused() -> None:
    ticket = make_ticket()
    with pytest.raises(InvalidInput, match="already"):
        actions.set_priority(ticket, ticket.priority, actor_id=AGENT, now=NOW)
