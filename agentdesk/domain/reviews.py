"""Quality reviews of closed tickets and skill certification, as pure rules.

A case review is a lead's verdict on how one closed ticket was handled: a score from 1 (poor)
to 5 (excellent) and a comment saying why. The reviewed agent is the ticket's resolver, the
agent it was assigned to when it closed. Each lead keeps one review per ticket; recording
again edits it (the score and comment change, the first review time stays). Leads and admins
review; nobody reviews their own ticket.

Certification sets an agent's level in one skill, 0 (not certified: routing treats the skill
as missing) to `routing.MAX_LEVEL`. Leads and admins certify others, never themselves; every
change is an audit event saying who, when, and the old and new levels. Routing reads the
levels from the stored agent, so a change applies to the next pull or push at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType

from agentdesk.domain.errors import DomainError, InvalidInput
from agentdesk.domain.ids import new_id
from agentdesk.domain.model import Agent, AuditEvent, Role, Ticket, TicketStatus
from agentdesk.domain.routing import MAX_LEVEL

IdFactory = Callable[[], str]

REVIEW_SCORES = range(1, 6)
SCORE_LABELS: Mapping[int, str] = MappingProxyType(
    {
        1: "poor",
        2: "below expectations",
        3: "meets expectations",
        4: "good",
        5: "excellent",
    }
)
MAX_COMMENT_LENGTH = 2000
REVIEWER_ROLES: frozenset[Role] = frozenset({Role.LEAD, Role.ADMIN})

MIN_LEVEL = 0  # not certified
SKILL_LEVELS = range(MIN_LEVEL, MAX_LEVEL + 1)
_SKILL_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")

# Operation-log and audit kinds.
REVIEW_OP = "review.record"
REVIEW_AUDIT = "ticket.reviewed"
SKILL_OP = "agent.skill_level"
SKILL_AUDIT = "agent.skill_level"


class LeadsOnly(DomainError):
    """The action is for leads and admins."""


def is_lead(agent: Agent) -> bool:
    return agent.role in REVIEWER_ROLES


def require_lead(actor: Agent, doing: str) -> None:
    if not is_lead(actor):
        raise LeadsOnly(f"only leads and admins can {doing}; you are {actor.role.value}")


# -- case reviews ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CaseReview:
    id: str
    ticket_id: str
    agent_id: str  # the reviewed agent: the ticket's resolver
    reviewer_id: str
    score: int
    comment: str
    created_at: datetime
    updated_at: datetime

    @property
    def score_label(self) -> str:
        return f"{self.score} {SCORE_LABELS[self.score]}"


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One line of an agent's review list: the review with the ticket's number and subject."""

    review: CaseReview
    ticket_number: int
    ticket_subject: str


@dataclass(frozen=True, slots=True)
class ReviewChange:
    """What recording a review writes: the review, the ticket's audit event, the op payload."""

    review: CaseReview
    audit: AuditEvent
    payload: dict[str, object]
    edited: bool
    kind: str = REVIEW_OP


def check_score(score: object) -> int:
    if not isinstance(score, int) or isinstance(score, bool) or score not in REVIEW_SCORES:
        raise InvalidInput("score", "choose a score from 1 (poor) to 5 (excellent)")
    return score


def check_comment(comment: str) -> str:
    text = comment.strip()
    if not text:
        raise InvalidInput("comment", "say what was done well or should change")
    if len(text) > MAX_COMMENT_LENGTH:
        raise InvalidInput("comment", f"{len(text)} characters; keep it to {MAX_COMMENT_LENGTH}")
    return text


def record_review(
    ticket: Ticket,
    reviewer: Agent,
    score: int,
    comment: str,
    *,
    now: datetime,
    existing: CaseReview | None = None,
    make_id: IdFactory = new_id,
) -> ReviewChange:
    """Review a closed ticket, or edit `existing` (this reviewer's review of it)."""
    require_lead(reviewer, "review tickets")
    if ticket.status is not TicketStatus.CLOSED:
        status = ticket.status.value.replace("_", " ")
        raise DomainError(f"only closed tickets can be reviewed; #{ticket.number} is {status}")
    if ticket.assignee_id is None:
        raise DomainError(f"#{ticket.number} was closed by nobody to review: it has no agent")
    if ticket.assignee_id == reviewer.id:
        raise DomainError(f"#{ticket.number} is your own ticket; another lead reviews it")
    if existing is not None and (
        existing.ticket_id != ticket.id or existing.reviewer_id != reviewer.id
    ):
        raise ValueError("`existing` must be this reviewer's review of this ticket")
    checked_score = check_score(score)
    text = check_comment(comment)
    if existing is None:
        review = CaseReview(
            make_id(), ticket.id, ticket.assignee_id, reviewer.id, checked_score, text, now, now
        )
    else:
        # The agent reviewed stays the one first reviewed: the ticket is closed, so its
        # resolver cannot have changed unless it was reopened as a new follow-up ticket.
        review = replace(existing, score=checked_score, comment=text, updated_at=now)
    audit = AuditEvent(
        make_id(),
        ticket.id,
        reviewer.id,
        REVIEW_AUDIT,
        {
            "review_id": review.id,
            "agent_id": review.agent_id,
            "score": checked_score,
            "edited": existing is not None,
        },
        now,
    )
    payload: dict[str, object] = {
        "review_id": review.id,
        "ticket_id": ticket.id,
        "agent_id": review.agent_id,
        "reviewer_id": reviewer.id,
        "score": checked_score,
        "comment": text,
    }
    return ReviewChange(review, audit, payload, edited=existing is not None)


# -- skill certification ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SkillChange:
    """One certification step, as its audit event records it."""

    agent_id: str
    skill: str
    old_level: int
    new_level: int
    actor_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Certification:
    """What a level change writes: the updated agent, the audit event and the op payload."""

    agent: Agent
    change: SkillChange
    audit: AuditEvent
    payload: dict[str, object]
    kind: str = SKILL_OP


def check_skill_name(skill: str) -> str:
    name = skill.strip()
    if not _SKILL_NAME.fullmatch(name):
        raise InvalidInput(
            "skill", f"{skill!r} is not a skill name (lower-case letters, digits and _)"
        )
    return name


def check_level(level: object) -> int:
    if not isinstance(level, int) or isinstance(level, bool) or level not in SKILL_LEVELS:
        raise InvalidInput(
            "level", f"must be {MIN_LEVEL} (not certified) to {MAX_LEVEL}, not {level!r}"
        )
    return level


def set_skill_level(
    agent: Agent,
    skill: str,
    level: int,
    *,
    actor: Agent,
    now: datetime,
    make_id: IdFactory = new_id,
) -> Certification:
    """Certify `agent` at `level` in `skill` (0 takes the skill away)."""
    require_lead(actor, "change skill levels")
    if actor.id == agent.id:
        raise DomainError("you cannot change your own skill levels; another lead does")
    name = check_skill_name(skill)
    new_level = check_level(level)
    old_level = agent.skills.get(name, MIN_LEVEL)
    if new_level == old_level:
        raise InvalidInput("level", f"{agent.handle} is already at {name} level {old_level}")
    skills = {key: value for key, value in agent.skills.items() if key != name}
    if new_level > MIN_LEVEL:
        skills[name] = new_level
    updated = replace(agent, skills=dict(sorted(skills.items())))
    change = SkillChange(agent.id, name, old_level, new_level, actor.id, now)
    detail: dict[str, object] = {
        "agent_id": agent.id,
        "skill": name,
        "old_level": old_level,
        "new_level": new_level,
    }
    audit = AuditEvent(make_id(), None, actor.id, SKILL_AUDIT, detail, now)
    payload: dict[str, object] = {**detail, "actor_id": actor.id}
    return Certification(updated, change, audit, payload)


def step_level(agent: Agent, skill: str, step: int) -> int:
    """The level one `step` (+1 or -1) from the agent's current one; InvalidInput past a bound."""
    current = agent.skills.get(skill, MIN_LEVEL)
    wanted = current + step
    if wanted > MAX_LEVEL:
        raise InvalidInput("level", f"{skill} is at the top level, {MAX_LEVEL}")
    if wanted < MIN_LEVEL:
        raise InvalidInput("level", f"{agent.handle} is not certified in {skill}")
    return wanted


def skill_change_of(event: AuditEvent) -> SkillChange | None:
    """The certification an audit event records, or None for any other event."""
    if event.kind != SKILL_AUDIT or event.actor_id is None:
        return None
    detail = event.detail
    agent_id, skill = detail.get("agent_id"), detail.get("skill")
    old, new = detail.get("old_level"), detail.get("new_level")
    if not (isinstance(agent_id, str) and isinstance(skill, str)):
        return None
    if not (isinstance(old, int) and isinstance(new, int)):
        return None
    return SkillChange(agent_id, skill, old, new, event.actor_id, event.at)


def known_skills(agents: list[Agent], route_skills: list[str | None]) -> list[str]:
    """Every skill some agent holds or some intent route needs, sorted."""
    found = {skill for agent in agents for skill in agent.skills}
    found.update(skill for skill in route_skills if skill)
    return sorted(found)
