"""The lead's alerts on fixed boards, and their throttling under a fake clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentdesk.domain.lead_alerts import (
    AlertKind,
    AlertPolicy,
    BoardAlerts,
    LeadAlert,
    QuietPeriod,
    Throttle,
    evaluate,
)
from agentdesk.domain.lead_board import ALL_QUEUES, QueueLine
from agentdesk.domain.model import Agent

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
COOLDOWN = timedelta(minutes=10)
POLICY = AlertPolicy(
    queue_length=10,
    queue_wait=timedelta(minutes=15),
    breach_coming=2,
    breached=1,
    over_capacity=1,
    cooldown=COOLDOWN,
    quiet_arrivals=3,
    quiet_idle_agents=2,
)


def line(
    queue: str,
    waiting: int = 0,
    oldest_minutes: int = 0,
    at_risk: int = 0,
    breached: int = 0,
    arrivals: int = 0,
) -> QueueLine:
    return QueueLine(
        queue,
        queue.title(),
        waiting + at_risk,
        waiting,
        timedelta(minutes=oldest_minutes),
        at_risk,
        breached,
        arrivals,
    )


def agent(handle: str, capacity: int = 3, available: bool = True) -> Agent:
    return Agent(f"ag-{handle}", handle, handle.title(), capacity=capacity, available=available)


def kinds(found: BoardAlerts) -> list[tuple[AlertKind, str]]:
    return [alert.key for alert in found.alerts]


# -- evaluating a board -----------------------------------------------------------------------
def test_a_calm_board_raises_nothing() -> None:
    found = evaluate([line("billing", waiting=9, oldest_minutes=14, at_risk=1)], [], {}, POLICY)
    assert found == BoardAlerts()


def test_each_limit_raises_its_alert_at_the_limit() -> None:
    found = evaluate(
        [line("billing", waiting=10, oldest_minutes=15, at_risk=2, breached=1)], [], {}, POLICY
    )
    assert sorted(kinds(found)) == sorted(
        [
            (AlertKind.QUEUE_LENGTH, "billing"),
            (AlertKind.QUEUE_WAIT, "billing"),
            (AlertKind.SLA_BREACH_COMING, "billing"),
            (AlertKind.SLA_BREACHED, "billing"),
        ]
    )
    texts = {alert.kind: alert.text for alert in found.alerts}
    assert texts[AlertKind.QUEUE_LENGTH] == "Billing: 10 waiting (limit 10)"
    assert texts[AlertKind.QUEUE_WAIT] == "Billing: oldest waiting 15m (limit 15m)"
    assert texts[AlertKind.SLA_BREACH_COMING] == "Billing: 2 tickets close to an SLA breach"
    assert texts[AlertKind.SLA_BREACHED] == "Billing: 1 ticket past an SLA deadline"


def test_the_all_queues_line_is_not_one_more_queue() -> None:
    total = line(ALL_QUEUES, waiting=12, breached=2)
    found = evaluate([total, line("a", waiting=6), line("b", waiting=6)], [], {}, POLICY)
    assert found.alerts == ()


def test_a_queue_nobody_waits_in_has_no_wait_alert() -> None:
    # The board keeps the oldest wait of the last reading; with nobody waiting it means nothing.
    found = evaluate([line("billing", waiting=0, oldest_minutes=90)], [], {}, POLICY)
    assert found.alerts == ()


def test_a_zero_limit_turns_that_alert_off() -> None:
    busy = [line("billing", waiting=50, oldest_minutes=20, breached=4)]
    policy = AlertPolicy(queue_length=0, breached=0, quiet_idle_agents=0)
    assert kinds(evaluate(busy, [], {}, policy)) == [(AlertKind.QUEUE_WAIT, "billing")]
    assert evaluate(busy, [], {}, AlertPolicy.off()) == BoardAlerts()


def test_an_available_agent_over_capacity_is_raised_an_away_one_is_not() -> None:
    agents = [agent("jamie", capacity=3), agent("sam", capacity=3, available=False)]
    found = evaluate([], agents, {"ag-jamie": 4, "ag-sam": 9}, POLICY)
    assert found.alerts == (LeadAlert(AlertKind.AGENT_OVER_CAPACITY, "ag-jamie", "Jamie", 1, 1),)
    assert found.alerts[0].text == "Jamie: 1 ticket over capacity"
    at_capacity = evaluate([], agents, {"ag-jamie": 3}, POLICY)
    assert at_capacity.alerts == ()


@pytest.mark.parametrize(
    ("value", "level", "severity"),
    [(10, 1, "warning"), (19, 1, "warning"), (20, 2, "error"), (39, 2, "error"), (40, 3, "error")],
)
def test_the_level_rises_each_time_the_measure_doubles(
    value: int, level: int, severity: str
) -> None:
    alert = LeadAlert(AlertKind.QUEUE_LENGTH, "billing", "Billing", value, 10)
    assert (alert.level, alert.severity) == (level, severity)


def test_a_breach_is_always_an_error() -> None:
    assert LeadAlert(AlertKind.SLA_BREACHED, "b", "B", 1, 1).severity == "error"


def test_the_most_pressing_alert_comes_first() -> None:
    lines = [
        line("aaa", waiting=10),
        line("zzz", breached=1),
        line("mmm", waiting=25),
        line("bbb", breached=3),
    ]
    found = evaluate(lines, [], {}, POLICY)
    assert kinds(found) == [
        (AlertKind.SLA_BREACHED, "bbb"),  # errors: breaches first, the larger first
        (AlertKind.SLA_BREACHED, "zzz"),
        (AlertKind.QUEUE_LENGTH, "mmm"),  # level 2: an error
        (AlertKind.QUEUE_LENGTH, "aaa"),  # a warning
    ]


# -- the quiet period ---------------------------------------------------------------------------
IDLE = [agent("jamie"), agent("sam"), agent("lee", available=False)]


def test_few_arrivals_no_alert_and_idle_agents_suggest_training() -> None:
    found = evaluate([line("billing", waiting=2, arrivals=3)], IDLE, {}, POLICY)
    assert found.quiet == QuietPeriod(idle_agents=2, arrivals_last_hour=3)
    assert found.quiet.text == (
        "Quiet period: a good time to schedule training (2 agents idle, 3 in during the last hour)"
    )


@pytest.mark.parametrize(
    ("lines", "loads"),
    [
        ([line("billing", arrivals=4)], {}),  # too many arrivals
        ([line("billing", breached=1)], {}),  # an alert is raised
        ([line("billing")], {"ag-jamie": 1}),  # one idle agent is not enough
    ],
)
def test_no_quiet_period_when_busy(lines: list[QueueLine], loads: dict[str, int]) -> None:
    assert evaluate(lines, IDLE, loads, POLICY).quiet is None


def test_the_suggestion_can_be_turned_off() -> None:
    policy = AlertPolicy(quiet_idle_agents=0)
    assert evaluate([line("billing")], IDLE, {}, policy).quiet is None


# -- throttling -------------------------------------------------------------------------------
def board(waiting: int = 0, breached: int = 0, arrivals: int = 10) -> BoardAlerts:
    return evaluate(
        [line("billing", waiting=waiting, breached=breached, arrivals=arrivals)], IDLE, {}, POLICY
    )


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def run(throttle: Throttle, found: BoardAlerts, minutes: float) -> tuple[Throttle, str | None]:
    kept, notice = throttle.review(found, at(minutes), COOLDOWN)
    return kept, None if notice is None else notice.message


def test_a_new_alert_is_told_once_then_not_while_it_stays() -> None:
    throttle, message = run(Throttle(), board(waiting=12), 0)
    assert message == "Billing: 12 waiting (limit 10)"
    for minute in (0.2, 1, 5, 9.9):
        throttle, message = run(throttle, board(waiting=13), minute)
        assert message is None


def test_an_alert_that_stays_is_told_again_after_the_cooldown() -> None:
    throttle, _ = run(Throttle(), board(waiting=12), 0)
    throttle, message = run(throttle, board(waiting=12), 10)
    assert message == "still: Billing: 12 waiting (limit 10)"
    throttle, message = run(throttle, board(waiting=12), 15)
    assert message is None


def test_an_alert_that_gets_worse_is_told_at_once() -> None:
    throttle, _ = run(Throttle(), board(waiting=12), 0)
    throttle, message = run(throttle, board(waiting=20), 1)
    assert message == "worse: Billing: 20 waiting (limit 10)"
    throttle, message = run(throttle, board(waiting=21), 2)
    assert message is None  # the same level


def test_a_resolved_alert_leaves_and_a_flapping_one_is_not_told_each_time() -> None:
    throttle, _ = run(Throttle(), board(waiting=12), 0)
    throttle, message = run(throttle, board(waiting=3), 1)
    assert message is None and throttle.raised == frozenset()
    throttle, message = run(throttle, board(waiting=11), 2)  # back within the cool-down
    assert message is None
    throttle, message = run(throttle, board(waiting=3), 3)
    throttle, message = run(throttle, board(waiting=11), 11)  # back after it
    assert message == "Billing: 11 waiting (limit 10)"


def test_back_worse_than_told_within_the_cooldown_is_told_as_new() -> None:
    throttle, _ = run(Throttle(), board(waiting=12), 0)
    throttle, _ = run(throttle, board(waiting=3), 1)
    throttle, message = run(throttle, board(waiting=25), 2)
    assert message == "Billing: 25 waiting (limit 10)"


def test_one_notice_names_every_news_of_a_refresh_most_pressing_first() -> None:
    throttle, _ = run(Throttle(), board(waiting=12), 0)
    _, notice = throttle.review(board(waiting=20, breached=1), at(1), COOLDOWN)
    assert notice is not None
    assert notice.title == "2 lead alerts"
    assert notice.severity == "error"
    assert notice.message == (
        "Billing: 1 ticket past an SLA deadline\nworse: Billing: 20 waiting (limit 10)"
    )


def test_a_long_notice_counts_the_rest() -> None:
    lines = [line(f"q{i}", breached=1) for i in range(6)]
    _, notice = Throttle().review(evaluate(lines, [], {}, POLICY), T0, COOLDOWN)
    assert notice is not None
    assert notice.message.splitlines()[-1] == "+2 more (w: the alert list)"


def test_a_quiet_period_is_told_when_it_starts_once_per_cooldown() -> None:
    throttle, _ = Throttle(), None
    kept, notice = throttle.review(board(arrivals=1), T0, COOLDOWN)
    assert notice is not None
    assert (notice.title, notice.severity) == ("Quiet period", "information")
    assert notice.message.startswith("Quiet period: a good time to schedule training (2 agents")
    kept, message = run(kept, board(arrivals=1), 5)
    assert message is None  # still quiet
    kept, message = run(kept, board(arrivals=9), 6)  # busy for a moment
    kept, message = run(kept, board(arrivals=1), 7)
    assert message is None  # quiet again within the cool-down
    kept, message = run(kept, board(arrivals=9), 20)
    kept, message = run(kept, board(arrivals=1), 21)
    assert message is not None and message.startswith("Quiet period")
