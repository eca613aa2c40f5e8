"""Who may take which ticket, and which ticket (or agent) routing picks.

Eligibility is a handful of named rules (open and unassigned, department, skill level for the
ticket's complexity, seniority for complex work and VIP customers, language). Among the
tickets an agent may take, pull-next picks the highest score: SLA risk, priority, waiting time
and skill fit, each a value in 0..1 times its weight from the `RoutingPolicy`. Skill fit is
highest when the agent's level and tier are just what the work needs, so juniors get simple
work and seniors keep their capacity for the hard cases. Push mode turns the question around:
for an arriving ticket, the eligible agent with the best fit, round-robin among equals.

Backends must filter and rank exactly like `can_take` and `rank`; the store contract suite
checks it. `pull_order` is the queue's display order (priority, deadline, age).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType

from agentdesk.domain.errors import DomainError
from agentdesk.domain.model import (
    PRIORITY_ORDER,
    Agent,
    AgentTier,
    Complexity,
    Customer,
    CustomerTier,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.sla import format_remaining

PULLABLE_STATUSES: frozenset[TicketStatus] = frozenset({TicketStatus.NEW, TicketStatus.OPEN})
# An agent's load: their tickets that wait on them. Tickets waiting on the customer (pending,
# awaiting confirmation) do not hold a seat.
LOAD_STATUSES: frozenset[TicketStatus] = PULLABLE_STATUSES

# Where tickets go when the classifier is unsure or the request is out of scope: a person
# triages them rather than a specialist receiving the wrong work.
TRIAGE_DEPARTMENT = "triage"

TIER_ORDER: tuple[AgentTier, ...] = (AgentTier.JUNIOR, AgentTier.SENIOR, AgentTier.EXPERT)
# The level a tier stands for when a ticket needs no particular skill.
TIER_LEVEL: Mapping[AgentTier, int] = MappingProxyType(
    {AgentTier.JUNIOR: 2, AgentTier.SENIOR: 4, AgentTier.EXPERT: 5}
)
MAX_LEVEL = 5
# The largest over-qualification: level 5 for work needing 1, plus two tiers above its need.
MAX_FIT_GAP = (MAX_LEVEL - 1) + (len(TIER_ORDER) - 1)

DEFAULT_SKILL_LEVELS: Mapping[Complexity, int] = MappingProxyType(
    {Complexity.SIMPLE: 1, Complexity.STANDARD: 2, Complexity.COMPLEX: 3}
)

PART_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "sla_risk": "SLA risk",
        "priority": "Priority",
        "waiting": "Waiting",
        "skill_fit": "Skill fit",
    }
)


def tier_rank(tier: AgentTier) -> int:
    return TIER_ORDER.index(tier)


class CannotPull(DomainError):
    """The agent may not pull any ticket now (unavailable, or at capacity)."""


@dataclass(frozen=True, slots=True)
class IntentRoute:
    """Where tickets of one intent go, what they need and how urgent they usually are."""

    department: str
    skill: str | None = None
    complexity: Complexity = Complexity.STANDARD
    priority: Priority = Priority.NORMAL


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """How many points each part of a ticket's score is worth at most (they add up to 100)."""

    sla_risk: float = 35.0
    priority: float = 30.0
    waiting: float = 10.0
    skill_fit: float = 25.0

    @property
    def total(self) -> float:
        return self.sla_risk + self.priority + self.waiting + self.skill_fit


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """The routing rules in force: intent routes, the fallback for unknown intents, and how
    pull-next and push mode weigh tickets and agents."""

    routes: Mapping[str, IntentRoute] = field(default_factory=dict)
    triage_department: str = TRIAGE_DEPARTMENT
    # Below this classifier confidence a ticket goes to triage instead of its intent's route.
    min_confidence: float = 0.0
    weights: ScoreWeights = ScoreWeights()
    # The skill level a ticket of each complexity needs.
    skill_levels: Mapping[Complexity, int] = field(
        default_factory=lambda: dict(DEFAULT_SKILL_LEVELS)
    )
    # The least seniority for complex work, and for VIP customers.
    complex_tier: AgentTier = AgentTier.SENIOR
    vip_tier: AgentTier = AgentTier.SENIOR
    # Push mode: arriving tickets are assigned to the best available agent at once.
    push: bool = False
    # SLA risk is one half when the deadline is this far away (and 1 once it has passed).
    sla_half_minutes: float = 60.0
    # Waiting counts one half after this long.
    waiting_half_minutes: float = 240.0

    def route_for(self, intent: str) -> IntentRoute | None:
        return self.routes.get(intent)

    def needed_level(self, complexity: Complexity) -> int:
        return self.skill_levels.get(complexity, DEFAULT_SKILL_LEVELS[complexity])

    def needed_tier(self, complexity: Complexity) -> AgentTier:
        return self.complex_tier if complexity is Complexity.COMPLEX else AgentTier.JUNIOR


DEFAULT_POLICY = RoutingPolicy()


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What routing needs to know about a ticket and its customer."""

    id: str
    number: int
    department_id: str
    status: TicketStatus
    priority: Priority
    complexity: Complexity
    required_skill: str | None
    created_at: datetime
    # The deadline of the SLA clock running now (first response until answered, then
    # resolution); None when the ticket has no SLA.
    due: datetime | None
    assignee_id: str | None = None
    customer_tier: CustomerTier = CustomerTier.STANDARD
    customer_language: str = ""
    version: int = 1

    @classmethod
    def of(cls, ticket: Ticket, customer: Customer | None = None) -> TicketFacts:
        return cls(
            id=ticket.id,
            number=ticket.number,
            department_id=ticket.department_id,
            status=ticket.status,
            priority=ticket.priority,
            complexity=ticket.complexity,
            required_skill=ticket.required_skill,
            created_at=ticket.created_at,
            due=running_due(ticket),
            assignee_id=ticket.assignee_id,
            customer_tier=customer.tier if customer else CustomerTier.STANDARD,
            customer_language=customer.language if customer else "",
            version=ticket.version,
        )


def running_due(ticket: Ticket) -> datetime | None:
    answered = ticket.first_response_at is not None
    return ticket.resolution_due if answered else ticket.first_response_due


# -- eligibility -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Check:
    """One eligibility rule, whether it passed and why, in words for the agent."""

    rule: str
    passed: bool
    detail: str


def is_pullable(facts: TicketFacts) -> bool:
    return facts.assignee_id is None and facts.status in PULLABLE_STATUSES


def serves_department(agent: Agent, department_id: str) -> bool:
    return not agent.departments or department_id in agent.departments


def takes_work(
    agent: Agent, skill: str | None, complexity: Complexity, policy: RoutingPolicy
) -> bool:
    """The skill level and seniority rules: what an agent can do, whoever the customer is."""
    if skill is not None and agent.skills.get(skill, 0) < policy.needed_level(complexity):
        return False
    return tier_rank(agent.tier) >= tier_rank(policy.needed_tier(complexity))


def takes_vip(agent: Agent, policy: RoutingPolicy) -> bool:
    return tier_rank(agent.tier) >= tier_rank(policy.vip_tier)


def speaks(agent: Agent, language: str) -> bool:
    """Language must match only when both sides are known."""
    return not language or not agent.languages or language in agent.languages


def can_take(facts: TicketFacts, agent: Agent, policy: RoutingPolicy) -> bool:
    """Every ticket rule at once (the agent's availability and capacity are checked apart)."""
    return (
        is_pullable(facts)
        and serves_department(agent, facts.department_id)
        and takes_work(agent, facts.required_skill, facts.complexity, policy)
        and (facts.customer_tier is not CustomerTier.VIP or takes_vip(agent, policy))
        and speaks(agent, facts.customer_language)
    )


def work_key(skill: str | None, complexity: Complexity) -> str:
    """One kind of work as a single value: `complex:refunds`, or `simple:` needing no skill."""
    return f"{complexity.value}:{skill or ''}"


@dataclass(frozen=True, slots=True)
class Eligibility:
    """The rules of `can_take` for one agent, as data a database can filter a queue by.

    A ticket passes when its department is served (`departments` empty: every one), its
    `work_key` is in `work`, its customer is not a VIP unless `vip`, and its customer's language
    is unknown, or in `languages` (empty: the agent's languages are unknown, so any). `work`
    can list every kind of work the agent may do because a skill's needed level is at least 1:
    a skill the agent lacks never passes. Whether the ticket waits in a queue is the store's.
    """

    departments: tuple[str, ...]
    work: frozenset[str]
    vip: bool
    languages: tuple[str, ...]

    @classmethod
    def of(cls, agent: Agent, policy: RoutingPolicy) -> Eligibility:
        skills: list[str | None] = [None, *sorted(agent.skills)]
        return cls(
            departments=tuple(agent.departments),
            work=frozenset(
                work_key(skill, complexity)
                for skill in skills
                for complexity in Complexity
                if takes_work(agent, skill, complexity, policy)
            ),
            vip=takes_vip(agent, policy),
            languages=tuple(agent.languages),
        )

    def admits(self, facts: TicketFacts) -> bool:
        """`can_take` without the queue rule, read from this data (the stores' filters)."""
        return self.admits_kind(
            facts.department_id,
            work_key(facts.required_skill, facts.complexity),
            vip=facts.customer_tier is CustomerTier.VIP,
            language=facts.customer_language,
        )

    def admits_kind(self, department_id: str, work: str, *, vip: bool, language: str) -> bool:
        """`admits` for a ticket known by its department, `work_key` and customer."""
        return (
            (not self.departments or department_id in self.departments)
            and work in self.work
            and (self.vip or not vip)
            and (not language or not self.languages or language in self.languages)
        )


def is_eligible(
    ticket: Ticket,
    agent: Agent,
    policy: RoutingPolicy = DEFAULT_POLICY,
    customer: Customer | None = None,
) -> bool:
    return can_take(TicketFacts.of(ticket, customer), agent, policy)


def agent_checks(agent: Agent, load: int) -> tuple[Check, ...]:
    """Whether the agent may take another ticket at all: available, and below capacity."""
    seats = f"{load} of {agent.capacity} active tickets"
    return (
        Check(
            "available",
            agent.available,
            "available" if agent.available else "marked unavailable",
        ),
        Check(
            "capacity",
            load < agent.capacity,
            seats if load < agent.capacity else f"at capacity: {seats}",
        ),
    )


def ticket_checks(facts: TicketFacts, agent: Agent, policy: RoutingPolicy) -> tuple[Check, ...]:
    """The rules of `can_take`, one by one, with the reason each passed or failed."""
    return (
        _check_open(facts),
        _check_department(facts, agent),
        _check_skill(facts, agent, policy),
        _check_seniority(facts, agent, policy),
        _check_vip(facts, agent, policy),
        _check_language(facts, agent),
    )


def _check_open(facts: TicketFacts) -> Check:
    if facts.assignee_id is not None:
        return Check("open", False, "already assigned")
    if facts.status not in PULLABLE_STATUSES:
        return Check("open", False, f"{facts.status.value.replace('_', ' ')}, not in a queue")
    return Check("open", True, f"{facts.status.value}, unassigned")


def _check_department(facts: TicketFacts, agent: Agent) -> Check:
    department = facts.department_id
    if not agent.departments:
        return Check("department", True, f"{department}: you serve every department")
    if department in agent.departments:
        return Check("department", True, f"{department} is one of your departments")
    return Check("department", False, f"{department} is not one of yours")


def _check_skill(facts: TicketFacts, agent: Agent, policy: RoutingPolicy) -> Check:
    skill = facts.required_skill
    if skill is None:
        return Check("skill", True, "needs no particular skill")
    need = policy.needed_level(facts.complexity)
    level = agent.skills.get(skill, 0)
    needs = f"needs {need} ({facts.complexity.value})"
    if level == 0:
        return Check("skill", False, f"{skill}: you lack it, {needs}")
    return Check("skill", level >= need, f"{skill} level {level}, {needs}")


def _check_seniority(facts: TicketFacts, agent: Agent, policy: RoutingPolicy) -> Check:
    needed = policy.needed_tier(facts.complexity)
    passed = tier_rank(agent.tier) >= tier_rank(needed)
    return Check(
        "seniority", passed, f"{facts.complexity.value} work needs {needed.value}+: {agent.tier}"
    )


def _check_vip(facts: TicketFacts, agent: Agent, policy: RoutingPolicy) -> Check:
    if facts.customer_tier is not CustomerTier.VIP:
        return Check("vip", True, "not a VIP customer")
    passed = takes_vip(agent, policy)
    return Check("vip", passed, f"VIP customer needs {policy.vip_tier.value}+: {agent.tier}")


def _check_language(facts: TicketFacts, agent: Agent) -> Check:
    language = facts.customer_language
    if not language or not agent.languages:
        return Check("language", True, "language not known")
    spoken = ", ".join(agent.languages)
    return Check("language", language in agent.languages, f"customer: {language}; you: {spoken}")


# -- scoring -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScorePart:
    """One part of a ticket's score: a value in 0..1, its weight, and why."""

    name: str
    value: float
    weight: float
    detail: str

    @property
    def points(self) -> float:
        return self.value * self.weight

    @property
    def label(self) -> str:
        return PART_LABELS.get(self.name, self.name)


def sla_risk(due: datetime | None, now: datetime, policy: RoutingPolicy) -> float:
    """1 once the deadline has passed, one half `sla_half_minutes` before it, 0 without SLA."""
    if due is None:
        return 0.0
    remaining = (due - now).total_seconds() / 60
    if remaining <= 0:
        return 1.0
    return policy.sla_half_minutes / (policy.sla_half_minutes + remaining)


def priority_value(priority: Priority) -> float:
    """Urgent 1, high 2/3, normal 1/3, low 0."""
    last = len(PRIORITY_ORDER) - 1
    return (last - priority.rank) / last


def waiting_value(created_at: datetime, now: datetime, policy: RoutingPolicy) -> float:
    waited = max((now - created_at).total_seconds() / 60, 0.0)
    return waited / (waited + policy.waiting_half_minutes)


def fit_gap(agent: Agent, skill: str | None, complexity: Complexity, policy: RoutingPolicy) -> int:
    """How far the agent's level and tier exceed what the work needs (0 is a perfect fit;
    an agent short of either fits not at all)."""
    level = agent.skills.get(skill, 0) if skill is not None else TIER_LEVEL[agent.tier]
    over_level = level - policy.needed_level(complexity)
    over_tier = tier_rank(agent.tier) - tier_rank(policy.needed_tier(complexity))
    if over_level < 0 or over_tier < 0:
        return MAX_FIT_GAP
    return over_level + over_tier


def skill_fit(
    agent: Agent, skill: str | None, complexity: Complexity, policy: RoutingPolicy
) -> float:
    return max(1.0 - fit_gap(agent, skill, complexity, policy) / MAX_FIT_GAP, 0.0)


def score(facts: TicketFacts, agent: Agent, now: datetime, policy: RoutingPolicy) -> float:
    """The total of `score_parts`, computed without the words (ranking needs only this)."""
    weights = policy.weights
    return (
        weights.sla_risk * sla_risk(facts.due, now, policy)
        + weights.priority * priority_value(facts.priority)
        + weights.waiting * waiting_value(facts.created_at, now, policy)
        + weights.skill_fit * skill_fit(agent, facts.required_skill, facts.complexity, policy)
    )


def score_ceiling(
    agent: Agent,
    skill: str | None,
    complexity: Complexity,
    priority: Priority,
    policy: RoutingPolicy,
) -> float:
    """The most a ticket of this kind can score for the agent, however late or old it is.

    Lets a store skip whole groups of tickets that cannot beat the best one found so far.
    """
    weights = policy.weights
    return (
        weights.sla_risk
        + weights.priority * priority_value(priority)
        + weights.waiting
        + weights.skill_fit * skill_fit(agent, skill, complexity, policy)
    )


def score_parts(
    facts: TicketFacts, agent: Agent, now: datetime, policy: RoutingPolicy
) -> tuple[ScorePart, ...]:
    weights = policy.weights
    if facts.due is None:
        due_text = "no SLA clock"
    elif facts.due <= now:
        due_text = f"breached {format_remaining(now - facts.due)} ago"
    else:
        due_text = f"due in {format_remaining(facts.due - now)}"
    skill = facts.required_skill
    # Short: the ticket view shows it beside the points, in a narrow panel.
    need = policy.needed_level(facts.complexity)
    if skill:
        fit_text = f"{skill} {agent.skills.get(skill, 0)}, needs {need}"
    else:
        fit_text = f"{agent.tier.value} ({TIER_LEVEL[agent.tier]}), needs {need}"
    return (
        ScorePart("sla_risk", sla_risk(facts.due, now, policy), weights.sla_risk, due_text),
        ScorePart(
            "priority", priority_value(facts.priority), weights.priority, facts.priority.value
        ),
        ScorePart(
            "waiting",
            waiting_value(facts.created_at, now, policy),
            weights.waiting,
            f"waited {format_remaining(max(now - facts.created_at, timedelta(0)))}",
        ),
        ScorePart(
            "skill_fit",
            skill_fit(agent, skill, facts.complexity, policy),
            weights.skill_fit,
            fit_text,
        ),
    )


# -- pull-next ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ScoredTicket:
    facts: TicketFacts
    total: float

    @property
    def key(self) -> tuple[float, datetime, datetime, int]:
        """Ranking order: highest score, then the nearest deadline, the oldest, the lowest
        number (unique), so the order is total."""
        facts = self.facts
        return (-self.total, facts.due or facts.created_at, facts.created_at, facts.number)


def rank(
    candidates: Iterable[TicketFacts], agent: Agent, now: datetime, policy: RoutingPolicy
) -> list[ScoredTicket]:
    """The tickets the agent may take, best first."""
    scored = [
        ScoredTicket(facts, score(facts, agent, now, policy))
        for facts in candidates
        if can_take(facts, agent, policy)
    ]
    scored.sort(key=lambda item: item.key)
    return scored


def pick(
    candidates: Iterable[TicketFacts],
    agent: Agent,
    load: int,
    now: datetime,
    policy: RoutingPolicy,
) -> ScoredTicket | None:
    """The ticket pull-next gives the agent; raises CannotPull if they may take none now."""
    refused = [check.detail for check in agent_checks(agent, load) if not check.passed]
    if refused:
        raise CannotPull("; ".join(f"you are {reason}" for reason in refused))
    eligible = (
        ScoredTicket(facts, score(facts, agent, now, policy))
        for facts in candidates
        if can_take(facts, agent, policy)
    )
    return min(eligible, key=lambda item: item.key, default=None)


def pull_order(ticket: Ticket) -> tuple[int, datetime, datetime, int]:
    """The queue's display order: priority, then the nearest SLA deadline, then the oldest."""
    due = running_due(ticket)
    return (ticket.priority.rank, due or ticket.created_at, ticket.created_at, ticket.number)


# -- push mode ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AgentLoad:
    agent: Agent
    load: int  # tickets of LOAD_STATUSES assigned to the agent


@dataclass(frozen=True, slots=True)
class PushChoice:
    agent: Agent
    load: int
    # The round-robin state to keep: the agent's new turn number.
    turns: Mapping[str, int]


def choose_agent(
    facts: TicketFacts,
    agents: Sequence[AgentLoad],
    policy: RoutingPolicy,
    turns: Mapping[str, int],
) -> PushChoice | None:
    """The available agent below capacity who may take the ticket and fits it best.

    Agents with an equal fit take turns: the one whose last push assignment is the oldest
    (`turns`: agent id -> the turn of their last one; never pushed counts as 0) goes first.
    """
    eligible = [
        entry
        for entry in agents
        if all(check.passed for check in agent_checks(entry.agent, entry.load))
        and can_take(facts, entry.agent, policy)
    ]
    if not eligible:
        return None
    chosen = min(
        eligible,
        key=lambda entry: (
            fit_gap(entry.agent, facts.required_skill, facts.complexity, policy),
            turns.get(entry.agent.id, 0),
            entry.agent.id,
        ),
    )
    turn = max(turns.values(), default=0) + 1
    return PushChoice(chosen.agent, chosen.load, {chosen.agent.id: turn})
