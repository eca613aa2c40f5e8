"""Shared reference data over sync: scripts, KB articles, departments, customers and agents.

The server keeps the team's copy; each edit there appends one change record whose kind names
the table and whose payload is the whole row (a later record replaces an earlier one). This
module names those kinds, reads their payloads into domain values, and writes the payloads a
workstation pushes when a lead edits a script or an article locally.

Rules (transfer rules and the routing table) are kept on the server as validated documents and
logged as `rules` records in the config file's shape. A desk keeps the latest document of each
name (`RuleDocument`) and runs by it instead of its config file's rules, once the config
readers accept it (`agentdesk.pulled_rules`); without a server the config file's rules stand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from agentdesk.domain.model import (
    Agent,
    AgentTier,
    Customer,
    CustomerTier,
    Department,
    KbArticle,
    Role,
    Script,
)


class RecordKind(StrEnum):
    """Change-record kinds of reference data (tickets use `ticket_state` and `event`)."""

    SCRIPT = "script"
    ARTICLE = "kb_article"
    DEPARTMENT = "department"
    CUSTOMER = "customer"
    RULES = "rules"
    AGENT = "agent"


# The kinds a client applies to its local tables.
APPLIED_KINDS = frozenset(
    {
        RecordKind.SCRIPT,
        RecordKind.ARTICLE,
        RecordKind.DEPARTMENT,
        RecordKind.CUSTOMER,
        RecordKind.RULES,
        RecordKind.AGENT,
    }
)


@dataclass(frozen=True, slots=True)
class RuleDocument:
    """One of the server's rule documents ("routing" or "transfer"), as the config file's table
    of that name would hold it; not yet checked by the config readers."""

    name: str
    document: Mapping[str, Any]
    version: int


@dataclass(frozen=True, slots=True)
class ReferenceUpdates:
    """The latest row of each script, article, department and customer in one pulled page."""

    scripts: tuple[Script, ...] = ()
    articles: tuple[KbArticle, ...] = ()
    departments: tuple[Department, ...] = ()
    customers: tuple[Customer, ...] = ()
    rules: tuple[RuleDocument, ...] = ()
    agents: tuple[Agent, ...] = ()

    def __bool__(self) -> bool:
        return bool(
            self.scripts
            or self.articles
            or self.departments
            or self.customers
            or self.rules
            or self.agents
        )


NO_REFERENCE_UPDATES = ReferenceUpdates()


@dataclass
class ReferenceCollector:
    """Collects a page's reference records; a later record of the same id replaces an earlier."""

    scripts: dict[str, Script] = field(default_factory=dict)
    articles: dict[str, KbArticle] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    rules: dict[str, RuleDocument] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)

    def add(self, kind: RecordKind, payload: Mapping[str, Any]) -> None:
        """Read one record; KeyError, TypeError or ValueError name what is wrong with it."""
        if kind is RecordKind.SCRIPT:
            script = script_from_wire(payload)
            self.scripts[script.id] = script
        elif kind is RecordKind.ARTICLE:
            article = article_from_wire(payload)
            self.articles[article.id] = article
        elif kind is RecordKind.DEPARTMENT:
            department = Department(id=_text(payload, "id"), name=_text(payload, "name"))
            self.departments[department.id] = department
        elif kind is RecordKind.CUSTOMER:
            customer = customer_from_wire(payload)
            self.customers[customer.id] = customer
        elif kind is RecordKind.RULES:
            rules = rule_document_from_wire(payload)
            self.rules[rules.name] = rules
        elif kind is RecordKind.AGENT:
            agent = agent_from_wire(payload)
            self.agents[agent.handle] = agent
        else:
            raise ValueError(f"{kind.value!r} records are not applied by this client")

    def build(self) -> ReferenceUpdates:
        return ReferenceUpdates(
            tuple(self.scripts.values()),
            tuple(self.articles.values()),
            tuple(self.departments.values()),
            tuple(self.customers.values()),
            tuple(self.rules.values()),
            tuple(self.agents.values()),
        )


def _text(data: Mapping[str, Any], key: str, *, empty_ok: bool = False) -> str:
    value = data.get(key, "" if empty_ok else None)
    if not isinstance(value, str) or (not empty_ok and not value):
        raise ValueError(f"{key!r} must be a{'' if empty_ok else ' non-empty'} string")
    return value


def _texts(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key!r} must be a list of strings")
    return tuple(value)


def script_to_wire(script: Script) -> dict[str, Any]:
    return {
        "id": script.id,
        "name": script.name,
        "body": script.body,
        "intent": script.intent,
        "steps": list(script.steps),
        "required": list(script.required),
    }


def script_from_wire(data: Mapping[str, Any]) -> Script:
    return Script(
        id=_text(data, "id"),
        name=_text(data, "name"),
        body=_text(data, "body"),
        intent=_text(data, "intent", empty_ok=True),
        steps=_texts(data, "steps"),
        required=_texts(data, "required"),
    )


def article_to_wire(article: KbArticle) -> dict[str, Any]:
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "intent": article.intent,
        "tags": list(article.tags),
    }


def article_from_wire(data: Mapping[str, Any]) -> KbArticle:
    updated = data.get("updated_at")
    return KbArticle(
        id=_text(data, "id"),
        title=_text(data, "title"),
        body=_text(data, "body"),
        intent=_text(data, "intent", empty_ok=True),
        tags=_texts(data, "tags"),
        updated_at=datetime.fromisoformat(updated) if isinstance(updated, str) else None,
    )


def customer_from_wire(data: Mapping[str, Any]) -> Customer:
    return Customer(
        id=_text(data, "id"),
        name=_text(data, "name"),
        email=_text(data, "email", empty_ok=True),
        phone=_text(data, "phone", empty_ok=True),
        tier=CustomerTier(data.get("tier", CustomerTier.STANDARD.value)),
        language=_text(data, "language", empty_ok=True) or "en",
    )


def rule_document_from_wire(data: Mapping[str, Any]) -> RuleDocument:
    document = data.get("document")
    if not isinstance(document, Mapping):
        raise ValueError("'document' must be an object")
    version = data.get("version")
    if not isinstance(version, int):
        raise ValueError("'version' must be an integer")
    return RuleDocument(_text(data, "name"), dict(document), version)


def agent_from_wire(data: Mapping[str, Any]) -> Agent:
    """An agent the server published; columns this desk does not know are passed over, and
    ones a server may not have yet keep the roster's defaults."""
    skills = data.get("skills") or {}
    if not isinstance(skills, Mapping) or not all(
        isinstance(name, str) and isinstance(level, int) for name, level in skills.items()
    ):
        raise ValueError("'skills' must map skill names to levels")
    tier = data.get("tier", AgentTier.JUNIOR.value)
    available = data.get("active", data.get("available", True))
    capacity = data.get("capacity", 5)
    if not isinstance(capacity, int) or not isinstance(available, bool):
        raise ValueError("'capacity' must be an integer and 'available' a boolean")
    return Agent(
        id=_text(data, "id"),
        handle=_text(data, "handle"),
        name=_text(data, "name", empty_ok=True) or _text(data, "handle"),
        role=Role(data.get("role", Role.AGENT.value)),
        tier=AgentTier(tier) if tier in {known.value for known in AgentTier} else AgentTier.JUNIOR,
        skills=dict(skills),
        departments=_texts(data, "departments"),
        capacity=capacity,
        available=available,
        languages=_texts(data, "languages") or ("en",),
    )
