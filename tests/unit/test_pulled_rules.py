"""Reading the server's rule documents with the config readers."""

from __future__ import annotations

from agentdesk.domain.reference_sync import RuleDocument
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.pulled_rules import RulesAdopter, read_documents
from agentdesk.store.memory import MemoryStore


def test_good_documents_become_the_rules_and_unknown_departments_are_named() -> None:
    transfer = {
        "rules": [
            {"name": "fraud", "department": "billing", "keywords": ["chargeback"]},
            {"name": "legal", "department": "legal", "keywords": ["lawyer"]},
        ]
    }
    found = read_documents(
        [RuleDocument("routing", {"push": True}, 3), RuleDocument("transfer", transfer, 1)],
        {"billing"},
    )
    assert found.routing is not None and found.routing.push
    assert [rule.name for rule in found.transfer or ()] == ["fraud"]
    (problem,) = found.problems
    assert "transfer rules (version 1)" in problem and "'legal'" in problem


def test_a_refused_document_leaves_its_part_alone() -> None:
    found = read_documents(
        [RuleDocument("routing", {"weights": {"sla_risk": "high"}}, 2), RuleDocument("x", {}, 1)],
        set(),
    )
    assert (found.routing, found.transfer) == (None, None)
    assert [p.split(":")[0] for p in found.problems] == [
        "the server's routing rules (version 2)",
        "the server's x rules (version 1)",
    ]
    assert "routing.weights.sla_risk" in found.problems[0]


async def test_without_pulled_documents_the_config_rules_stand() -> None:
    store = MemoryStore()
    configured = RoutingPolicy(push=True)
    store.routing_policy = configured
    assert await RulesAdopter().adopt(store) == []
    assert store.routing_policy is configured
