"""The `[routing]` section of the config file, and the routing table agentdesk ships.

```toml
[routing]
push = false                  # assign arriving tickets to the best available agent
min_confidence = 0.5          # below this classifier confidence a ticket goes to triage
triage_department = "triage"
complex_tier = "senior"       # the least seniority for complex work ...
vip_tier = "senior"           # ... and for VIP customers

[routing.weights]             # points each part of a ticket's score is worth
sla_risk = 35
priority = 30
waiting = 10
skill_fit = 25

[routing.skill_levels]        # the skill level each complexity needs (1..5)
simple = 1
standard = 2
complex = 3

[routing.intents.get_refund]  # override a shipped route, or add an intent
department = "billing"
skill = "refunds"             # "" for none
complexity = "complex"
priority = "high"
```

Every bad value is reported with its full key (`routing.intents.get_refund.complexity: ...`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from enum import StrEnum
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, TypeVar

from agentdesk.domain.model import AgentTier, Complexity, Priority
from agentdesk.domain.routing import (
    MAX_LEVEL,
    IntentRoute,
    RoutingPolicy,
    ScoreWeights,
)

if TYPE_CHECKING:
    from agentdesk.config import ConfigError

Choice = TypeVar("Choice", bound=StrEnum)

SHIPPED_TABLE = "routing.toml"
SECTION = "routing"
POLICY_KEYS = {
    "push",
    "min_confidence",
    "triage_department",
    "complex_tier",
    "vip_tier",
    "weights",
    "skill_levels",
    "intents",
}
ROUTE_KEYS = ("department", "skill", "complexity", "priority")
WEIGHT_KEYS = tuple(field.name for field in fields(ScoreWeights))


def _error(key: str, message: str) -> ConfigError:
    # Imported here: `config` imports this module for its defaults.
    from agentdesk.config import ConfigError

    return ConfigError(f"{key}: {message}")


def _spell(choices: list[str]) -> str:
    return ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]


def _choice(value: object, kind: type[Choice], key: str) -> Choice:
    names = [member.value for member in kind]
    if isinstance(value, str) and value in names:
        return kind(value)
    raise _error(key, f"expected {_spell(names)}, got {value!r}")


def _table(value: object, key: str) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise _error(key, "expected a table")
    return value


def _known(table: Mapping[str, object], known: Iterable[str], key: str) -> None:
    allowed = list(known)
    for name in table:
        if name not in allowed:
            raise _error(f"{key}.{name}", f"unknown key (use {', '.join(allowed)})")


def _text(value: object, key: str, *, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (not empty_ok and not value.strip()):
        raise _error(key, f"expected a non-empty string, got {value!r}")
    return value.strip()


def _number(value: object, key: str, low: float, high: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _error(key, f"expected a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise _error(key, f"expected a number {bounds}, got {value!r}")
    return float(value)


# -- intents -----------------------------------------------------------------------------------
def _route(raw: object, key: str, base: IntentRoute | None) -> IntentRoute:
    table = _table(raw, key)
    _known(table, ROUTE_KEYS, key)
    if base is None and "department" not in table:
        raise _error(f"{key}.department", "required for an intent agentdesk does not ship")
    route = base or IntentRoute(department="")
    if "department" in table:
        route = replace(route, department=_text(table["department"], f"{key}.department"))
    if "skill" in table:
        skill = _text(table["skill"], f"{key}.skill", empty_ok=True)
        route = replace(route, skill=skill or None)
    if "complexity" in table:
        complexity = _choice(table["complexity"], Complexity, f"{key}.complexity")
        route = replace(route, complexity=complexity)
    if "priority" in table:
        route = replace(route, priority=_choice(table["priority"], Priority, f"{key}.priority"))
    return route


def _routes(raw: object, key: str, base: Mapping[str, IntentRoute]) -> dict[str, IntentRoute]:
    routes = dict(base)
    for intent, table in _table(raw, key).items():
        routes[intent] = _route(table, f"{key}.{intent}", base.get(intent))
    return routes


# -- the policy --------------------------------------------------------------------------------
def _weights(raw: object, key: str, base: ScoreWeights) -> ScoreWeights:
    table = _table(raw, key)
    _known(table, WEIGHT_KEYS, key)
    values = {name: _number(value, f"{key}.{name}", 0) for name, value in table.items()}
    weights = replace(base, **values)
    if weights.total <= 0:
        raise _error(key, "at least one weight must be above 0")
    return weights


def _skill_levels(raw: object, key: str, base: Mapping[Complexity, int]) -> dict[Complexity, int]:
    table = _table(raw, key)
    _known(table, [c.value for c in Complexity], key)
    levels = dict(base)
    for name, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LEVEL:
            raise _error(f"{key}.{name}", f"expected a whole number from 1 to {MAX_LEVEL}")
        levels[Complexity(name)] = value
    return levels


def _flag(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise _error(key, f"expected true or false, got {value!r}")
    return value


Reader = Callable[[object, str, RoutingPolicy], RoutingPolicy]
READERS: dict[str, Reader] = {
    "push": lambda v, k, p: replace(p, push=_flag(v, k)),
    "min_confidence": lambda v, k, p: replace(p, min_confidence=_number(v, k, 0, 1)),
    "triage_department": lambda v, k, p: replace(p, triage_department=_text(v, k)),
    "complex_tier": lambda v, k, p: replace(p, complex_tier=_choice(v, AgentTier, k)),
    "vip_tier": lambda v, k, p: replace(p, vip_tier=_choice(v, AgentTier, k)),
    "weights": lambda v, k, p: replace(p, weights=_weights(v, k, p.weights)),
    "skill_levels": lambda v, k, p: replace(p, skill_levels=_skill_levels(v, k, p.skill_levels)),
    "intents": lambda v, k, p: replace(p, routes=_routes(v, k, p.routes)),
}


def parse_routing(raw: object, base: RoutingPolicy | None = None) -> RoutingPolicy:
    """The policy of a `[routing]` table over `base` (the shipped defaults if not given)."""
    policy = default_policy() if base is None else base
    if raw is None:
        return policy
    table = _table(raw, SECTION)
    _known(table, READERS, SECTION)
    for name, value in table.items():
        policy = READERS[name](value, f"{SECTION}.{name}", policy)
    return policy


@cache
def default_policy() -> RoutingPolicy:
    """The shipped routing table with the default weights and rules."""
    text = files("agentdesk").joinpath(SHIPPED_TABLE).read_text(encoding="utf-8")
    return parse_routing(tomllib.loads(text), RoutingPolicy())


def default_routes() -> Mapping[str, IntentRoute]:
    return default_policy().routes
