"""The `[routing]` config section and the shipped routing table; bad values name their key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from agentdesk.config import ConfigError, load_settings
from agentdesk.config_routing import default_policy, parse_routing
from agentdesk.domain.model import AgentTier, Complexity, Priority
from agentdesk.domain.routing import IntentRoute, RoutingPolicy, ScoreWeights


def parse(text: str) -> RoutingPolicy:
    return parse_routing(tomllib.loads(text).get("routing"))


def test_the_shipped_table_routes_every_demo_intent() -> None:
    policy = default_policy()
    assert len(policy.routes) == 27
    assert policy.routes["complaint"] == IntentRoute(
        "general", "complaints", Complexity.COMPLEX, Priority.HIGH
    )
    assert policy.routes["check_payment_methods"].complexity is Complexity.SIMPLE
    assert policy.routes["contact_customer_service"].skill is None
    assert policy.weights == ScoreWeights() and not policy.push
    # Frequent look-ups are simple; complaints and faults are complex.
    complex_intents = {n for n, r in policy.routes.items() if r.complexity is Complexity.COMPLEX}
    assert complex_intents == {"complaint", "payment_issue", "registration_problems"}
    assert sum(r.complexity is Complexity.SIMPLE for r in policy.routes.values()) >= 15


def test_no_section_means_the_shipped_defaults() -> None:
    assert parse_routing(None) == default_policy()
    assert parse("") == default_policy()


def test_every_setting_can_be_changed() -> None:
    policy = parse(
        """
        [routing]
        push = true
        min_confidence = 0.6
        triage_department = "frontdesk"
        complex_tier = "expert"
        vip_tier = "junior"
        [routing.weights]
        sla_risk = 50
        waiting = 0
        [routing.skill_levels]
        complex = 4
        [routing.intents.get_refund]
        complexity = "complex"
        [routing.intents.lost_card]
        department = "billing"
        skill = "cards"
        priority = "urgent"
        [routing.intents.review]
        skill = ""
        """
    )
    assert policy.push and policy.min_confidence == 0.6
    assert policy.triage_department == "frontdesk"
    assert (policy.complex_tier, policy.vip_tier) == (AgentTier.EXPERT, AgentTier.JUNIOR)
    assert policy.weights == ScoreWeights(sla_risk=50, priority=30, waiting=0, skill_fit=25)
    assert policy.needed_level(Complexity.COMPLEX) == 4
    assert policy.needed_level(Complexity.SIMPLE) == 1
    shipped = default_policy().routes
    assert policy.routes["get_refund"] == IntentRoute(
        "billing", "refunds", Complexity.COMPLEX, Priority.HIGH
    )
    assert policy.routes["lost_card"] == IntentRoute(
        "billing", "cards", Complexity.STANDARD, Priority.URGENT
    )
    assert policy.routes["review"].skill is None
    assert policy.routes["track_order"] == shipped["track_order"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[routing.intents.refund]\ndepartment = "billing"\ncomplexity = "hard"',
            "routing.intents.refund.complexity: expected simple, standard or complex, got 'hard'",
        ),
        (
            '[routing.intents.get_refund]\npriority = "asap"',
            "routing.intents.get_refund.priority: expected urgent, high, normal or low",
        ),
        (
            '[routing.intents.lost_card]\nskill = "cards"',
            "routing.intents.lost_card.department: required for an intent agentdesk does not ship",
        ),
        (
            '[routing.intents.get_refund]\nqueue = "x"',
            "routing.intents.get_refund.queue: unknown key (use department, skill, complexity, "
            "priority)",
        ),
        ('[routing.intents.get_refund]\ndepartment = ""', "routing.intents.get_refund.department"),
        ("[routing.intents]\nget_refund = 3", "routing.intents.get_refund: expected a table"),
        ("[routing]\npush = 1", "routing.push: expected true or false, got 1"),
        ("[routing]\nmin_confidence = 2", "routing.min_confidence: expected a number between 0"),
        ('[routing]\nvip_tier = "boss"', "routing.vip_tier: expected junior, senior or expert"),
        ("[routing]\nfast = true", "routing.fast: unknown key (use push, min_confidence"),
        (
            "[routing.weights]\nsla_risk = -1",
            "routing.weights.sla_risk: expected a number at least 0",
        ),
        ('[routing.weights]\npriority = "high"', "routing.weights.priority: expected a number"),
        ("[routing.weights]\nluck = 3", "routing.weights.luck: unknown key (use sla_risk"),
        (
            "[routing.weights]\nsla_risk = 0\npriority = 0\nwaiting = 0\nskill_fit = 0",
            "routing.weights: at least one weight must be above 0",
        ),
        ("[routing.skill_levels]\ncomplex = 6", "routing.skill_levels.complex: expected a whole"),
        ("[routing.skill_levels]\nexpert = 2", "routing.skill_levels.expert: unknown key"),
        ('routing = "fast"', "routing: expected a table"),
    ],
)
def test_a_bad_value_names_its_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse(text)
    assert str(raised.value).startswith(message)


def test_settings_carry_the_routing_policy(tmp_path: Path) -> None:
    env = {"AGENTDESK_DATA_DIR": str(tmp_path / "data")}
    path = tmp_path / "config.toml"
    assert load_settings(path, env).routing == default_policy()
    path.write_text("[routing]\npush = true\n", encoding="utf-8")
    assert load_settings(path, env).routing.push
    path.write_text('[routing.intents.x]\ncomplexity = "simple"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^routing\.intents\.x\.department: required"):
        load_settings(path, env)
