"""Agent accounts and their API tokens (only a token's sha256 is stored)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from agentdesk.config_routing import parse_routing
from agentdesk.domain.errors import DomainError
from agentdesk.domain.ids import new_id
from agentdesk.domain.model import Agent, AgentTier, Role
from agentdesk.domain.reviews import check_level, check_skill_name
from agentdesk.domain.routing import Eligibility, RoutingPolicy
from agentdesk.server import tables as t
from agentdesk.server.tickets import ensure_department

DEFAULT_LANGUAGES = ("en",)


class AccountError(Exception):
    """An account request that cannot be done; the message says why."""


class UnknownAgent(AccountError):
    """No agent has that handle."""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    handle: str
    name: str
    role: Role
    departments: tuple[str, ...]
    # What claim-next and reservations may hand this agent (None: by department alone).
    eligibility: Eligibility | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Profile:
    """What routing knows of an agent: tier, skill levels (1-5) and languages."""

    tier: AgentTier = AgentTier.JUNIOR
    skills: Mapping[str, int] = field(default_factory=dict)
    languages: tuple[str, ...] = DEFAULT_LANGUAGES

    def checked(self) -> Profile:
        """The same profile with names trimmed; AccountError for a bad skill or level."""
        skills = {name: level for name, level in _checked_skills(self.skills).items() if level}
        languages = tuple(dict.fromkeys(code.strip() for code in self.languages if code.strip()))
        for code in languages:
            if len(code) > 16:
                raise AccountError(f"language {code!r} is longer than 16 characters")
        return Profile(self.tier, dict(sorted(skills.items())), languages)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_agent(
    connection: Connection,
    handle: str,
    *,
    role: Role,
    name: str | None = None,
    departments: tuple[str, ...] = ("general",),
    profile: Profile | None = None,
) -> tuple[Account, str]:
    """Create an agent; returns the account and its token, which is never available again."""
    handle = handle.strip()
    if not handle or len(handle) > 64 or not handle.replace("-", "").replace("_", "").isalnum():
        raise AccountError(f"invalid handle {handle!r}: use 1-64 letters, digits, '-' or '_'")
    if not departments:
        raise AccountError("an agent needs at least one department")
    profile = (profile or Profile()).checked()
    token = new_token()
    account = Account(new_id(), handle, name or handle, role, departments)
    for department in departments:
        ensure_department(connection, department)
    try:
        with connection.begin_nested():
            connection.execute(
                insert(t.agents).values(
                    id=account.id,
                    handle=handle,
                    name=account.name,
                    role=role.value,
                    tier=profile.tier.value,
                    skills=dict(profile.skills),
                    departments=list(departments),
                    capacity=5,
                    available=True,
                    languages=list(profile.languages),
                    token_hash=hash_token(token),
                )
            )
    except IntegrityError:
        raise AccountError(f"an agent with handle {handle!r} already exists") from None
    return account, token


def account_for_token(connection: Connection, token: str) -> Account | None:
    wanted = hash_token(token)
    row = connection.execute(select(t.agents).where(t.agents.c.token_hash == wanted)).first()
    # The lookup is by hash, so timing says nothing about the token; compare once more anyway.
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return account_of(row, routing_policy(connection))


def account_of(row: Row[Any], policy: RoutingPolicy) -> Account:
    agent = agent_of(row)
    eligibility = Eligibility.of(agent, policy)
    return Account(agent.id, agent.handle, agent.name, agent.role, agent.departments, eligibility)


def agent_of(row: Row[Any]) -> Agent:
    return Agent(
        id=row.id,
        handle=row.handle,
        name=row.name,
        role=Role(row.role),
        tier=AgentTier(row.tier),
        skills=dict(row.skills),
        departments=tuple(row.departments),
        capacity=row.capacity,
        available=row.available,
        languages=tuple(row.languages),
    )


def routing_policy(connection: Connection) -> RoutingPolicy:
    """The routing rules the server routes by: the published `[routing]` table, if any, over
    the shipped defaults (reference.py checked it when it was published)."""
    document = connection.execute(
        select(t.rule_documents.c.document).where(t.rule_documents.c.name == "routing")
    ).scalar_one_or_none()
    return parse_routing(dict(document) if document else None)


def set_agent(
    connection: Connection,
    handle: str,
    *,
    tier: AgentTier | None = None,
    skills: Mapping[str, int] | None = None,
    languages: tuple[str, ...] | None = None,
) -> Agent:
    """Change what routing knows of an agent: `skills` are merged in (level 0 removes one);
    the others replace what was there. Claims follow within the server's token cache time."""
    row = connection.execute(select(t.agents).where(t.agents.c.handle == handle)).first()
    if row is None:
        raise UnknownAgent(f"no agent with handle {handle!r}")
    current = agent_of(row)
    merged = dict(current.skills)
    for name, level in _checked_skills(skills or {}).items():
        merged[name] = level
    profile = Profile(
        tier or current.tier,
        merged,
        current.languages if languages is None else languages,
    ).checked()
    connection.execute(
        update(t.agents)
        .where(t.agents.c.id == current.id)
        .values(
            tier=profile.tier.value, skills=dict(profile.skills), languages=list(profile.languages)
        )
    )
    return replace(
        current, tier=profile.tier, skills=dict(profile.skills), languages=profile.languages
    )


def _checked_skills(skills: Mapping[str, int]) -> dict[str, int]:
    """Skill names trimmed and levels 0-5 (0: not certified); AccountError otherwise."""
    try:
        return {check_skill_name(name): check_level(level) for name, level in skills.items()}
    except DomainError as error:
        raise AccountError(str(error)) from None
