"""`agentdesk sync`: one round against the server app; clear messages and exit codes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from agentdesk import cli, cli_sync
from agentdesk.config import Settings, load_settings
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.held_claims import ReservePolicy
from agentdesk.domain.model import Customer, Role
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import create_app
from agentdesk.store.sqlite import SqliteStore
from tests.server.conftest import sqlite_url
from tests.sync.test_round_trip import NOW, Offline

URL = "http://desk.test"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(tmp_path / "config.toml", {"AGENTDESK_DATA_DIR": str(tmp_path / "data")})


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "site.db"

    async def make() -> None:
        store = SqliteStore(path, create=True)
        await store.open()
        await store.add_customers([Customer("c1", "Ann")])
        await store.create_ticket(NewTicket(subject="S", body="B", customer_id="c1"), now=NOW)
        await store.close()

    asyncio.run(make())
    return path


@pytest.fixture
def app_and_token(tmp_path: Path) -> Iterator[tuple[httpx.AsyncBaseTransport, str]]:
    app = create_app(sqlite_url(tmp_path), clock=lambda: NOW)
    with app.state.engine.begin() as connection:
        _account, token = add_agent(connection, "amy", role=Role.AGENT)
    yield httpx.ASGITransport(app=app), token
    app.state.engine.dispose()


def run(
    settings: Settings,
    database: Path,
    env: dict[str, str],
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    args = cli.build_parser().parse_args(["sync", "--db", str(database)])
    return cli_sync.run(args, settings, env=env, transport=transport, now=NOW)


@pytest.mark.parametrize(("reserve", "reserved"), [(ReservePolicy(), 1), (ReservePolicy(0, 8), 0)])
def test_one_round_pushes_and_pulls(
    settings: Settings,
    database: Path,
    app_and_token: tuple[httpx.AsyncBaseTransport, str],
    capsys: pytest.CaptureFixture[str],
    reserve: ReservePolicy,
    reserved: int,
) -> None:
    transport, token = app_and_token
    env = {"AGENTDESK_SERVER": URL, "AGENTDESK_TOKEN": token}
    assert run(replace(settings, reserve=reserve), database, env, transport) == cli_sync.EXIT_OK
    out = capsys.readouterr().out
    assert "pushed 1 (applied 1, rejected 0)" in out and "pulled 2 changes, cursor 2" in out
    # The ticket it pushed is reserved, unless the [sync] config asks for none.
    assert ("1 reserved for you to pull offline" in out) == bool(reserved)


def test_not_logged_in(
    settings: Settings, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, database, {}) == cli_sync.EXIT_FAILED
    assert "not logged in" in capsys.readouterr().err


def test_unreachable_server_keeps_the_work_queued(
    settings: Settings, database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"AGENTDESK_SERVER": URL, "AGENTDESK_TOKEN": "t"}
    assert run(settings, database, env, Offline()) == cli_sync.EXIT_UNREACHABLE
    err = capsys.readouterr().err
    assert "unreachable" in err and "stays queued" in err and "Traceback" not in err


def test_a_refused_token(
    settings: Settings,
    database: Path,
    app_and_token: tuple[httpx.AsyncBaseTransport, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    transport, _token = app_and_token
    env = {"AGENTDESK_SERVER": URL, "AGENTDESK_TOKEN": "wrong"}
    assert run(settings, database, env, transport) == cli_sync.EXIT_TOKEN_REFUSED
    assert "refused the token" in capsys.readouterr().err
