"""The HTTP API on SQLite and PostgreSQL: auth, the role matrix, bad input, claims, the log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from agentdesk.domain.model import Role
from agentdesk.server import changelog
from agentdesk.server import tables as t
from agentdesk.server.app import PUBLIC, ROLE_MATRIX, Limits, create_app
from tests.server.conftest import Server, serving, sqlite_url


def claim(server: Server, headers: dict[str, str]) -> dict[str, Any] | None:
    response = server.client.post("/tickets/claim-next", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["claim"]


# -- service -----------------------------------------------------------------------------------
def test_healthz_and_docs_need_no_token(server: Server) -> None:
    assert server.client.get("/healthz").json() == {"status": "ok"}
    assert server.client.get("/docs").status_code == 200
    paths = server.client.get("/openapi.json").json()["paths"]
    assert "/tickets/claim-next" in paths and "/sync/changes" in paths


def test_every_route_has_a_row_in_the_role_matrix(tmp_path: Any) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'x.db'}")
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                assert (method, route.path) in ROLE_MATRIX or (method, route.path) in PUBLIC


# -- authentication and roles ------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer nope"},
    ],
)
def test_requests_without_a_valid_token_get_401(server: Server, headers: dict[str, str]) -> None:
    response = server.client.get("/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "unauthenticated"


def test_me_describes_the_caller(server: Server) -> None:
    me = server.client.get("/me", headers=server.agent("ann", Role.LEAD)).json()
    assert (me["handle"], me["role"], me["departments"]) == ("ann", "lead", ["general"])


def test_an_agent_cannot_assign_but_a_lead_can(server: Server) -> None:
    agent, lead = server.agent("amy"), server.agent("lee", Role.LEAD)
    ticket = server.new_ticket(agent)
    refused = server.client.post(
        f"/tickets/{ticket['id']}/assign", json={"agent": "amy"}, headers=agent
    )
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    done = server.client.post(
        f"/tickets/{ticket['id']}/assign", json={"agent": "amy"}, headers=lead
    )
    assert done.status_code == 200, done.text
    assert done.json()["claim"]["epoch"] == 1


def test_only_admins_create_agents(server: Server) -> None:
    body = {"handle": "new", "role": "agent"}
    for handle, role in (("amy", Role.AGENT), ("lee", Role.LEAD)):
        response = server.client.post("/agents", json=body, headers=server.agent(handle, role))
        assert response.status_code == 403
    created = server.client.post("/agents", json=body, headers=server.agent("root", Role.ADMIN))
    assert created.status_code == 201
    token = created.json()["token"]
    assert (
        server.client.get("/me", headers={"Authorization": f"Bearer {token}"}).json()["handle"]
        == "new"
    )
    again = server.client.post("/agents", json=body, headers=server.agent("root", Role.ADMIN))
    assert again.status_code == 409


# -- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"{not json", "json"),
        (b"[]", "body"),
        (b'{"subject": 5, "body": "x", "customer_id": "c"}', "subject"),
        (b'{"subject": "s", "body": "x"}', "customer_id"),
        (b'{"subject": "s", "body": "x", "customer_id": "c", "priority": "asap"}', "priority"),
        (b'{"subject": "s", "body": "x", "customer_id": "c", "colour": "red"}', "colour"),
        (b'{"subject": "  ", "body": "x", "customer_id": "c"}', "subject"),
        ("\udcff".encode("utf-8", "surrogatepass"), "json"),
        # PostgreSQL text cannot hold NUL: a 422 naming the field, not a database error.
        (b'{"subject": "s\\u0000", "body": "x", "customer_id": "c"}', "subject"),
    ],
)
def test_malformed_bodies_get_422_with_a_reason(
    server: Server, content: bytes, expected: str
) -> None:
    response = server.client.post(
        "/tickets",
        content=content,
        headers={**server.agent("amy"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert expected in str(response.json()["detail"]).lower()


@pytest.mark.parametrize("epoch", ["1", 0, -3, None, 1.5, 10**30])
def test_bad_epochs_are_4xx(server: Server, epoch: object) -> None:
    response = server.client.post(
        "/tickets/x/renew", json={"epoch": epoch}, headers=server.agent("amy")
    )
    assert 400 <= response.status_code < 500, response.text


@pytest.mark.parametrize(
    "query", ["cursor=-1", "cursor=99999999999999999999", "cursor=abc", "limit=0", "limit=100000"]
)
def test_bad_cursors_are_422(server: Server, query: str) -> None:
    response = server.client.get(f"/sync/changes?{query}", headers=server.agent("amy"))
    assert response.status_code == 422


def test_oversized_bodies_get_413(tmp_path: Any) -> None:
    with serving(sqlite_url(tmp_path), Limits(max_body_bytes=1000)) as server:
        headers = {**server.agent("amy"), "Content-Type": "application/json"}
        big = b'{"subject": "s", "body": "' + b"x" * 2000 + b'", "customer_id": "c"}'
        response = server.client.post("/tickets", content=big, headers=headers)
        assert response.status_code == 413 and response.json()["error"] == "body_too_large"

        def chunks() -> Any:  # no Content-Length: counted as it arrives
            yield big[:600]
            yield big[600:]

        streamed = server.client.post("/tickets", content=chunks(), headers=headers)
        assert streamed.status_code == 413


def test_the_rate_limit_answers_429_with_retry_after(tmp_path: Any) -> None:
    with serving(sqlite_url(tmp_path), Limits(requests_per_second=0.5, burst=3)) as server:
        headers = server.agent("amy")
        statuses = [server.client.get("/me", headers=headers).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = server.client.get("/me", headers=headers)
        assert limited.headers["retry-after"] == "2"
        # Each token has its own bucket.
        assert server.client.get("/me", headers=server.agent("bob")).status_code == 200
        # Wrong tokens share their address's bucket: guessing is limited as well.
        guesses = [
            server.client.get("/me", headers={"Authorization": f"Bearer guess{n}"}).status_code
            for n in range(4)
        ]
        assert guesses == [401, 401, 401, 429]


# -- claims ------------------------------------------------------------------------------------
def test_claim_next_takes_the_most_urgent_ticket_of_the_agents_departments(server: Server) -> None:
    billing = server.agent("bea", departments=("billing",))
    server.new_ticket(billing, subject="low", priority="low", department_id="billing")
    urgent = server.new_ticket(
        billing, subject="urgent", priority="urgent", department_id="billing"
    )
    server.new_ticket(billing, subject="elsewhere", priority="urgent", department_id="tech")
    taken = claim(server, billing)
    assert taken is not None
    assert taken["ticket"]["id"] == urgent["id"]
    assert taken["ticket"]["assignee_id"] is not None and taken["epoch"] == 1
    assert claim(server, billing)["ticket"]["subject"] == "low"  # type: ignore[index]
    assert claim(server, billing) is None  # "tech" is not bea's


def test_renew_and_release_need_the_current_epoch(server: Server) -> None:
    amy = server.agent("amy")
    server.new_ticket(amy)
    taken = claim(server, amy)
    assert taken is not None
    ticket_id, epoch = taken["ticket"]["id"], taken["epoch"]
    server.clock.advance(timedelta(minutes=4))
    renewed = server.client.post(f"/tickets/{ticket_id}/renew", json={"epoch": epoch}, headers=amy)
    assert renewed.status_code == 200
    wrong = server.client.post(
        f"/tickets/{ticket_id}/renew", json={"epoch": epoch + 1}, headers=amy
    )
    assert wrong.status_code == 409 and wrong.json()["error"] == "claim_lost"
    other = server.client.post(
        f"/tickets/{ticket_id}/release", json={"epoch": epoch}, headers=server.agent("bob")
    )
    assert other.status_code == 409
    released = server.client.post(
        f"/tickets/{ticket_id}/release", json={"epoch": epoch}, headers=amy
    )
    assert released.status_code == 200
    again = claim(server, server.agent("bob"))
    assert again is not None and again["ticket"]["id"] == ticket_id and again["epoch"] == epoch + 1
    missing = server.client.post("/tickets/none/renew", json={"epoch": 1}, headers=amy)
    assert missing.status_code == 404


def test_an_expired_lease_lets_another_agent_claim_and_fences_the_old_holder(
    server: Server,
) -> None:
    amy, bob = server.agent("amy"), server.agent("bob")
    server.new_ticket(amy)
    first = claim(server, amy)
    assert first is not None
    assert claim(server, bob) is None  # held
    server.clock.advance(timedelta(minutes=5, seconds=1))
    second = claim(server, bob)
    assert second is not None and second["ticket"]["id"] == first["ticket"]["id"]
    assert second["epoch"] == first["epoch"] + 1
    stale = server.client.post(
        f"/tickets/{first['ticket']['id']}/renew", json={"epoch": first["epoch"]}, headers=amy
    )
    assert stale.status_code == 409 and stale.json()["error"] == "claim_lost"


def test_assign_fences_the_previous_owner(server: Server) -> None:
    amy, lead = server.agent("amy"), server.agent("lee", Role.LEAD)
    server.agent("bob")
    server.new_ticket(amy)
    taken = claim(server, amy)
    assert taken is not None
    ticket_id = taken["ticket"]["id"]
    moved = server.client.post(f"/tickets/{ticket_id}/assign", json={"agent": "bob"}, headers=lead)
    assert moved.json()["claim"]["epoch"] == taken["epoch"] + 1
    lost = server.client.post(
        f"/tickets/{ticket_id}/renew", json={"epoch": taken["epoch"]}, headers=amy
    )
    assert lost.status_code == 409
    nobody = server.client.post(f"/tickets/{ticket_id}/assign", json={"agent": "zed"}, headers=lead)
    assert nobody.status_code == 404
    gone = server.client.post("/tickets/none/assign", json={"agent": "bob"}, headers=lead)
    assert gone.status_code == 404


# -- the change log ----------------------------------------------------------------------------
def test_changes_page_through_the_log_in_order(server: Server) -> None:
    amy = server.agent("amy")
    for number in range(5):
        server.new_ticket(amy, subject=f"ticket {number}")
    claim(server, amy)
    seen: list[dict[str, Any]] = []
    page_ends: list[int] = []
    lineages: set[str] = set()
    cursor = 0
    while True:
        page = server.client.get(f"/sync/changes?cursor={cursor}&limit=3", headers=amy).json()
        seen += page["changes"]
        cursor = page["next_cursor"]
        page_ends.append(cursor)
        lineages.add(page["server_epoch"])
        if not page["more"]:
            break
    # Each ticket logs its state and its first message in one transaction; the claim logs the
    # new state. A page of 3 would split a ticket's pair, so it runs on to the pair's end.
    assert [change["server_seq"] for change in seen] == list(range(1, 12))
    assert page_ends == [4, 8, 11]
    assert len(lineages) == 1 and len(lineages.pop()) >= 16
    assert [change["kind"] for change in seen[:2]] == ["ticket_state", "event"]
    assert seen[-1]["payload"]["claim"]["epoch"] == 1
    assert page["up_to_seq"] == 11
    with server.engine.connect() as connection:
        assert connection.execute(select(t.log_head.c.seq)).scalar_one() == 11


def test_a_served_page_carries_the_logged_records_unchanged(server: Server) -> None:
    # The endpoint splices the stored JSON text in (`changelog.page_json`): what a client
    # decodes must be what the log holds, quotes, backslashes and non-ASCII text included.
    amy = server.agent("amy")
    server.new_ticket(amy, subject='A "quoted" \\ subject: naïve café ✓', body="line\nnext\u2028")
    server.new_ticket(amy, subject="second")
    answer = server.client.get("/sync/changes?cursor=0&limit=1000", headers=amy)
    assert answer.headers["content-type"] == "application/json"
    with server.engine.connect() as connection:
        up_to, lineage = changelog.head(connection)
        logged = changelog.page(connection, 0, 1000, up_to=up_to)
    body = answer.json()
    assert body["changes"] == logged and len(logged) >= 4
    assert body["changes"][0]["payload"]["subject"] == 'A "quoted" \\ subject: naïve café ✓'
    assert (body["next_cursor"], body["up_to_seq"], body["more"]) == (up_to, up_to, False)
    assert body["server_epoch"] == lineage
    empty = server.client.get(f"/sync/changes?cursor={up_to}", headers=amy).json()
    assert (empty["changes"], empty["next_cursor"], empty["more"]) == ([], up_to, False)


def test_a_database_that_went_away_is_503_not_500() -> None:
    app = create_app("postgresql://nobody@127.0.0.1:1/none")
    with TestClient(app) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["error"] == "database_unavailable"
        me = client.get("/me", headers={"Authorization": "Bearer whatever"})
        assert me.status_code == 503 and me.headers["retry-after"] == "1"
    app.state.engine.dispose()


def test_two_instances_share_one_database(server: Server, database_url: str) -> None:
    amy = server.agent("amy")
    server.new_ticket(amy)
    taken = claim(server, amy)
    assert taken is not None
    with serving(database_url) as other:
        other.clock.now = server.clock.now
        # The second instance sees the claim made through the first, and fences it the same way.
        assert claim(other, amy) is None
        stale = other.client.post(
            f"/tickets/{taken['ticket']['id']}/renew",
            json={"epoch": taken["epoch"] + 1},
            headers=amy,
        )
        assert stale.status_code == 409
        fresh = other.client.post(
            f"/tickets/{taken['ticket']['id']}/renew", json={"epoch": taken["epoch"]}, headers=amy
        )
        assert fresh.status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/agents", {"handle": "n\x00l", "role": "agent"}, "handle"),
        ("/agents", {"handle": "new", "departments": ["gen\x00eral"]}, "departments"),
        ("/tickets/t-1/assign", {"agent": "a\x00my"}, "agent"),
    ],
)
def test_nul_characters_in_admin_and_lead_bodies_are_422(
    server: Server, path: str, body: dict[str, Any], field: str
) -> None:
    response = server.client.post(path, json=body, headers=server.agent("root", Role.ADMIN))
    assert response.status_code == 422, response.text
    assert field in str(response.json()["detail"])
