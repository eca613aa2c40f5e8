"""Routing: who may take which ticket, how tickets score, which one pull-next and push pick."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.model import (
    Agent,
    AgentTier,
    Channel,
    Complexity,
    CustomerTier,
    Priority,
    Ticket,
    TicketStatus,
)
from agentdesk.domain.routing import (
    DEFAULT_POLICY,
    MAX_FIT_GAP,
    PULLABLE_STATUSES,
    AgentLoad,
    CannotPull,
    Eligibility,
    RoutingPolicy,
    ScoreWeights,
    TicketFacts,
    agent_checks,
    can_take,
    choose_agent,
    fit_gap,
    is_eligible,
    pick,
    priority_value,
    pull_order,
    rank,
    score,
    score_ceiling,
    score_parts,
    skill_fit,
    sla_risk,
    ticket_checks,
    waiting_value,
    work_key,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
NOW = T0 + timedelta(hours=2)
HOUR = timedelta(hours=1)

AGENT = Agent("ag", "agent", "An Agent", skills={"refunds": 3}, departments=("billing",))
JUNIOR = Agent("ag-j", "junior", "J", skills={"refunds": 2}, departments=("billing",))
SENIOR = Agent(
    "ag-s", "senior", "S", tier=AgentTier.SENIOR, skills={"refunds": 4}, departments=("billing",)
)


def make_facts(**overrides: object) -> TicketFacts:
    values: dict[str, object] = {
        "id": "t",
        "number": 1,
        "department_id": "billing",
        "status": TicketStatus.NEW,
        "priority": Priority.NORMAL,
        "complexity": Complexity.STANDARD,
        "required_skill": "refunds",
        "created_at": T0,
        "due": T0 + 4 * HOUR,
    }
    values.update(overrides)
    return TicketFacts(**values)  # type: ignore[arg-type]


def make_ticket(**overrides: object) -> Ticket:
    values: dict[str, object] = {
        "id": "t",
        "number": 1,
        "subject": "s",
        "customer_id": "c",
        "department_id": "billing",
        "status": TicketStatus.NEW,
        "priority": Priority.NORMAL,
        "channel": Channel.EMAIL,
        "intent": "",
        "created_at": T0,
        "updated_at": T0,
        "first_response_due": T0 + 4 * HOUR,
        "resolution_due": T0 + 24 * HOUR,
    }
    values.update(overrides)
    return Ticket(**values)  # type: ignore[arg-type]


def failed(facts: TicketFacts, agent: Agent, policy: RoutingPolicy = DEFAULT_POLICY) -> list[str]:
    return [check.rule for check in ticket_checks(facts, agent, policy) if not check.passed]


# -- eligibility -------------------------------------------------------------------------------
def test_an_unassigned_ticket_in_the_agents_department_and_skill_is_eligible() -> None:
    assert can_take(make_facts(), AGENT, DEFAULT_POLICY)
    assert failed(make_facts(), AGENT) == []


@pytest.mark.parametrize(
    ("status", "eligible"),
    [
        (TicketStatus.NEW, True),
        (TicketStatus.OPEN, True),
        (TicketStatus.PENDING, False),
        (TicketStatus.AWAITING_CONFIRMATION, False),
        (TicketStatus.CLOSED, False),
    ],
)
def test_only_new_and_open_tickets_are_pulled(status: TicketStatus, eligible: bool) -> None:
    assert can_take(make_facts(status=status), AGENT, DEFAULT_POLICY) is eligible
    assert (status in PULLABLE_STATUSES) is eligible


def test_an_assigned_ticket_is_not_eligible_even_for_its_assignee() -> None:
    assert failed(make_facts(assignee_id=AGENT.id), AGENT) == ["open"]


def test_department_limits_apply_only_when_the_agent_has_some() -> None:
    technical = make_facts(department_id="technical")
    assert failed(technical, AGENT) == ["department"]
    assert can_take(technical, replace(AGENT, departments=()), DEFAULT_POLICY)


@pytest.mark.parametrize(
    ("complexity", "level", "eligible"),
    [
        (Complexity.SIMPLE, 1, True),
        (Complexity.STANDARD, 1, False),
        (Complexity.STANDARD, 2, True),
        (Complexity.COMPLEX, 2, False),
        (Complexity.COMPLEX, 3, True),
    ],
)
def test_the_skill_level_must_meet_the_complexity(
    complexity: Complexity, level: int, eligible: bool
) -> None:
    agent = replace(SENIOR, skills={"refunds": level})
    assert can_take(make_facts(complexity=complexity), agent, DEFAULT_POLICY) is eligible
    assert ("skill" not in failed(make_facts(complexity=complexity), agent)) is eligible


def test_skill_levels_per_complexity_are_configurable() -> None:
    strict = RoutingPolicy(
        skill_levels={Complexity.SIMPLE: 2, Complexity.STANDARD: 4, Complexity.COMPLEX: 5}
    )
    assert not can_take(make_facts(), AGENT, strict)
    assert can_take(make_facts(complexity=Complexity.SIMPLE), AGENT, strict)


def test_a_missing_skill_is_named() -> None:
    (check,) = [
        c
        for c in ticket_checks(make_facts(required_skill="complaints"), AGENT, DEFAULT_POLICY)
        if c.rule == "skill"
    ]
    assert not check.passed and check.detail == "complaints: you lack it, needs 2 (standard)"


def test_a_ticket_without_a_required_skill_needs_none() -> None:
    novice = Agent("ag-new", "new", "Newcomer")
    assert can_take(make_facts(required_skill=None, department_id="x"), novice, DEFAULT_POLICY)
    assert not can_take(make_facts(department_id="x"), novice, DEFAULT_POLICY)


@pytest.mark.parametrize(
    ("tier", "eligible"),
    [(AgentTier.JUNIOR, False), (AgentTier.SENIOR, True), (AgentTier.EXPERT, True)],
)
def test_complex_work_needs_a_senior(tier: AgentTier, eligible: bool) -> None:
    agent = replace(AGENT, tier=tier, skills={"refunds": 5})
    complex_ticket = make_facts(complexity=Complexity.COMPLEX)
    assert can_take(complex_ticket, agent, DEFAULT_POLICY) is eligible
    assert ("seniority" in failed(complex_ticket, agent)) is not eligible


@pytest.mark.parametrize(
    ("tier", "eligible"),
    [(AgentTier.JUNIOR, False), (AgentTier.SENIOR, True), (AgentTier.EXPERT, True)],
)
def test_vip_customers_go_to_seniors(tier: AgentTier, eligible: bool) -> None:
    agent = replace(AGENT, tier=tier)
    vip = make_facts(customer_tier=CustomerTier.VIP, complexity=Complexity.SIMPLE)
    assert can_take(vip, agent, DEFAULT_POLICY) is eligible
    assert can_take(replace(vip, customer_tier=CustomerTier.STANDARD), agent, DEFAULT_POLICY)


def test_the_tiers_for_complex_work_and_vips_are_configurable() -> None:
    relaxed = RoutingPolicy(complex_tier=AgentTier.JUNIOR, vip_tier=AgentTier.EXPERT)
    junior = replace(AGENT, skills={"refunds": 3})
    assert can_take(make_facts(complexity=Complexity.COMPLEX), junior, relaxed)
    assert not can_take(make_facts(customer_tier=CustomerTier.VIP), SENIOR, relaxed)


@pytest.mark.parametrize(
    ("customer", "agent", "eligible"),
    [
        ("fr", ("en",), False),
        ("fr", ("en", "fr"), True),
        ("", ("en",), True),  # the customer's language is not known
        ("fr", (), True),  # the agent's languages are not known
    ],
)
def test_language_must_match_where_known(
    customer: str, agent: tuple[str, ...], eligible: bool
) -> None:
    facts = make_facts(customer_language=customer)
    assert can_take(facts, replace(AGENT, languages=agent), DEFAULT_POLICY) is eligible


def test_agent_checks_name_availability_and_capacity() -> None:
    assert [c.passed for c in agent_checks(AGENT, 4)] == [True, True]
    away, full = agent_checks(replace(AGENT, available=False), 5)
    assert (away.passed, away.detail) == (False, "marked unavailable")
    assert (full.passed, full.detail) == (False, "at capacity: 5 of 5 active tickets")


def test_is_eligible_reads_a_ticket_and_its_customer() -> None:
    assert is_eligible(make_ticket(required_skill="refunds"), AGENT)
    assert not is_eligible(make_ticket(required_skill="orders"), AGENT)


# -- scoring ----------------------------------------------------------------------------------
def test_sla_risk_is_one_once_breached_and_one_half_an_hour_before() -> None:
    assert sla_risk(NOW - HOUR, NOW, DEFAULT_POLICY) == 1.0
    assert sla_risk(NOW, NOW, DEFAULT_POLICY) == 1.0
    assert sla_risk(NOW + HOUR, NOW, DEFAULT_POLICY) == pytest.approx(0.5)
    assert sla_risk(NOW + 3 * HOUR, NOW, DEFAULT_POLICY) == pytest.approx(0.25)
    assert sla_risk(None, NOW, DEFAULT_POLICY) == 0.0


def test_priority_and_waiting_values() -> None:
    assert [priority_value(p) for p in Priority] == pytest.approx([1, 2 / 3, 1 / 3, 0])
    assert waiting_value(NOW, NOW, DEFAULT_POLICY) == 0.0
    assert waiting_value(NOW - 4 * HOUR, NOW, DEFAULT_POLICY) == pytest.approx(0.5)
    assert waiting_value(NOW + HOUR, NOW, DEFAULT_POLICY) == 0.0  # a clock skew is not negative


def test_skill_fit_prefers_the_least_overqualified_agent() -> None:
    simple = ("refunds", Complexity.SIMPLE)
    assert fit_gap(replace(JUNIOR, skills={"refunds": 1}), *simple, DEFAULT_POLICY) == 0
    assert fit_gap(JUNIOR, *simple, DEFAULT_POLICY) == 1
    assert fit_gap(SENIOR, *simple, DEFAULT_POLICY) == 4  # three levels and one tier over
    assert skill_fit(JUNIOR, *simple, DEFAULT_POLICY) > skill_fit(SENIOR, *simple, DEFAULT_POLICY)
    # For complex work the senior is just right.
    assert fit_gap(SENIOR, "refunds", Complexity.COMPLEX, DEFAULT_POLICY) == 1
    expert = Agent("x", "x", "X", tier=AgentTier.EXPERT, skills={"refunds": 5})
    assert fit_gap(expert, *simple, DEFAULT_POLICY) == MAX_FIT_GAP
    assert skill_fit(expert, *simple, DEFAULT_POLICY) == 0.0
    # Without a required skill, the tier stands for the level.
    assert fit_gap(JUNIOR, None, Complexity.STANDARD, DEFAULT_POLICY) == 0
    # Short of the level or the tier: no fit at all (such an agent is not eligible either).
    assert skill_fit(JUNIOR, "refunds", Complexity.COMPLEX, DEFAULT_POLICY) == 0.0
    assert skill_fit(JUNIOR, "orders", Complexity.SIMPLE, DEFAULT_POLICY) == 0.0
    assert skill_fit(JUNIOR, None, Complexity.COMPLEX, DEFAULT_POLICY) == 0.0


def test_score_parts_are_named_weighted_and_explained() -> None:
    facts = make_facts(priority=Priority.HIGH, due=NOW + HOUR, created_at=NOW - 4 * HOUR)
    parts = score_parts(facts, AGENT, NOW, DEFAULT_POLICY)
    assert [(p.name, p.label) for p in parts] == [
        ("sla_risk", "SLA risk"),
        ("priority", "Priority"),
        ("waiting", "Waiting"),
        ("skill_fit", "Skill fit"),
    ]
    assert [p.points for p in parts] == pytest.approx([17.5, 20.0, 5.0, 25 * (1 - 1 / 6)])
    assert [p.detail for p in parts] == [
        "due in 1h00m",
        "high",
        "waited 4h00m",
        "refunds 3, needs 2",
    ]
    breached = score_parts(replace(facts, due=NOW - 2 * HOUR), AGENT, NOW, DEFAULT_POLICY)
    assert breached[0].detail == "breached 2h00m ago"
    unskilled = score_parts(replace(facts, required_skill=None), SENIOR, NOW, DEFAULT_POLICY)
    assert unskilled[3].detail == "senior (4), needs 2"
    assert score_parts(replace(facts, due=None), AGENT, NOW, DEFAULT_POLICY)[0].detail == (
        "no SLA clock"
    )


def test_weights_decide_what_matters() -> None:
    only_waiting = RoutingPolicy(weights=ScoreWeights(0, 0, 10, 0))
    old = make_facts(id="old", number=2, created_at=NOW - 9 * HOUR, due=NOW + 9 * HOUR)
    urgent = make_facts(id="urgent", priority=Priority.URGENT, due=NOW)
    assert rank([old, urgent], AGENT, NOW, DEFAULT_POLICY)[0].facts.id == "urgent"
    assert rank([old, urgent], AGENT, NOW, only_waiting)[0].facts.id == "old"


def test_a_senior_pulls_the_hard_ticket_and_a_junior_the_simple_one() -> None:
    due = NOW + 2 * HOUR
    easy = make_facts(id="easy", number=1, complexity=Complexity.SIMPLE, due=due)
    hard = make_facts(id="hard", number=2, complexity=Complexity.COMPLEX, due=due)
    assert rank([easy, hard], SENIOR, NOW, DEFAULT_POLICY)[0].facts.id == "hard"
    assert [s.facts.id for s in rank([easy, hard], JUNIOR, NOW, DEFAULT_POLICY)] == ["easy"]
    standard = make_facts(id="standard", number=3, due=due)
    assert rank([easy, standard], JUNIOR, NOW, DEFAULT_POLICY)[0].facts.id == "standard"


def test_urgency_still_beats_fit() -> None:
    breached = make_facts(
        id="breached", complexity=Complexity.SIMPLE, priority=Priority.URGENT, due=NOW - HOUR
    )
    calm = make_facts(id="calm", number=2, complexity=Complexity.COMPLEX, due=NOW + 9 * HOUR)
    assert rank([calm, breached], SENIOR, NOW, DEFAULT_POLICY)[0].facts.id == "breached"


# -- pick -------------------------------------------------------------------------------------
def test_pick_of_nothing_is_none() -> None:
    assert pick([], AGENT, 0, NOW, DEFAULT_POLICY) is None
    closed = make_facts(status=TicketStatus.CLOSED)
    assert pick([closed, make_facts(assignee_id="x")], AGENT, 0, NOW, DEFAULT_POLICY) is None


def test_pick_refuses_an_unavailable_or_full_agent() -> None:
    with pytest.raises(CannotPull, match="at capacity: 5 of 5"):
        pick([make_facts()], AGENT, 5, NOW, DEFAULT_POLICY)
    with pytest.raises(CannotPull, match="marked unavailable"):
        pick([make_facts()], replace(AGENT, available=False), 0, NOW, DEFAULT_POLICY)


def test_ties_go_to_the_nearest_deadline_then_the_oldest_then_the_lowest_number() -> None:
    no_weight = RoutingPolicy(weights=ScoreWeights(0, 0, 0, 1))
    a = make_facts(id="a", number=3, due=NOW + 2 * HOUR)
    b = make_facts(id="b", number=2, due=NOW + HOUR)
    c = make_facts(id="c", number=1, due=NOW + HOUR, created_at=T0 - HOUR)
    d = make_facts(id="d", number=0, due=NOW + HOUR, created_at=T0 - HOUR)
    assert [s.facts.id for s in rank([a, b, c, d], AGENT, NOW, no_weight)] == ["d", "c", "b", "a"]


def test_pull_order_is_the_queues_display_order() -> None:
    urgent_later = make_ticket(id="u", priority=Priority.URGENT, first_response_due=T0 + 9 * HOUR)
    low_sooner = make_ticket(id="l", number=2, priority=Priority.LOW, first_response_due=T0)
    answered = make_ticket(
        id="a", number=3, status=TicketStatus.OPEN, first_response_at=T0, resolution_due=T0 + HOUR
    )
    undated = make_ticket(id="n", number=4, first_response_due=None, resolution_due=None)
    ordered = sorted([low_sooner, answered, undated, urgent_later], key=pull_order)
    assert [t.id for t in ordered] == ["u", "n", "a", "l"]
    assert pull_order(answered)[1] == T0 + HOUR


# -- properties --------------------------------------------------------------------------------
DEPARTMENTS = ("billing", "technical")
SKILLS = ("refunds", "orders")
optional_hours = st.one_of(st.none(), st.integers(-10, 30))


@st.composite
def ticket_facts(draw: st.DrawFn, number: int) -> TicketFacts:
    due = draw(optional_hours)
    return TicketFacts(
        id=f"t-{number}",
        number=number,
        department_id=draw(st.sampled_from(DEPARTMENTS)),
        status=draw(st.sampled_from(list(TicketStatus))),
        priority=draw(st.sampled_from(list(Priority))),
        complexity=draw(st.sampled_from(list(Complexity))),
        required_skill=draw(st.one_of(st.none(), st.sampled_from(SKILLS))),
        created_at=NOW - draw(st.integers(0, 48)) * HOUR,
        due=None if due is None else NOW + due * HOUR,
        assignee_id=draw(st.one_of(st.none(), st.none(), st.just("someone"))),
        customer_tier=draw(st.sampled_from(list(CustomerTier))),
        customer_language=draw(st.sampled_from(["", "en", "fr"])),
    )


@st.composite
def queues(draw: st.DrawFn) -> list[TicketFacts]:
    size = draw(st.integers(0, 14))
    numbers = draw(st.permutations(range(1, size + 1)))
    return [draw(ticket_facts(number)) for number in numbers]


agents = st.builds(
    Agent,
    id=st.sampled_from(["ag-1", "ag-2", "ag-3"]),
    handle=st.just("ag"),
    name=st.just("Agent"),
    tier=st.sampled_from(list(AgentTier)),
    skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5)),
    departments=st.one_of(
        st.just(()), st.lists(st.sampled_from(DEPARTMENTS), min_size=1, unique=True).map(tuple)
    ),
    capacity=st.integers(0, 6),
    available=st.booleans(),
    languages=st.sampled_from([(), ("en",), ("en", "fr")]),
)


@given(queues(), agents)
def test_can_take_is_every_check_passing(queue: list[TicketFacts], agent: Agent) -> None:
    for facts in queue:
        checks = ticket_checks(facts, agent, DEFAULT_POLICY)
        assert can_take(facts, agent, DEFAULT_POLICY) is all(c.passed for c in checks)


policies = st.builds(
    RoutingPolicy,
    skill_levels=st.fixed_dictionaries({c: st.integers(1, 5) for c in Complexity}),
    complex_tier=st.sampled_from(list(AgentTier)),
    vip_tier=st.sampled_from(list(AgentTier)),
)


@given(queues(), agents, policies)
def test_eligibility_as_data_admits_what_can_take_does(
    queue: list[TicketFacts], agent: Agent, policy: RoutingPolicy
) -> None:
    eligibility = Eligibility.of(agent, policy)
    for facts in queue:
        if facts.assignee_id is None and facts.status in PULLABLE_STATUSES:
            assert eligibility.admits(facts) is can_take(facts, agent, policy)


def test_eligibility_lists_the_work_a_junior_may_do() -> None:
    eligibility = Eligibility.of(JUNIOR, DEFAULT_POLICY)
    assert eligibility.work == {
        work_key(None, Complexity.SIMPLE),
        work_key(None, Complexity.STANDARD),
        work_key("refunds", Complexity.SIMPLE),
        work_key("refunds", Complexity.STANDARD),
    }
    assert (eligibility.vip, eligibility.languages) == (False, ("en",))
    assert work_key("refunds", Complexity.COMPLEX) in Eligibility.of(SENIOR, DEFAULT_POLICY).work


@given(queues(), agents)
def test_score_is_the_sum_of_its_bounded_parts(queue: list[TicketFacts], agent: Agent) -> None:
    for facts in queue:
        parts = score_parts(facts, agent, NOW, DEFAULT_POLICY)
        assert all(0.0 <= part.value <= 1.0 for part in parts)
        total = score(facts, agent, NOW, DEFAULT_POLICY)
        assert total == pytest.approx(sum(part.points for part in parts))
        assert 0.0 <= total <= DEFAULT_POLICY.weights.total
        kind = (facts.required_skill, facts.complexity, facts.priority)
        assert total <= score_ceiling(agent, *kind, DEFAULT_POLICY)


@given(queues(), agents, st.randoms(use_true_random=False))
def test_rank_is_a_total_order_of_eligible_tickets(
    queue: list[TicketFacts], agent: Agent, rng: object
) -> None:
    ranked = rank(queue, agent, NOW, DEFAULT_POLICY)
    assert [s.facts for s in ranked] == [
        f
        for f in sorted(
            (f for f in queue if can_take(f, agent, DEFAULT_POLICY)),
            key=lambda f: (
                -score(f, agent, NOW, DEFAULT_POLICY),
                f.due or f.created_at,
                f.created_at,
                f.number,
            ),
        )
    ]
    keys = [s.key for s in ranked]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)  # strict: no two tie
    shuffled = list(queue)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert rank(shuffled, agent, NOW, DEFAULT_POLICY) == ranked


@given(queues(), agents)
def test_pulling_until_refused_claims_eligible_tickets_within_capacity(
    queue: list[TicketFacts], agent: Agent
) -> None:
    tickets = {facts.id: facts for facts in queue}
    load = 0
    while True:
        try:
            chosen = pick(tickets.values(), agent, load, NOW, DEFAULT_POLICY)
        except CannotPull:
            assert load >= agent.capacity or not agent.available
            break
        if chosen is None:
            assert not any(can_take(f, agent, DEFAULT_POLICY) for f in tickets.values())
            break
        assert can_take(chosen.facts, agent, DEFAULT_POLICY)
        assert chosen == rank(tickets.values(), agent, NOW, DEFAULT_POLICY)[0]
        tickets[chosen.facts.id] = replace(
            chosen.facts, assignee_id=agent.id, status=TicketStatus.OPEN
        )
        load += 1
        assert load <= agent.capacity


# -- push mode --------------------------------------------------------------------------------
TWIN_A = replace(JUNIOR, id="ag-a", handle="a")
TWIN_B = replace(JUNIOR, id="ag-b", handle="b")


def test_push_prefers_the_best_fit_then_takes_turns() -> None:
    staff = [AgentLoad(SENIOR, 0), AgentLoad(TWIN_B, 0), AgentLoad(TWIN_A, 0)]
    simple = make_facts(complexity=Complexity.SIMPLE)
    turns: dict[str, int] = {}
    chosen = []
    for _ in range(4):
        choice = choose_agent(simple, staff, DEFAULT_POLICY, turns)
        assert choice is not None
        turns.update(choice.turns)
        chosen.append(choice.agent.handle)
    assert chosen == ["a", "b", "a", "b"]
    assert turns == {"ag-a": 3, "ag-b": 4}
    hard = make_facts(complexity=Complexity.COMPLEX)
    choice = choose_agent(hard, staff, DEFAULT_POLICY, turns)
    assert choice is not None and choice.agent == SENIOR and choice.turns == {"ag-s": 5}


def test_push_skips_full_unavailable_and_ineligible_agents() -> None:
    simple = make_facts(complexity=Complexity.SIMPLE)
    staff = [
        AgentLoad(TWIN_A, TWIN_A.capacity),
        AgentLoad(replace(TWIN_B, available=False), 0),
        AgentLoad(replace(SENIOR, departments=("technical",)), 0),
    ]
    assert choose_agent(simple, staff, DEFAULT_POLICY, {}) is None
    staff.append(AgentLoad(SENIOR, 1))
    choice = choose_agent(simple, staff, DEFAULT_POLICY, {})
    assert choice is not None and (choice.agent, choice.load) == (SENIOR, 1)


@given(
    ticket_facts(1),
    st.lists(agents, max_size=5),
    st.dictionaries(st.sampled_from(["ag-1", "ag-2", "ag-3"]), st.integers(0, 9)),
)
def test_push_chooses_an_eligible_agent_with_room(
    facts: TicketFacts, staff: list[Agent], turns: dict[str, int]
) -> None:
    loads = [AgentLoad(agent, index % 3) for index, agent in enumerate(staff)]
    choice = choose_agent(facts, loads, DEFAULT_POLICY, turns)
    able = [
        entry
        for entry in loads
        if entry.agent.available
        and entry.load < entry.agent.capacity
        and can_take(facts, entry.agent, DEFAULT_POLICY)
    ]
    if choice is None:
        assert able == []
        return
    assert any(entry.agent == choice.agent and entry.load == choice.load for entry in able)
    best = min(
        fit_gap(e.agent, facts.required_skill, facts.complexity, DEFAULT_POLICY) for e in able
    )
    assert fit_gap(choice.agent, facts.required_skill, facts.complexity, DEFAULT_POLICY) == best
    assert choice.turns == {choice.agent.id: max(turns.values(), default=0) + 1}
