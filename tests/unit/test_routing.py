"""Who may pull which ticket, and in what order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.model import Agent, Channel, Priority, Ticket, TicketStatus
from agentdesk.domain.routing import PULLABLE_STATUSES, is_eligible, pick_next, pull_order

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

AGENT = Agent("ag", "agent", "An Agent", skills={"refunds": 3}, departments=("billing",))
ANYWHERE = Agent("ag-any", "any", "Any Dept", skills={"refunds": 1, "orders": 1})


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


# --- is_eligible -----------------------------------------------------------------------------


def test_unassigned_new_ticket_in_the_agents_department_is_eligible() -> None:
    assert is_eligible(make_ticket(), AGENT)


def test_assigned_ticket_is_not_eligible() -> None:
    assert not is_eligible(make_ticket(assignee_id="someone"), AGENT)
    assert not is_eligible(make_ticket(assignee_id=AGENT.id), AGENT)


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
    assert is_eligible(make_ticket(status=status), AGENT) is eligible
    assert (status in PULLABLE_STATUSES) is eligible


def test_department_limits_apply_only_when_the_agent_has_some() -> None:
    technical = make_ticket(department_id="technical")
    assert not is_eligible(technical, AGENT)
    assert is_eligible(technical, ANYWHERE)


@pytest.mark.parametrize(
    ("skill", "eligible"), [(None, True), ("refunds", True), ("complaints", False)]
)
def test_required_skill_must_be_held(skill: str | None, eligible: bool) -> None:
    assert is_eligible(make_ticket(required_skill=skill), AGENT) is eligible


def test_agent_without_skills_takes_only_unskilled_tickets() -> None:
    novice = Agent("ag-new", "new", "Newcomer")
    assert is_eligible(make_ticket(), novice)
    assert not is_eligible(make_ticket(required_skill="refunds"), novice)


# --- pick_next -------------------------------------------------------------------------------


def test_pick_next_of_nothing_is_none() -> None:
    assert pick_next([], AGENT) is None
    assert (
        pick_next([make_ticket(assignee_id="x"), make_ticket(status=TicketStatus.CLOSED)], AGENT)
        is None
    )


def test_priority_beats_an_earlier_deadline() -> None:
    urgent_later = make_ticket(
        id="urgent", priority=Priority.URGENT, first_response_due=T0 + 9 * HOUR
    )
    low_sooner = make_ticket(id="low", priority=Priority.LOW, first_response_due=T0 + HOUR)
    assert pick_next([low_sooner, urgent_later], AGENT) is urgent_later


@pytest.mark.parametrize(
    "order",
    [
        (Priority.URGENT, Priority.HIGH),
        (Priority.HIGH, Priority.NORMAL),
        (Priority.NORMAL, Priority.LOW),
    ],
)
def test_priorities_rank_urgent_high_normal_low(order: tuple[Priority, Priority]) -> None:
    more, less = (make_ticket(id=p.value, priority=p) for p in order)
    assert pick_next([less, more], AGENT) is more


def test_same_priority_nearest_deadline_first() -> None:
    later = make_ticket(id="later", first_response_due=T0 + 3 * HOUR)
    sooner = make_ticket(id="sooner", first_response_due=T0 + 2 * HOUR)
    assert pick_next([later, sooner], AGENT) is sooner


def test_answered_ticket_is_ordered_by_its_resolution_deadline() -> None:
    answered = make_ticket(
        id="answered",
        status=TicketStatus.OPEN,
        first_response_at=T0,
        first_response_due=T0 + HOUR,  # met; no longer counts
        resolution_due=T0 + 5 * HOUR,
    )
    unanswered = make_ticket(id="unanswered", first_response_due=T0 + 3 * HOUR)
    assert pick_next([answered, unanswered], AGENT) is unanswered
    assert pull_order(answered)[1] == T0 + 5 * HOUR


def test_same_deadline_oldest_first() -> None:
    due = T0 + 4 * HOUR
    newer = make_ticket(id="newer", created_at=T0, first_response_due=due)
    older = make_ticket(id="older", created_at=T0 - HOUR, first_response_due=due)
    assert pick_next([newer, older], AGENT) is older


def test_full_tie_goes_to_the_lower_number() -> None:
    second = make_ticket(id="b", number=2)
    first = make_ticket(id="a", number=1)
    assert pick_next([second, first], AGENT) is first


def test_ticket_without_deadlines_counts_from_creation() -> None:
    undated = make_ticket(id="undated", first_response_due=None, resolution_due=None, created_at=T0)
    dated = make_ticket(id="dated", first_response_due=T0 + HOUR)
    assert pick_next([dated, undated], AGENT) is undated


def test_pick_next_skips_ineligible_tickets() -> None:
    blocked = [
        make_ticket(id="assigned", priority=Priority.URGENT, assignee_id="x"),
        make_ticket(id="pending", priority=Priority.URGENT, status=TicketStatus.PENDING),
        make_ticket(id="elsewhere", priority=Priority.URGENT, department_id="technical"),
        make_ticket(id="skilled", priority=Priority.URGENT, required_skill="complaints"),
    ]
    mine = make_ticket(id="mine", priority=Priority.LOW)
    assert pick_next([*blocked, mine], AGENT) is mine


# --- pick_next against a brute-force sort ----------------------------------------------------

RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}
DEPARTMENTS = ("billing", "technical")
SKILLS = ("refunds", "orders")


def _eligible(ticket: Ticket, agent: Agent) -> bool:
    return (
        ticket.assignee_id is None
        and ticket.status in {TicketStatus.NEW, TicketStatus.OPEN}
        and (not agent.departments or ticket.department_id in agent.departments)
        and (ticket.required_skill is None or ticket.required_skill in agent.skills)
    )


def _urgency(ticket: Ticket) -> tuple[int, datetime, datetime, int]:
    # The deadline that matters now: first response until answered, then resolution.
    answered = ticket.first_response_at is not None
    due = ticket.resolution_due if answered else ticket.first_response_due
    return (
        RANK[ticket.priority],
        due if due is not None else ticket.created_at,
        ticket.created_at,
        ticket.number,
    )


def _offset(hours: int | None) -> datetime | None:
    return None if hours is None else T0 + hours * HOUR


@st.composite
def tickets(draw: st.DrawFn, number: int) -> Ticket:
    return make_ticket(
        id=f"t-{number}",
        number=number,
        status=draw(st.sampled_from(list(TicketStatus))),
        priority=draw(st.sampled_from(list(Priority))),
        department_id=draw(st.sampled_from(DEPARTMENTS)),
        required_skill=draw(st.one_of(st.none(), st.sampled_from(SKILLS))),
        assignee_id=draw(st.one_of(st.none(), st.none(), st.just("someone"))),
        created_at=T0 + draw(st.integers(-5, 5)) * HOUR,
        first_response_due=_offset(draw(st.one_of(st.none(), st.integers(-3, 10)))),
        resolution_due=_offset(draw(st.one_of(st.none(), st.integers(0, 30)))),
        first_response_at=_offset(draw(st.one_of(st.none(), st.integers(-5, 5)))),
    )


@st.composite
def ticket_lists(draw: st.DrawFn) -> list[Ticket]:
    size = draw(st.integers(0, 12))
    # Numbers are unique, as they are in a real queue; the list order is random.
    numbers = draw(st.permutations(range(1, size + 1)))
    return [draw(tickets(number)) for number in numbers]


agents = st.builds(
    Agent,
    id=st.just("ag"),
    handle=st.just("ag"),
    name=st.just("Agent"),
    skills=st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5)),
    departments=st.one_of(
        st.just(()), st.lists(st.sampled_from(DEPARTMENTS), min_size=1, unique=True).map(tuple)
    ),
)


@given(ticket_lists(), agents)
def test_pick_next_is_the_head_of_a_brute_force_sort(queue: list[Ticket], agent: Agent) -> None:
    ranked = sorted((t for t in queue if _eligible(t, agent)), key=_urgency)
    picked = pick_next(queue, agent)
    if not ranked:
        assert picked is None
    else:
        assert picked is ranked[0]
    for ticket in queue:
        assert is_eligible(ticket, agent) is _eligible(ticket, agent)
