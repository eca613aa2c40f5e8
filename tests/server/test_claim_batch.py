"""claim-next for a batch of requests in one transaction (on PostgreSQL, one database function).

The batch path is what the HTTP route runs; these tests hold it to what the one-by-one Python
path guarantees: one owner per ticket, most urgent first, a new epoch per claim, lapsed claims
taken back, and a gap-free log whose payloads render tickets exactly as `ticket_json` does.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Priority, Role
from agentdesk.server import changelog, claims
from agentdesk.server import tables as t
from agentdesk.server.accounts import Account, add_agent
from agentdesk.server.database import create_server_engine, reading
from agentdesk.server.tickets import create_ticket, ticket_from_row, ticket_json
from tests.server.test_concurrency import THREADS, owners_and_assignees, run_threads

NOW = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)


def agents(engine: Engine, count: int, departments: tuple[str, ...] = ("general",)) -> list[Any]:
    with engine.begin() as connection:
        return [
            add_agent(connection, f"agent{index}", role=Role.AGENT, departments=departments)[0]
            for index in range(count)
        ]


def tickets(engine: Engine, priorities: list[Priority], department: str = "general") -> list[str]:
    ids = []
    with engine.begin() as connection:
        for number, priority in enumerate(priorities):
            ticket = create_ticket(
                connection,
                NewTicket(
                    subject=f"t{number}",
                    body="help",
                    customer_id="c1",
                    priority=priority,
                    department_id=department,
                ),
                customer_name=None,
                now=NOW,
            )
            ids.append(ticket.id)
    return ids


def claim_batch(
    engine: Engine, accounts: list[Account], *, now: datetime = NOW
) -> list[dict[str, Any] | None]:
    requests = [claims.ClaimRequest(account.id, account.departments) for account in accounts]
    with engine.begin() as connection:
        documents = claims.claim_documents(connection, requests, now=now)
    return [json.loads(document)["claim"] for document in documents]


def logged_claims(engine: Engine) -> list[dict[str, Any]]:
    with reading(engine) as connection:
        up_to, _ = changelog.head(connection)
        records = changelog.page(connection, 0, 10_000, up_to=up_to)
    assert [record["server_seq"] for record in records] == list(range(1, len(records) + 1))
    return [
        record["payload"]
        for record in records
        if record["kind"] == "ticket_state" and record["payload"].get("claim")
    ]


def test_a_batch_gives_each_request_its_own_ticket_most_urgent_first(database_url: str) -> None:
    engine = create_server_engine(database_url)
    ids = tickets(engine, [Priority.LOW, Priority.URGENT, Priority.NORMAL, Priority.HIGH])
    amy, bob, cy = agents(engine, 3)
    # The same agent twice in one batch is two requests: two tickets.
    answers = claim_batch(engine, [amy, bob, amy, cy])
    assert all(answer is not None for answer in answers)
    taken = [answer["ticket"]["id"] for answer in answers if answer]
    assert taken == [ids[1], ids[3], ids[2], ids[0]]
    assert [answer["owner_agent_id"] for answer in answers if answer] == [
        amy.id,
        bob.id,
        amy.id,
        cy.id,
    ]
    assert all(answer["epoch"] == 1 for answer in answers if answer)
    assert all(
        answer["lease_expires_at"] == (NOW + claims.DEFAULT_LEASE).isoformat()
        for answer in answers
        if answer
    )
    # Nothing left: the next batch answers null for everyone.
    assert claim_batch(engine, [bob, cy]) == [None, None]
    logged = logged_claims(engine)
    assert [(p["id"], p["claim"]["owner_agent_id"]) for p in logged] == [
        (answer["ticket"]["id"], answer["owner_agent_id"]) for answer in answers if answer
    ]
    engine.dispose()


def test_a_request_with_nothing_free_gets_null_and_the_others_still_claim(
    database_url: str,
) -> None:
    engine = create_server_engine(database_url)
    tickets(engine, [Priority.NORMAL])
    [amy] = agents(engine, 1)
    with engine.begin() as connection:
        billing = add_agent(connection, "bill", role=Role.AGENT, departments=("billing",))[0]
    answers = claim_batch(engine, [billing, amy])
    assert answers[0] is None and answers[1] is not None
    engine.dispose()


def test_the_logged_state_and_the_answer_render_the_ticket_as_ticket_json(
    database_url: str,
) -> None:
    engine = create_server_engine(database_url)
    [ticket_id] = tickets(engine, [Priority.HIGH])
    with engine.begin() as connection:
        # Every column set, timestamps with and without a fraction, links with odd text.
        connection.execute(
            update(t.tickets)
            .where(t.tickets.c.id == ticket_id)
            .values(
                subject='Quotes " and \\ and ünïcödé',
                intent="billing.refund",
                intent_confidence=0.8125,
                first_response_at=NOW + timedelta(minutes=3),
                first_response_due=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
                sla_paused_at=datetime(2026, 11, 23, 9, 30, 0, 500, tzinfo=UTC),
                required_skill="refunds",
                resolution="partly",
                csat=4,
                closed_at=datetime(2026, 11, 24, 0, 0, 1, tzinfo=UTC),
                follow_up_of="older-ticket",
                links=[
                    {"kind": "article", "ref_id": "kb-1", "title": "Refunds"},
                    {"kind": "script", "ref_id": "s-9"},
                ],
            )
        )
    [amy] = agents(engine, 1)
    [answer] = claim_batch(engine, [amy])
    assert answer is not None
    with engine.connect() as connection:
        row = connection.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).one()
    expected = ticket_json(ticket_from_row(row))
    assert expected["links"][1]["title"] == ""  # the row's link had none
    assert answer["ticket"] == expected
    [logged] = logged_claims(engine)
    assert logged == {**expected, "claim": {"owner_agent_id": amy.id, "epoch": 1}}
    engine.dispose()


def test_a_lapsed_claim_is_taken_back_first_with_a_new_epoch(database_url: str) -> None:
    engine = create_server_engine(database_url)
    first, second = tickets(engine, [Priority.URGENT, Priority.LOW])
    amy, bob = agents(engine, 2)
    [taken] = claim_batch(engine, [amy])
    assert taken is not None and taken["ticket"]["id"] == first
    later = NOW + claims.DEFAULT_LEASE + timedelta(seconds=1)
    [again, other] = claim_batch(engine, [bob, amy], now=later)
    assert again is not None and other is not None
    assert (again["ticket"]["id"], again["epoch"], again["owner_agent_id"]) == (first, 2, bob.id)
    assert other["ticket"]["id"] == second
    with engine.begin() as connection, pytest.raises(claims.ClaimLost):
        claims.renew(connection, first, amy.id, 1, now=later)
    engine.dispose()


def test_concurrent_batches_never_share_a_ticket_and_keep_the_log_gap_free(
    database_url: str,
) -> None:
    engine = create_server_engine(database_url, pool_size=THREADS)
    total = 150
    tickets(engine, [Priority.NORMAL] * total)
    accounts = agents(engine, THREADS)
    # As the server runs it: on PostgreSQL the batch is one statement, its own transaction.
    batch_engine = (
        engine.execution_options(isolation_level="AUTOCOMMIT")
        if engine.dialect.name == "postgresql"
        else engine
    )
    taken: list[list[str]] = [[] for _ in range(THREADS)]

    def claimer(index: int) -> None:
        # Batches of 3 with this agent twice: every thread keeps going until the queue is dry.
        batch = [accounts[index], accounts[(index + 1) % THREADS], accounts[index]]
        while True:
            answers = claim_batch(batch_engine, batch)
            taken[index] += [answer["ticket"]["id"] for answer in answers if answer]
            if all(answer is None for answer in answers):
                return

    run_threads(THREADS, claimer)
    everything = [ticket for owned in taken for ticket in owned]
    assert len(everything) == total and len(set(everything)) == total
    logged = logged_claims(engine)
    assert sorted(payload["id"] for payload in logged) == sorted(everything)
    owners, assignees = owners_and_assignees(engine)
    assert owners == assignees and len(owners) == total
    engine.dispose()


def test_claim_next_survives_a_database_restart_without_pinging_first(pg_only_url: str) -> None:
    from sqlalchemy import text

    from tests.server.conftest import serving

    with serving(pg_only_url) as server:
        amy = server.agent("amy")
        for _ in range(2):
            server.new_ticket(amy)
        first = server.client.post("/tickets/claim-next", headers=amy)
        assert first.status_code == 200 and first.json()["claim"] is not None
        # What a restart does to the pooled claim connection: the server side goes away.
        with server.engine.connect() as connection:
            ended = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        assert ended >= 1
        again = server.client.post("/tickets/claim-next", headers=amy)
        assert again.status_code == 200, again.text
        assert again.json()["claim"]["ticket"]["id"] != first.json()["claim"]["ticket"]["id"]


def test_the_claim_next_fast_lane_answers_errors_as_the_rest_of_the_api(tmp_path: Any) -> None:
    from agentdesk.server.app import Limits
    from tests.server.conftest import serving, sqlite_url

    limits = Limits(max_body_bytes=64, requests_per_second=0.001, burst=2)
    with serving(sqlite_url(tmp_path), limits) as server:
        missing = server.client.post("/tickets/claim-next")
        assert missing.status_code == 401 and missing.json()["error"] == "unauthenticated"
        assert missing.headers["www-authenticate"] == "Bearer"
        amy = server.agent("amy")
        too_big = server.client.post("/tickets/claim-next", content=b"x" * 65, headers=amy)
        assert too_big.status_code == 413 and too_big.json()["error"] == "body_too_large"
        statuses = [server.client.post("/tickets/claim-next", headers=amy) for _ in range(3)]
        assert [response.status_code for response in statuses] == [200, 200, 429]
        assert statuses[0].json() == {"claim": None}
        assert statuses[2].headers["retry-after"]
    paths = server.client.app.openapi()["paths"]  # type: ignore[attr-defined]
    assert "post" in paths["/tickets/claim-next"]


def test_the_claim_function_plans_once_and_by_index_however_empty_the_tables_were(
    pg_only_url: str,
) -> None:
    """Its statements are planned once per session (re-planning every pick for its parameters
    cost more than the picks) and on indexes: a plan made while ticket_claims was empty must
    not scan every claim later."""
    engine = create_server_engine(pg_only_url)
    with engine.connect() as connection:
        settings = connection.exec_driver_sql(
            "SELECT proconfig FROM pg_proc WHERE proname = 'agentdesk_claim_next_many'"
        ).scalar_one()
        assert "plan_cache_mode=force_generic_plan" in settings
        assert "enable_seqscan=off" in settings
        for setting in settings:
            name, _, value = setting.partition("=")
            connection.exec_driver_sql(f"SET {name} = {value}")
        plan = "\n".join(
            row[0]
            for row in connection.exec_driver_sql(
                "EXPLAIN SELECT c.ticket_id FROM ticket_claims AS c "
                "JOIN tickets AS t ON t.id = c.ticket_id "
                "WHERE c.lease_expires_at <= now() ORDER BY c.lease_expires_at LIMIT 1"
            )
        )
    engine.dispose()
    assert "Seq Scan on ticket_claims" not in plan
    assert "ix_ticket_claims_lease_expires_at" in plan
