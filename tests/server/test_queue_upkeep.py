"""The background vacuum that keeps the routing queue's head short (queue_upkeep.py, PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from agentdesk.server.app import Limits
from agentdesk.server.database import psycopg_conninfo
from agentdesk.server.queue_upkeep import QueueVacuum
from tests.server.conftest import serving


def routing_queue_vacuums(conninfo: str) -> int:
    """Manual vacuums of routing_queue so far (a new connection sees the latest statistics)."""
    with psycopg.connect(conninfo, autocommit=True) as connection:
        row = connection.execute(
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'routing_queue'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_claim_next_vacuums_the_routing_queue_after_every_so_many_claims(
    pg_only_url: str,
) -> None:
    conninfo = psycopg_conninfo(pg_only_url)
    before = routing_queue_vacuums(conninfo)
    limits = Limits(requests_per_second=10_000, burst=10_000, claims_per_vacuum=3)
    with serving(pg_only_url, limits) as server:
        amy = server.agent("amy")
        for _ in range(4):
            server.new_ticket(amy)
        upkeep = server.client.app.state.claimer.upkeep  # type: ignore[attr-defined]
        for _ in range(2):
            claimed = server.client.post("/tickets/claim-next", headers=amy)
            assert claimed.json()["claim"] is not None
        assert upkeep.vacuums == 0 and routing_queue_vacuums(conninfo) == before
        third = server.client.post("/tickets/claim-next", headers=amy)
        assert third.json()["claim"] is not None
        deadline = time.monotonic() + 10
        while upkeep.vacuums == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert upkeep.vacuums == 1 and upkeep.failures == 0
        assert routing_queue_vacuums(conninfo) == before + 1
        # Claims go on as before once the queue has been swept.
        fourth = server.client.post("/tickets/claim-next", headers=amy)
        assert fourth.json()["claim"] is not None


def test_one_vacuum_at_a_time_and_a_rest_after_each(pg_only_url: str) -> None:
    conninfo = psycopg_conninfo(pg_only_url)

    async def scenario() -> None:
        # A rest so long that no second vacuum may follow the first within the test.
        upkeep = QueueVacuum(conninfo, claims_per_vacuum=5, rest_factor=1e6)
        try:
            upkeep.claimed(4)
            await upkeep.settled()
            assert upkeep.vacuums == 0
            upkeep.claimed(1)
            upkeep.claimed(50)  # while the first runs: no second one
            await upkeep.settled()
            assert upkeep.vacuums == 1
            upkeep.claimed(50)  # resting
            await upkeep.settled()
            assert upkeep.vacuums == 1
        finally:
            await upkeep.close()

    before = routing_queue_vacuums(conninfo)
    asyncio.run(scenario())
    assert routing_queue_vacuums(conninfo) == before + 1


def test_a_failed_vacuum_is_counted_and_logged_not_raised(
    pg_only_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    missing = psycopg_conninfo(pg_only_url).rsplit("/", 1)[0] + "/agentdesk_no_such_database"

    async def scenario() -> tuple[int, int]:
        upkeep = QueueVacuum(missing, claims_per_vacuum=1, rest_factor=0)
        try:
            upkeep.claimed(1)
            await upkeep.settled()
            upkeep.claimed(1)  # and it tries again next time
            await upkeep.settled()
            return upkeep.vacuums, upkeep.failures
        finally:
            await upkeep.close()

    assert asyncio.run(scenario()) == (0, 2)
    assert "vacuum of the routing queue failed" in caplog.text


def test_claims_per_vacuum_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        QueueVacuum("postgresql://unused", claims_per_vacuum=0)


def test_autovacuum_sweeps_the_routing_queue_after_a_fixed_number_of_removed_rows(
    pg_only_url: str,
) -> None:
    with psycopg.connect(psycopg_conninfo(pg_only_url), autocommit=True) as connection:
        row = connection.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'routing_queue'"
        ).fetchone()
    assert row is not None
    assert set(row[0] or []) >= {
        "autovacuum_vacuum_scale_factor=0",
        "autovacuum_vacuum_threshold=1000",
    }
