"""Shared reference data through sync, on SQLite and PostgreSQL: edits on one desk reach the
other, agents' edits come back as conflicts, and records a client does not know are passed over.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from agentdesk.domain.model import KbArticle, Role, Script
from agentdesk.server import changelog
from agentdesk.server.accounts import add_agent
from agentdesk.server.app import Limits, create_app
from agentdesk.server.changelog import ChangeRecord
from agentdesk.store.sqlite import SqliteStore
from agentdesk.sync import sync_once
from tests.sync.test_round_trip import NOW, Site

APOLOGY = Script("s-apology", "Apology", "Sorry for the wait, {{name}}.", required=("name",))


@dataclass
class Team:
    lead: Site
    agent: Site
    engine: Engine
    headers: dict[str, dict[str, str]]
    transport: httpx.AsyncBaseTransport


@pytest.fixture
async def team(database_url: str, tmp_path: Path) -> AsyncIterator[Team]:
    app = create_app(
        database_url, clock=lambda: NOW, limits=Limits(requests_per_second=10_000, burst=10_000)
    )
    engine = app.state.engine
    tokens: dict[str, str] = {}
    with engine.begin() as connection:
        for handle, role in (("lee", Role.LEAD), ("amy", Role.AGENT), ("ada", Role.ADMIN)):
            _account, tokens[handle] = add_agent(connection, handle, role=role)
    transport = httpx.ASGITransport(app=app)
    sites = []
    for handle in ("lee", "amy"):
        store = SqliteStore(tmp_path / f"{handle}.db", create=True)
        await store.open()
        sites.append(Site(store, tokens[handle], transport))
    headers = {handle: {"Authorization": f"Bearer {token}"} for handle, token in tokens.items()}
    yield Team(sites[0], sites[1], engine, headers, transport)
    for site in sites:
        await site.store.close()
    engine.dispose()


async def test_a_leads_script_edit_reaches_the_other_desk(team: Team) -> None:
    await team.lead.store.edit_script(APOLOGY, now=NOW)
    report = await team.lead.sync()
    assert (report.pushed, report.applied, report.rejected) == (1, 1, 0)
    assert (await team.lead.store.sync_status()).pending == 0

    await team.agent.sync()
    assert await team.agent.store.script("s-apology") == APOLOGY
    # The lead's own desk pulls its edit back without pushing anything new.
    again = await team.lead.sync()
    assert (again.pushed, again.pulled) == (0, 0)


async def test_an_agents_script_edit_is_forbidden_and_waits_in_the_conflicts(team: Team) -> None:
    await team.agent.store.edit_script(APOLOGY, now=NOW)
    report = await team.agent.sync()
    assert (report.applied, report.rejected) == (0, 1)
    [conflict] = await team.agent.store.conflicts()
    assert (conflict.op.kind, conflict.reason) == ("script.edit", "forbidden")
    await team.lead.sync()
    assert APOLOGY.id not in {script.id for script in await team.lead.store.scripts()}


async def test_published_articles_are_searchable_on_a_desk_after_its_pull(team: Team) -> None:
    article = {"title": "Frozen card", "body": "Unfreeze it from the wombat menu.", "tags": []}
    async with httpx.AsyncClient(transport=team.transport, base_url="http://desk") as http:
        response = await http.put("/kb/articles/kb-9", json=article, headers=team.headers["lee"])
        assert response.status_code == 200, response.text
        edited = {**article, "body": "Unfreeze it from the koala menu."}
        response = await http.put("/kb/articles/kb-9", json=edited, headers=team.headers["lee"])
        assert response.json()["version"] == 2
    assert await team.agent.store.search_kb("koala") == []
    await team.agent.sync(pull_page=1)
    [hit] = await team.agent.store.search_kb("koala")
    assert (hit.article_id, hit.title) == ("kb-9", "Frozen card")
    assert await team.agent.store.search_kb("wombat") == []
    assert isinstance(await team.agent.store.article("kb-9"), KbArticle)


async def test_a_record_kind_from_a_newer_server_is_skipped_and_the_cursor_moves(
    team: Team, caplog: pytest.LogCaptureFixture
) -> None:
    with team.engine.begin() as connection:
        changelog.append(connection, [ChangeRecord("hologram", None, {"x": 1})], now=NOW)
    await team.lead.store.edit_script(APOLOGY, now=NOW)
    await team.lead.sync()
    with caplog.at_level(logging.INFO, logger="agentdesk.sync.engine"):
        report = await sync_once(
            team.agent.store,
            "http://desk",
            team.agent.token,
            team.agent.store.info().client_id,
            now=NOW,
            transport=team.transport,
        )
    assert (report.pulled, report.cursor) == (2, 2)
    assert await team.agent.store.script("s-apology") == APOLOGY
    assert "hologram" in caplog.text
