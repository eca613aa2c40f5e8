"""POST /sync/push on SQLite and PostgreSQL for assign (claims) and set_field (LWW) ops."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from agentdesk.domain.hlc import Hlc, epoch_ms
from agentdesk.domain.ids import new_id
from agentdesk.domain.lifecycle import Action
from agentdesk.domain.model import Role
from agentdesk.domain.sync_ops import SyncKind
from agentdesk.server import tables as t
from tests.server.conftest import Server
from tests.server.test_push import op, push, reply

LOCAL_AMY = "amy-local-id"


def me(server: Server, headers: dict[str, str]) -> str:
    return str(server.client.get("/me", headers=headers).json()["id"])


def assign(seq: int, ticket_id: str, agent_id: str, actor_id: str) -> dict[str, Any]:
    return op(seq, SyncKind.ASSIGN, ticket_id, {"agent_id": agent_id, "actor_id": actor_id})


def pulled(seq: int, ticket_id: str) -> dict[str, Any]:
    """What a local pull-next logs: the local agent assigned the ticket to themselves."""
    return assign(seq, ticket_id, LOCAL_AMY, LOCAL_AMY)


def result(server: Server, headers: dict[str, str], raw: dict[str, Any]) -> dict[str, Any]:
    response = push(server, headers, [raw])
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


def claim_row(server: Server, ticket_id: str) -> tuple[str | None, int]:
    with server.engine.connect() as connection:
        row = connection.execute(
            select(t.ticket_claims.c.owner_agent_id, t.ticket_claims.c.epoch).where(
                t.ticket_claims.c.ticket_id == ticket_id
            )
        ).one()
    return row.owner_agent_id, int(row.epoch)


def test_a_pulled_ticket_is_claimed_for_the_pusher_with_its_epoch(server: Server) -> None:
    amy = server.agent("amy")
    ticket = server.new_ticket(amy)
    done = result(server, amy, pulled(1, str(ticket["id"])))
    assert (done["outcome"], done["claim_epoch"]) == ("applied", 1), done
    assert claim_row(server, str(ticket["id"])) == (me(server, amy), 1)
    state = server.client.get("/sync/changes", headers=amy).json()["changes"][-1]["payload"]
    assert (state["assignee_id"], state["status"]) == (me(server, amy), "open")
    assert state["claim"] == {"owner_agent_id": me(server, amy), "epoch": 1}
    # Taken: claim-next no longer hands it out.
    bob = server.agent("bob")
    assert server.client.post("/tickets/claim-next", headers=bob).json() == {"claim": None}


def test_another_agents_live_claim_makes_the_assign_claim_lost(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    claim = server.client.post("/tickets/claim-next", headers=bob).json()["claim"]
    assert claim["ticket"]["id"] == ticket_id
    lost = result(server, amy, pulled(1, ticket_id))
    assert (lost["outcome"], lost["reason"]) == ("rejected", "claim_lost")
    assert claim_row(server, ticket_id) == (me(server, bob), 1)
    # Once Bob's lease has run out the ticket is free again, and Amy's next pull takes it.
    server.clock.advance(timedelta(minutes=6))
    taken = result(server, amy, pulled(2, ticket_id))
    assert (taken["outcome"], taken["claim_epoch"]) == ("applied", 2), taken
    assert claim_row(server, ticket_id) == (me(server, amy), 2)


def test_assigning_someone_else_needs_a_lead(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    lead = server.agent("lena", role=Role.LEAD)
    ticket_id = str(server.new_ticket(amy)["id"])
    refused = result(server, amy, assign(1, ticket_id, me(server, bob), LOCAL_AMY))
    assert (refused["outcome"], refused["reason"]) == ("rejected", "not_authorised")
    handed = push_as(server, lead, "client-lead", assign(1, ticket_id, me(server, bob), "x"))
    assert (handed["outcome"], handed["claim_epoch"]) == ("applied", 1), handed
    assert claim_row(server, ticket_id) == (me(server, bob), 1)
    unknown = push_as(server, lead, "client-lead", assign(2, ticket_id, "nobody", "x"))
    assert (unknown["outcome"], unknown["reason"]) == ("rejected", "not_found")


def test_a_redelivered_assign_keeps_its_epoch_and_takes_no_second_claim(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    raw = pulled(1, ticket_id)
    first = result(server, amy, raw)
    assert result(server, amy, raw) == first
    assert claim_row(server, ticket_id) == (me(server, amy), 1)


def push_as(
    server: Server, headers: dict[str, str], client_id: str, raw: dict[str, Any]
) -> dict[str, Any]:
    body = {"client_id": client_id, "ops": [{**raw, "client_id": client_id}]}
    response = server.client.post("/sync/push", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json()["results"][0])


# -- set_field: last writer wins by (hlc, site) --------------------------------------------------
BASE_HLC = 1_700_000_000_000


def stamped(raw: dict[str, Any], ms: int, site: str) -> dict[str, Any]:
    return {**raw, "hlc": Hlc(BASE_HLC + ms).to_str(), "site_id": site}


def set_field(seq: int, ticket_id: str, ms: int, site: str, **fields: Any) -> dict[str, Any]:
    return stamped(op(seq, SyncKind.SET_FIELD, ticket_id, fields), ms, site)


def ticket_row(server: Server, ticket_id: str) -> Any:
    with server.engine.connect() as connection:
        return connection.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).one()


def audit_kinds(server: Server, ticket_id: str) -> list[str]:
    with server.engine.connect() as connection:
        rows = connection.execute(
            select(t.audit_events.c.kind).where(t.audit_events.c.ticket_id == ticket_id)
        )
        return [str(kind) for kind in rows.scalars()]


def test_an_older_field_write_arriving_later_loses_and_is_audited(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    newer = result(server, amy, set_field(1, ticket_id, 10, "site-a", priority="urgent"))
    assert newer["outcome"] == "applied", newer
    older = push_as(server, bob, "client-b", set_field(1, ticket_id, 5, "site-b", priority="low"))
    assert (older["outcome"], older["lost_fields"]) == ("applied_lost_lww", ["priority"])
    row = ticket_row(server, ticket_id)
    assert row.priority == "urgent"
    assert row.field_clocks == {"priority": [Hlc(BASE_HLC + 10).to_str(), "site-a"]}
    assert "ticket.applied_lost_lww" in audit_kinds(server, ticket_id)
    # Equal clocks: the site id breaks the tie, the same way on every replica.
    tie = push_as(server, bob, "client-b", set_field(2, ticket_id, 10, "site-b", priority="low"))
    assert tie["outcome"] == "applied" and ticket_row(server, ticket_id).priority == "low"


def test_one_op_may_win_one_field_and_lose_another(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    result(server, amy, set_field(1, ticket_id, 10, "site-a", intent="refund"))
    # A reclassify sends intent, priority and the (unchanged) department together.
    mixed = set_field(
        1, ticket_id, 5, "site-b", intent="card_declined", priority="high", department_id="general"
    )
    answer = push_as(server, bob, "client-b", mixed)
    assert (answer["outcome"], answer["lost_fields"]) == ("applied", ["intent"]), answer
    row = ticket_row(server, ticket_id)
    assert (row.intent, row.priority) == ("refund", "high")


def test_bad_values_and_closed_classification_are_rejected(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    bad = result(server, amy, set_field(1, ticket_id, 1, "site-a", csat=9))
    assert (bad["outcome"], bad["reason"]) == ("rejected", "invalid")
    assert "csat" in bad["detail"]
    with server.engine.begin() as connection:
        connection.execute(
            update(t.tickets).where(t.tickets.c.id == ticket_id).values(status="closed")
        )
    closed = result(server, amy, set_field(2, ticket_id, 2, "site-a", intent="refund"))
    assert (closed["outcome"], closed["reason"]) == ("rejected", "ticket_closed")
    csat = result(server, amy, set_field(3, ticket_id, 3, "site-a", csat=5))
    assert csat["outcome"] == "applied" and ticket_row(server, ticket_id).csat == 5


def test_a_clock_far_ahead_is_clamped_and_audited(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    year_ahead = epoch_ms(server.clock.now + timedelta(days=365)) - BASE_HLC
    done = result(server, amy, set_field(1, ticket_id, year_ahead, "site-a", subject="Renamed"))
    assert done["outcome"] == "applied"
    used = Hlc.from_str(ticket_row(server, ticket_id).field_clocks["subject"][0])
    assert used.physical_ms == epoch_ms(server.clock.now + timedelta(minutes=5))
    assert "clock_adjusted" in audit_kinds(server, ticket_id)


# -- transfer and link_add -----------------------------------------------------------------------
def transfer(seq: int, ticket_id: str, department: str, ms: int, site: str) -> dict[str, Any]:
    payload = {"department_id": department, "note": "Billing question", "message_id": new_id()}
    return stamped(op(seq, SyncKind.TRANSFER, ticket_id, payload), ms, site)


def test_a_transfer_moves_the_ticket_releases_the_claim_and_leaves_a_note(server: Server) -> None:
    amy = server.agent("amy")
    bella = server.agent("bella", departments=("billing",))
    ticket_id = str(server.new_ticket(amy)["id"])
    assert result(server, amy, pulled(1, ticket_id))["claim_epoch"] == 1
    moved_op = transfer(2, ticket_id, "billing", 10, "site-a")
    moved = result(server, amy, moved_op)
    assert (moved["outcome"], moved["claim_epoch"]) == ("applied", 2), moved
    assert claim_row(server, ticket_id) == (None, 2)
    row = ticket_row(server, ticket_id)
    assert (row.department_id, row.assignee_id) == ("billing", None)
    with server.engine.connect() as connection:
        note = connection.execute(
            select(t.messages).where(t.messages.c.id == moved_op["payload"]["message_id"])
        ).one()
    assert note.kind == "note" and "to billing" in note.body
    assert "ticket.transferred" in audit_kinds(server, ticket_id)
    # An older offline transfer elsewhere loses to the move that already happened.
    late = result(server, amy, transfer(3, ticket_id, "technical", 5, "site-z"))
    assert (late["outcome"], late["lost_fields"]) == ("applied_lost_lww", ["department_id"])
    assert ticket_row(server, ticket_id).department_id == "billing"
    # Back in the queue, for the new department.
    claim = server.client.post("/tickets/claim-next", headers=bella).json()["claim"]
    assert (claim["ticket"]["id"], claim["epoch"]) == (ticket_id, 3)


def test_an_agent_cannot_transfer_a_ticket_someone_else_holds(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    server.client.post("/tickets/claim-next", headers=bob)
    refused = result(server, amy, transfer(1, ticket_id, "billing", 10, "site-a"))
    assert (refused["outcome"], refused["reason"]) == ("rejected", "claim_lost")
    assert ticket_row(server, ticket_id).department_id == "general"


def test_links_are_added_once(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    links = {"links": [{"kind": "article", "ref_id": "kb-7", "title": "Card limits"}]}
    for seq in (1, 2):
        assert result(server, amy, op(seq, SyncKind.LINK_ADD, ticket_id, links))["outcome"] == (
            "applied"
        )
    assert ticket_row(server, ticket_id).links == [
        {"kind": "article", "ref_id": "kb-7", "title": "Card limits"}
    ]
    assert audit_kinds(server, ticket_id).count("ticket.linked") == 1
    bad = result(server, amy, op(3, SyncKind.LINK_ADD, ticket_id, {"links": [{"kind": "x"}]}))
    assert (bad["outcome"], bad["reason"]) == ("rejected", "invalid")


# -- replies to closed tickets -------------------------------------------------------------------
def test_a_reply_to_a_closed_ticket_starts_a_linked_follow_up(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    with server.engine.begin() as connection:
        connection.execute(
            update(t.tickets).where(t.tickets.c.id == ticket_id).values(status="closed")
        )
    late = reply(1, ticket_id)
    answer = result(server, amy, late)
    assert answer["outcome"] == "applied", answer
    follow_up = ticket_row(server, answer["follow_up_ticket_id"])
    assert (follow_up.follow_up_of, follow_up.status) == (ticket_id, "open")
    assert follow_up.subject == "Re: Card declined"
    with server.engine.connect() as connection:
        messages = connection.execute(
            select(t.messages.c.id, t.messages.c.kind, t.messages.c.ticket_id).where(
                t.messages.c.ticket_id.in_([ticket_id, follow_up.id])
            )
        ).all()
    # It opens with a system message (the customer wrote nothing new), then Amy's reply.
    assert sorted(kind for _id, kind, owner in messages if owner == follow_up.id) == [
        "reply",
        "system",
    ]
    # The reply keeps the client's message id; the closed ticket is left as it was.
    assert (late["payload"]["message_id"], "reply", follow_up.id) in [tuple(m) for m in messages]
    assert ticket_row(server, ticket_id).status == "closed"


def test_the_claims_owner_passes_the_fence_without_an_epoch_but_not_with_a_stale_one(
    server: Server,
) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    result(server, amy, pulled(1, ticket_id))
    version = ticket_row(server, ticket_id).version
    ask = {"resolution": "Card unblocked", "body": "Does it work now?"}

    def confirm(seq: int, epoch: int | None) -> dict[str, Any]:
        raw = op(seq, SyncKind.TRANSITION, ticket_id, ask, action=Action.REQUEST_CONFIRMATION)
        return {**raw, "base_version": version, "claim_epoch": epoch}

    stale = result(server, amy, confirm(2, 7))
    assert (stale["outcome"], stale["reason"]) == ("rejected", "claim_lost")
    other = push_as(server, bob, "client-b", confirm(1, None))
    assert (other["outcome"], other["reason"]) == ("rejected", "claim_lost")
    assert result(server, amy, confirm(3, None))["outcome"] == "applied"


def test_later_replies_to_the_same_closed_ticket_join_its_open_follow_up(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    with server.engine.begin() as connection:
        connection.execute(
            update(t.tickets).where(t.tickets.c.id == ticket_id).values(status="closed")
        )
    first, second = (
        result(server, amy, reply(1, ticket_id)),
        result(server, amy, reply(2, ticket_id)),
    )
    assert first["follow_up_ticket_id"] == second["follow_up_ticket_id"]
    with server.engine.connect() as connection:
        follow_ups = connection.execute(
            select(t.tickets.c.id).where(t.tickets.c.follow_up_of == ticket_id)
        ).all()
    assert len(follow_ups) == 1
