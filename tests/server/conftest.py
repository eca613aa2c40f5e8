"""Server databases for the tests: SQLite files, and a throwaway PostgreSQL database.

PostgreSQL comes from $AGENTDESK_TEST_PG (an admin URL; default the loopback server, user
postgres, database test). A session creates one fresh database, migrates it, empties it before
each test and drops it at the end. Without a reachable server the PostgreSQL cases are skipped,
except in CI (CI=true), where they fail: CI must run them.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, insert
from sqlalchemy.engine import make_url

from agentdesk.domain.model import Role
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app
from agentdesk.server.database import create_server_engine, upgrade

PG_ADMIN_URL = os.environ.get("AGENTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not reachable: {reason}")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database (its URL), dropped after; fails or skips without PG."""
    import psycopg

    admin = make_url(PG_ADMIN_URL)
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        _unavailable(str(error).strip())
    name = f"agentdesk_t_{secrets.token_hex(6)}"
    with connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        url = admin.set(database=name).render_as_string(hide_password=False)
        engine = create_server_engine(url)
        upgrade(engine)
        engine.dispose()
        try:
            yield url
        finally:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


def empty(engine: Engine) -> None:
    """Every table back to its just-migrated state."""
    with engine.begin() as connection:
        for table in reversed(t.metadata.sorted_tables):
            connection.execute(delete(table))
        connection.execute(insert(t.log_head).values(id=1, seq=0, lineage=secrets.token_hex(16)))
        connection.execute(insert(t.counters).values(name="ticket_number", value=0))


def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = create_server_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    url: str = request.getfixturevalue("pg_url")
    engine = create_server_engine(url)
    empty(engine)
    engine.dispose()
    return url


@pytest.fixture
def pg_only_url(pg_url: str) -> str:
    engine = create_server_engine(pg_url)
    empty(engine)
    engine.dispose()
    return pg_url


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Server:
    """A test client on the app, a settable clock, and tokens for agents made on demand."""

    client: TestClient
    engine: Engine
    clock: Clock
    tokens: dict[str, str] = field(default_factory=dict)

    def agent(
        self, handle: str, role: Role = Role.AGENT, departments: tuple[str, ...] = ("general",)
    ) -> dict[str, str]:
        """Authorization headers for `handle`, created on first use."""
        if handle not in self.tokens:
            with self.engine.begin() as connection:
                _account, self.tokens[handle] = add_agent(
                    connection, handle, role=role, departments=departments
                )
        return {"Authorization": f"Bearer {self.tokens[handle]}"}

    def new_ticket(self, headers: dict[str, str], **fields: object) -> dict[str, object]:
        body = {"subject": "Card declined", "body": "It fails at checkout", "customer_id": "c1"}
        response = self.client.post("/tickets", json={**body, **fields}, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()


@contextmanager
def serving(url: str, limits: Limits | None = None) -> Iterator[Server]:
    clock = Clock()
    app = create_app(
        url, clock=clock, limits=limits or Limits(requests_per_second=10_000, burst=10_000)
    )
    with TestClient(app) as client:
        yield Server(client, app.state.engine, clock)
    app.state.engine.dispose()


@pytest.fixture
def server(database_url: str) -> Iterator[Server]:
    with serving(database_url) as running:
        yield running


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    with serving(sqlite_url(tmp_path)) as running:
        yield running
