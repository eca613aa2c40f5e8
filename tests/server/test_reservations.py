"""Reservations on SQLite and PostgreSQL: reserve, renew, lazy expiry, revoke and the fence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from agentdesk.domain.lifecycle import Action
from agentdesk.domain.model import Priority, Role
from agentdesk.domain.sync_ops import SyncKind
from agentdesk.server import claims, reservations
from agentdesk.server.accounts import add_agent
from agentdesk.server.database import create_server_engine
from tests.server.conftest import Server
from tests.server.test_concurrency import THREADS, new_tickets, run_threads
from tests.server.test_push import op, reply
from tests.server.test_push_kinds import claim_row, me, pulled, push_as, result, ticket_row

HOUR = 3600
HOUR_DELTA = timedelta(hours=1)


def reserve(server: Server, headers: dict[str, str], count: int, **extra: Any) -> list[Any]:
    response = server.client.post("/reservations", json={"count": count, **extra}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["claims"])


def claim_next(server: Server, headers: dict[str, str]) -> str | None:
    response = server.client.post("/tickets/claim-next", headers=headers)
    assert response.status_code == 200, response.text
    claim = response.json()["claim"]
    return None if claim is None else str(claim["ticket"]["id"])


def test_reservations_follow_queue_order_and_keep_others_out(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    low = str(server.new_ticket(amy, priority="low")["id"])
    urgent = str(server.new_ticket(amy, priority=Priority.URGENT.value)["id"])
    normal = str(server.new_ticket(amy)["id"])
    held = reserve(server, amy, 2, seconds=8 * HOUR)
    assert [h["ticket_id"] for h in held] == sorted([urgent, normal])
    assert {(h["kind"], h["epoch"], h["taken"]) for h in held} == {("reservation", 1, False)}
    # Reserved tickets stay unassigned, yet nobody else can take them.
    assert ticket_row(server, urgent).assignee_id is None
    assert claim_next(server, bob) == low
    assert claim_next(server, bob) is None
    assert [h["kind"] for h in reserve(server, bob, 3)] == ["online"]  # the one bob claimed


def test_topping_up_twice_reserves_no_more_than_asked(server: Server) -> None:
    amy = server.agent("amy")
    for _ in range(4):
        server.new_ticket(amy)
    first = reserve(server, amy, 2)
    again = reserve(server, amy, 2)
    assert [h["ticket_id"] for h in again] == [h["ticket_id"] for h in first]
    assert len(reserve(server, amy, 3)) == 3


def test_a_renewed_reservation_outlives_its_first_lease_and_a_lapsed_one_is_free(
    server: Server,
) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    reserve(server, amy, 1, seconds=2 * HOUR)
    server.clock.advance(timedelta(hours=1, minutes=30))
    renewed = reserve(server, amy, 1, seconds=2 * HOUR)
    assert [h["ticket_id"] for h in renewed] == [ticket_id]
    server.clock.advance(timedelta(hours=1))
    assert claim_next(server, bob) is None  # renewed: still amy's
    server.clock.advance(timedelta(hours=1, minutes=1))
    assert claim_next(server, bob) == ticket_id  # lapsed: free again, lazily
    assert claim_row(server, ticket_id) == (me(server, bob), 2)
    assert reserve(server, amy, 1) == []
    # Taken over by claim-next, it is bob's online claim, not a reservation of his.
    assert [(h["ticket_id"], h["kind"]) for h in reserve(server, bob, 1)] == [(ticket_id, "online")]


def test_a_pulled_reservation_keeps_its_epoch_and_its_ops_pass_the_fence(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = str(server.new_ticket(amy)["id"])
    [held] = reserve(server, amy, 1)
    # Offline: the agent pulled it, replied and asked the customer to confirm.
    taken = result(server, amy, {**pulled(1, ticket_id), "claim_epoch": held["epoch"]})
    assert (taken["outcome"], taken["claim_epoch"]) == ("applied", held["epoch"])
    version = ticket_row(server, ticket_id).version
    ask = {"resolution": "Card unblocked", "body": "Does it work now?"}
    confirm = op(2, SyncKind.TRANSITION, ticket_id, ask, action=Action.REQUEST_CONFIRMATION)
    done = result(server, amy, {**confirm, "base_version": version, "claim_epoch": held["epoch"]})
    assert done["outcome"] == "applied", done
    [after] = reserve(server, amy, 0)
    assert (after["ticket_id"], after["epoch"], after["taken"]) == (ticket_id, held["epoch"], True)


def test_a_revoked_reservations_old_epoch_is_claim_lost_but_its_reply_is_kept(
    server: Server,
) -> None:
    amy, lead = server.agent("amy"), server.agent("lee", Role.LEAD)
    ticket_id = str(server.new_ticket(amy)["id"])
    [held] = reserve(server, amy, 1)
    refused = server.client.post(f"/tickets/{ticket_id}/revoke", headers=amy)
    assert refused.status_code == 403
    revoked = server.client.post(f"/tickets/{ticket_id}/revoke", headers=lead)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["epoch"] == held["epoch"] + 1
    assert claim_row(server, ticket_id) == (None, held["epoch"] + 1)
    # Amy, offline meanwhile, took it, replied and asked for confirmation.
    taken = result(server, amy, {**pulled(1, ticket_id), "claim_epoch": held["epoch"]})
    assert (taken["outcome"], taken["reason"]) == ("rejected", "claim_lost")
    assert result(server, amy, reply(2, ticket_id))["outcome"] == "applied"
    ask = {"resolution": "Fixed", "body": "Does it work now?"}
    confirm = op(3, SyncKind.TRANSITION, ticket_id, ask, action=Action.REQUEST_CONFIRMATION)
    stale = result(server, amy, {**confirm, "claim_epoch": held["epoch"]})
    assert (stale["outcome"], stale["reason"]) == ("rejected", "claim_lost")
    # Back in the queue for anyone.
    assert claim_next(server, server.agent("bob")) == ticket_id


def test_revoking_a_ticket_nobody_holds_is_not_found(server: Server) -> None:
    lead = server.agent("lee", Role.LEAD)
    ticket_id = str(server.new_ticket(lead)["id"])
    response = server.client.post(f"/tickets/{ticket_id}/revoke", headers=lead)
    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_refresh_renews_online_claims_too(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    ticket_id = str(server.new_ticket(amy)["id"])
    result(server, amy, pulled(1, ticket_id))  # an online claim, five minutes
    for _ in range(3):
        server.clock.advance(timedelta(minutes=4))
        [held] = reserve(server, amy, 0)
        assert (held["ticket_id"], held["kind"], held["taken"]) == (ticket_id, "online", True)
    assert claim_next(server, bob) is None


def test_out_of_range_reservations_are_refused_clearly(server: Server) -> None:
    amy = server.agent("amy")
    for body in ({"count": 21}, {"count": -1}, {"count": 1, "seconds": 25 * HOUR}, {}):
        response = server.client.post("/reservations", json=body, headers=amy)
        assert response.status_code == 422, body
        assert response.json()["error"] == "invalid_request"


def test_agents_are_listed_with_their_server_ids(server: Server) -> None:
    amy = server.agent("amy")
    server.agent("bob")
    listed = server.client.get("/agents", headers=amy).json()["agents"]
    assert [a["handle"] for a in listed] == ["amy", "bob"]
    assert listed[0]["id"] == me(server, amy)


def test_a_reservation_someone_else_answered_is_dropped_and_replaced(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    first = str(server.new_ticket(amy)["id"])
    second = str(server.new_ticket(amy)["id"])
    [held] = reserve(server, amy, 1)
    assert held["ticket_id"] == first
    # Bob replies to it (a reply assigns its author): Amy can no longer pull it.
    answered = push_as(server, bob, "client-b", reply(1, first))
    assert answered["outcome"] == "applied"
    assert [h["ticket_id"] for h in reserve(server, amy, 1)] == [second]
    assert claim_row(server, first)[0] is None


def test_concurrent_reservers_and_claimers_never_share_a_ticket(database_url: str) -> None:
    engine = create_server_engine(database_url, pool_size=THREADS)
    new_tickets(engine, 60)
    with engine.begin() as connection:
        agents = [add_agent(connection, f"a{i}", role=Role.AGENT)[0] for i in range(THREADS)]
    got: list[list[str]] = [[] for _ in range(THREADS)]

    def worker(index: int) -> None:
        agent = agents[index].id
        for _ in range(6):
            with engine.begin() as connection:
                now = datetime.now(UTC)
                if index % 2:
                    held = reservations.refresh(
                        connection, agent, ("general",), count=5, duration=HOUR_DELTA, now=now
                    )
                    got[index] = [h.ticket_id for h in held]
                else:
                    claim = claims.claim_next(connection, agent, ("general",), now=now)
                    if claim is not None:
                        got[index].append(claim.ticket.id)

    run_threads(THREADS, worker)
    engine.dispose()
    everyone = [ticket for mine in got for ticket in mine]
    assert len(everyone) == len(set(everyone)) == (THREADS // 2) * (6 + 5)


def test_a_revoked_reservation_is_not_reserved_again_by_its_old_holder(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    lead = server.agent("lee", Role.LEAD)
    ticket_id = str(server.new_ticket(amy)["id"])
    reserve(server, amy, 1)
    assert server.client.post(f"/tickets/{ticket_id}/revoke", headers=lead).status_code == 200
    assert reserve(server, amy, 1) == []
    assert [h["ticket_id"] for h in reserve(server, bob, 1)] == [ticket_id]


def test_asking_for_fewer_gives_the_least_urgent_back_to_the_queue(server: Server) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    low = str(server.new_ticket(amy, priority="low")["id"])
    urgent = str(server.new_ticket(amy, priority=Priority.URGENT.value)["id"])
    normal = str(server.new_ticket(amy)["id"])
    assert len(reserve(server, amy, 3)) == 3
    assert [h["ticket_id"] for h in reserve(server, amy, 1)] == [urgent]
    assert claim_next(server, bob) == normal
    assert claim_next(server, bob) == low
    assert claim_row(server, low) == (
        me(server, bob),
        2,
    )  # released, not revoked: epoch + 1 on take
