"""The server's rule documents reach a desk and replace its config's rules, on SQLite and
PostgreSQL; a document the config readers refuse is reported and the rules in force stay."""

from __future__ import annotations

from pathlib import Path

import httpx

from agentdesk.pulled_rules import RulesAdopter
from agentdesk.server import changelog
from agentdesk.server.changelog import ChangeRecord
from agentdesk.store.sqlite import SqliteStore
from tests.sync.test_reference_sync import Team, team
from tests.sync.test_round_trip import NOW

__all__ = ["team"]

TRANSFER = {"rules": [{"name": "fraud", "department": "billing", "keywords": ["chargeback"]}]}


async def test_pulled_documents_replace_the_config_rules_and_survive_a_restart(
    team: Team, tmp_path: Path
) -> None:
    await admin_put(team, "/departments/billing", {"name": "Billing"})
    await admin_put(team, "/rules/routing", {"document": {"push": True, "min_confidence": 0.7}})
    await admin_put(team, "/rules/transfer", {"document": TRANSFER})
    store = team.agent.store
    assert not store.routing_policy.push and store.transfer_rules == ()
    await team.agent.sync()

    assert await RulesAdopter().adopt(store) == []

    assert store.routing_policy.push and store.routing_policy.min_confidence == 0.7
    assert [rule.name for rule in store.transfer_rules] == ["fraud"]
    await store.close()
    reopened = SqliteStore(tmp_path / "amy.db")
    await reopened.open()
    try:
        names = [(rules.name, rules.version) for rules in await reopened.pulled_rules()]
        assert names == [("routing", 1), ("transfer", 1)]
    finally:
        await reopened.close()
        await store.open()


async def test_a_document_the_config_readers_refuse_keeps_the_rules_in_force(team: Team) -> None:
    await admin_put(team, "/rules/routing", {"document": {"push": True}})
    store = team.agent.store
    await team.agent.sync()
    adopter = RulesAdopter()
    await adopter.adopt(store)
    # A document this desk's readers refuse (from a server of another version, say).
    bad = {"name": "routing", "document": {"push": "sometimes"}, "version": 2}
    with team.engine.begin() as connection:
        changelog.append(connection, [ChangeRecord("rules", None, bad)], now=NOW)
    await team.agent.sync()

    (problem,) = await adopter.adopt(store)

    assert "routing rules (version 2)" in problem and "routing.push" in problem
    assert store.routing_policy.push
    assert await adopter.adopt(store) == []  # reported once


async def admin_put(team: Team, path: str, body: object) -> None:
    async with httpx.AsyncClient(transport=team.transport, base_url="http://desk") as http:
        response = await http.put(path, json=body, headers=team.headers["ada"])
    assert response.status_code == 200, response.text
