"""The `[[transfer.rules]]` tables of the config file, checked into `TransferRule`s.

```toml
[[transfer.rules]]
name = "refund-fraud"                 # required, unique
department = "billing"                # required: a department id
note = "Possible fraud: check the payment history first."   # optional context note
intents = ["get_refund", "payment_issue"]                    # or intent = "get_refund"
keywords = ["chargeback", "stolen card"]                     # whole words or phrases, any case
channels = ["phone", "email"]                                # email, chat, phone, web, social
customer_tiers = ["vip"]                                     # standard, vip
```

A rule needs at least one condition; every condition it sets must hold, and the first rule
that matches, in file order, moves the ticket. Rules are numbered from 1 in error messages
(`transfer.rules[2].channels: ...`). Whether a rule's department exists is only known once
a store is open: `check_departments` reports those rules, and they are left out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import TypeVar

from agentdesk.config import ConfigError
from agentdesk.domain.model import Channel, CustomerTier
from agentdesk.domain.transfers import TransferRule

Choice = TypeVar("Choice", bound=StrEnum)

RULE_KEYS = (
    "name",
    "department",
    "note",
    "intent",
    "intents",
    "keywords",
    "channels",
    "customer_tiers",
)


def transfer_rules(raw: object) -> tuple[TransferRule, ...]:
    """The rules of the `[transfer]` table (`raw`), in file order; ConfigError names the key."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise ConfigError("transfer: expected a table with [[transfer.rules]] entries")
    for key in raw:
        if key != "rules":
            raise ConfigError(f"transfer.{key}: unknown key (use [[transfer.rules]])")
    tables = raw.get("rules", [])
    if not isinstance(tables, list):
        raise ConfigError("transfer.rules: expected [[transfer.rules]] tables")
    rules: list[TransferRule] = []
    for number, table in enumerate(tables, start=1):
        rule = _rule(table, f"transfer.rules[{number}]")
        if any(earlier.name == rule.name for earlier in rules):
            raise ConfigError(f"transfer.rules[{number}].name: {rule.name!r} is used twice")
        rules.append(rule)
    return tuple(rules)


def _rule(table: object, where: str) -> TransferRule:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    for key in table:
        if key not in RULE_KEYS:
            raise ConfigError(f"{where}.{key}: unknown key (use {', '.join(RULE_KEYS)})")
    name = _text(table, "name", where, required=True)
    if "intent" in table and "intents" in table:
        raise ConfigError(f"{where}.intents: give intent or intents, not both")
    intents = _texts(table, "intents", where)
    if "intent" in table:
        intents = (_text(table, "intent", where, required=True),)
    rule = TransferRule(
        name=name,
        department=_text(table, "department", where, required=True),
        note=_text(table, "note", where) or f"Moved by the transfer rule '{name}'.",
        intents=frozenset(intents),
        keywords=_texts(table, "keywords", where),
        channels=frozenset(_choices(table, "channels", where, Channel, "channel")),
        customer_tiers=frozenset(_choices(table, "customer_tiers", where, CustomerTier, "tier")),
    )
    if not rule.has_conditions:
        raise ConfigError(
            f"{where}: a rule needs a condition (intent, intents, keywords, channels or "
            "customer_tiers); without one it would move every ticket"
        )
    return rule


def _text(table: Mapping[str, object], key: str, where: str, *, required: bool = False) -> str:
    value = table.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        found = "nothing" if value is None else repr(value)
        raise ConfigError(f"{where}.{key}: expected a non-empty string, got {found}")
    return value.strip()


def _texts(table: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f'{where}.{key}: expected a list such as ["first", "second"]')
    texts: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise ConfigError(f"{where}.{key}: expected non-empty strings, got {item!r}")
        texts.append(item.strip())
    return tuple(texts)


def _choices(
    table: Mapping[str, object], key: str, where: str, enum: type[Choice], noun: str
) -> list[Choice]:
    allowed = {member.value: member for member in enum}
    chosen: list[Choice] = []
    for text in _texts(table, key, where):
        member = allowed.get(text.lower())
        if member is None:
            raise ConfigError(
                f"{where}.{key}: unknown {noun} {text!r} (choose from {', '.join(allowed)})"
            )
        chosen.append(member)
    return chosen


def check_departments(
    rules: Sequence[TransferRule], departments: Collection[str]
) -> tuple[tuple[TransferRule, ...], list[str]]:
    """The rules whose department exists, and a message for each one left out."""
    kept = tuple(rule for rule in rules if rule.department in departments)
    problems = [
        f"transfer rule {rule.name!r}: no department {rule.department!r} "
        f"(known: {_names(departments)}); the rule is ignored"
        for rule in rules
        if rule.department not in departments
    ]
    return kept, problems


def _names(values: Iterable[str]) -> str:
    return ", ".join(sorted(values)) or "none"
