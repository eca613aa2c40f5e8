"""Agents an admin creates reach every desk's roster through the change log, on SQLite and
PostgreSQL; an agent a desk knows by handle keeps its local id."""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stdout
from pathlib import Path

import httpx
from sqlalchemy import select

from agentdesk.cli_server import run_add_agent
from agentdesk.domain.model import Agent, Role
from agentdesk.server import tables as t
from agentdesk.server.database import create_server_engine
from tests.server.conftest import sqlite_url
from tests.sync.test_reference_sync import Team, team

__all__ = ["team"]


async def test_an_agent_the_admin_adds_joins_each_desks_roster(team: Team) -> None:
    await team.lead.store.add_agents([Agent("zoe-local", "zoe", "Zoe (old name)")])
    body = {"handle": "zoe", "role": "lead", "name": "Zoe Lead", "departments": ["billing"]}
    async with httpx.AsyncClient(transport=team.transport, base_url="http://desk") as http:
        created = await http.post("/agents", json=body, headers=team.headers["ada"])
    assert created.status_code == 201, created.text
    await team.agent.sync()
    await team.lead.sync()

    zoe = await team.agent.store.agent_by_handle("zoe")
    assert (zoe.id, zoe.name, zoe.role) == (created.json()["id"], "Zoe Lead", Role.LEAD)
    assert zoe.departments == ("billing",) and zoe.languages == ("en",)
    # The lead's desk had a Zoe already: same agent, its local id kept, the server's details.
    known = await team.lead.store.agent_by_handle("zoe")
    assert (known.id, known.name, known.departments) == ("zoe-local", "Zoe Lead", ("billing",))
    assert "zoe" in {agent.handle for agent in await team.lead.store.agents()}


def test_the_command_line_add_agent_publishes_too(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    with redirect_stdout(io.StringIO()):
        args = argparse.Namespace(
            handle="kim",
            role="agent",
            name="Kim",
            departments=None,
            tier="senior",
            skills={"billing": 3},
            languages=["en", "pt"],
        )
        assert run_add_agent(url, args) == 0
    engine = create_server_engine(url)
    try:
        with engine.connect() as connection:
            (record,) = connection.execute(select(t.change_log.c.kind, t.change_log.c.payload))
    finally:
        engine.dispose()
    assert record.kind == "agent" and record.payload["handle"] == "kim"
    assert (record.payload["tier"], record.payload["skills"]) == ("senior", {"billing": 3})
    assert "token_hash" not in record.payload
