"""POST /sync/push for ownership and field kinds, on SQLite and PostgreSQL: assign (claims)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from agentdesk.domain.model import Role
from agentdesk.domain.sync_ops import SyncKind
from agentdesk.server import tables as t
from tests.server.conftest import Server
from tests.server.test_push import op, push

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
