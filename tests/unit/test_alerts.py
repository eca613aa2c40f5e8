"""The SLA alert digest: throttled to one per interval, each clock's news told once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.alerts import (
    DIGEST_INTERVAL,
    AlertLog,
    Digest,
    WatchedClock,
    review,
)
from agentdesk.domain.sla import FIRST_RESPONSE, RESOLUTION, SlaState

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
OK, WARNING, BREACHED, PAUSED = SlaState.OK, SlaState.WARNING, SlaState.BREACHED, SlaState.PAUSED


def clock(number: int, state: SlaState, target: str = FIRST_RESPONSE) -> WatchedClock:
    return WatchedClock(f"t-{number}", number, target, state)


def run(
    ticks: Sequence[tuple[timedelta, Sequence[WatchedClock]]],
) -> list[tuple[timedelta, Digest]]:
    log = AlertLog()
    sent: list[tuple[timedelta, Digest]] = []
    for offset, clocks in ticks:
        log, digest = review(log, clocks, T0 + offset)
        if digest is not None:
            sent.append((offset, digest))
    return sent


def test_nothing_at_risk_means_no_digest() -> None:
    assert run([(timedelta(0), [clock(1, OK), clock(2, PAUSED)])]) == []


def test_the_first_review_tells_everything_at_risk_in_one_digest() -> None:
    sent = run([(timedelta(0), [clock(1, BREACHED), clock(2, WARNING), clock(3, OK)])])
    assert sent == [(timedelta(0), Digest(breached=(1,), at_risk=(2,)))]
    digest = sent[0][1]
    assert (digest.severity, digest.title) == ("error", "SLA breached")
    assert digest.message == "1 breached: #1\n1 at risk: #2"


def test_the_same_state_is_never_told_twice() -> None:
    at_risk = [clock(1, WARNING)]
    sent = run([(timedelta(minutes=m), at_risk) for m in range(10)])
    assert [offset for offset, _ in sent] == [timedelta(0)]


def test_news_within_the_interval_waits_for_the_next_digest() -> None:
    sent = run(
        [
            (timedelta(0), [clock(1, WARNING)]),
            (timedelta(seconds=20), [clock(1, WARNING), clock(2, BREACHED)]),
            (timedelta(seconds=40), [clock(1, BREACHED), clock(2, BREACHED), clock(3, WARNING)]),
            (timedelta(seconds=60), [clock(1, BREACHED), clock(2, BREACHED), clock(3, WARNING)]),
        ]
    )
    assert sent == [
        (timedelta(0), Digest(breached=(), at_risk=(1,))),
        (timedelta(seconds=60), Digest(breached=(1, 2), at_risk=(3,))),
    ]
    assert sent[0][1].severity == "warning"


def test_news_that_is_over_before_the_digest_is_not_told() -> None:
    sent = run(
        [
            (timedelta(0), [clock(1, WARNING)]),
            (timedelta(seconds=30), [clock(1, WARNING), clock(2, WARNING)]),
            (timedelta(seconds=70), [clock(1, WARNING), clock(2, PAUSED)]),
        ]
    )
    assert len(sent) == 1


def test_a_breach_after_a_warning_is_news_but_not_the_reverse() -> None:
    sent = run(
        [
            (timedelta(0), [clock(1, WARNING)]),
            (timedelta(minutes=2), [clock(1, BREACHED)]),
            (timedelta(minutes=4), [clock(1, WARNING)]),
        ]
    )
    assert [digest for _, digest in sent] == [
        Digest(breached=(), at_risk=(1,)),
        Digest(breached=(1,), at_risk=()),
    ]


def test_a_breach_first_also_covers_its_warning() -> None:
    sent = run([(timedelta(0), [clock(1, BREACHED)]), (timedelta(minutes=2), [clock(1, WARNING)])])
    assert len(sent) == 1


def test_the_resolution_clock_is_news_after_the_first_response_one() -> None:
    sent = run(
        [
            (timedelta(0), [clock(1, WARNING, FIRST_RESPONSE)]),
            (timedelta(minutes=5), [clock(1, OK, RESOLUTION)]),
            (timedelta(minutes=9), [clock(1, WARNING, RESOLUTION)]),
        ]
    )
    assert [offset for offset, _ in sent] == [timedelta(0), timedelta(minutes=9)]


def test_a_ticket_that_leaves_the_watch_is_news_again_when_it_returns() -> None:
    sent = run(
        [
            (timedelta(0), [clock(1, BREACHED)]),
            (timedelta(minutes=2), []),
            (timedelta(minutes=4), [clock(1, BREACHED)]),
        ]
    )
    assert len(sent) == 2


def test_long_lists_name_the_first_few_and_count_the_rest() -> None:
    digest = Digest(breached=tuple(range(1, 9)), at_risk=(20,))
    assert digest.message == "8 breached: #1, #2, #3, #4, #5 (+3 more)\n1 at risk: #20"


@given(
    st.lists(
        st.tuples(
            st.integers(0, 600),  # seconds since the previous tick
            st.lists(st.tuples(st.integers(1, 6), st.sampled_from(list(SlaState))), max_size=6),
        ),
        max_size=30,
    )
)
def test_digests_are_spaced_by_the_interval_and_repeat_no_news(
    ticks: list[tuple[int, list[tuple[int, SlaState]]]],
) -> None:
    log = AlertLog()
    at = T0
    last: datetime | None = None
    told: set[tuple[int, SlaState]] = set()
    for gap, states in ticks:
        at += timedelta(seconds=gap)
        clocks = list({number: clock(number, state) for number, state in states}.values())
        watched = {c.number for c in clocks}
        told = {item for item in told if item[0] in watched}
        log, digest = review(log, clocks, at)
        if digest is None:
            continue
        assert last is None or at - last >= DIGEST_INTERVAL
        last = at
        news = [(n, BREACHED) for n in digest.breached] + [(n, WARNING) for n in digest.at_risk]
        assert news, "a digest always has news"
        assert not told & set(news)
        told |= set(news)
        told |= {(n, WARNING) for n in digest.breached}
