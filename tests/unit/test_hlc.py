"""Hybrid logical clock: monotonic under any wall clock, ratchets on receive, packs losslessly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.hlc import (
    MAX_COUNTER,
    MAX_PHYSICAL,
    ZERO,
    Hlc,
    HlcOverflow,
    clamp,
    epoch_ms,
    receive,
    tick,
    ticks,
)

# Keep physical times well below the 48-bit limit so carries never hit HlcOverflow here.
walls = st.integers(min_value=0, max_value=2**47)
hlcs = st.builds(Hlc, st.integers(min_value=0, max_value=2**47), st.integers(0, MAX_COUNTER))


@given(st.lists(walls, min_size=1, max_size=200))
def test_tick_is_strictly_monotonic_whatever_the_wall_clock_does(wall_readings: list[int]) -> None:
    clock = ZERO
    for wall in wall_readings:
        following = tick(clock, wall)
        assert following > clock
        assert following.physical_ms >= wall or following.physical_ms == clock.physical_ms
        clock = following


@given(hlcs, hlcs, walls)
def test_receive_is_after_both_inputs(last: Hlc, remote: Hlc, wall: int) -> None:
    result = receive(last, remote, wall)
    assert result > last
    assert result > remote
    assert result.physical_ms >= wall


@given(st.lists(st.tuples(st.booleans(), hlcs, walls), min_size=1, max_size=100))
def test_mixed_events_stay_monotonic(events: list[tuple[bool, Hlc, int]]) -> None:
    clock = ZERO
    for is_receive, remote, wall in events:
        following = receive(clock, remote, wall) if is_receive else tick(clock, wall)
        assert following > clock
        clock = following


@given(hlcs)
def test_pack_and_string_round_trip(value: Hlc) -> None:
    assert Hlc.unpack(value.pack()) == value
    assert Hlc.from_str(value.to_str()) == value


@given(hlcs, hlcs)
def test_ordering_equals_int_and_string_ordering(a: Hlc, b: Hlc) -> None:
    assert (a < b) == (a.pack() < b.pack()) == (a.to_str() < b.to_str())
    assert (a == b) == (a.pack() == b.pack())


def test_tick_follows_the_wall_clock_when_it_moves_forward() -> None:
    assert tick(Hlc(1_000, 7), 2_000) == Hlc(2_000, 0)


def test_tick_counts_when_the_wall_clock_goes_backwards() -> None:
    assert tick(Hlc(5_000, 3), 1_000) == Hlc(5_000, 4)


def test_counter_overflow_carries_into_the_physical_part() -> None:
    assert tick(Hlc(5_000, MAX_COUNTER), 5_000) == Hlc(5_001, 0)
    assert receive(Hlc(5_000, 1), Hlc(5_000, MAX_COUNTER), 10) == Hlc(5_001, 0)


def test_receive_takes_the_remote_counter_when_remote_is_ahead() -> None:
    assert receive(Hlc(1_000, 9), Hlc(3_000, 4), 2_000) == Hlc(3_000, 5)


def test_receive_with_equal_physical_parts_takes_the_larger_counter() -> None:
    assert receive(Hlc(3_000, 9), Hlc(3_000, 4), 2_000) == Hlc(3_000, 10)


def test_physical_part_beyond_48_bits_is_refused() -> None:
    with pytest.raises(HlcOverflow):
        Hlc(MAX_PHYSICAL + 1)
    with pytest.raises(HlcOverflow):
        tick(Hlc(MAX_PHYSICAL, MAX_COUNTER), 0)


@pytest.mark.parametrize("bad", ["", "zz", "g" * 16, "0" * 15])
def test_bad_strings_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        Hlc.from_str(bad)


def test_clamp_leaves_a_plausible_clock_alone() -> None:
    assert clamp(Hlc(1_000, 3), server_wall_ms=900, max_forward_skew_ms=300) == (
        Hlc(1_000, 3),
        False,
    )


def test_clamp_pulls_a_far_future_clock_back_to_the_limit() -> None:
    assert clamp(Hlc(10_000, 3), server_wall_ms=900, max_forward_skew_ms=300) == (
        Hlc(1_200, MAX_COUNTER),
        True,
    )


@given(hlcs, walls, st.integers(0, 10**7))
def test_clamp_never_exceeds_the_limit_and_never_moves_back_legal_clocks(
    remote: Hlc, server_wall: int, skew: int
) -> None:
    clamped, adjusted = clamp(remote, server_wall, skew)
    assert clamped.physical_ms <= server_wall + skew
    assert adjusted == (clamped != remote)
    assert clamped <= remote


@given(
    st.lists(st.integers(-(10**9), 10**9), max_size=30),
    st.integers(0, 10**12),
    st.integers(MAX_COUNTER - 40, MAX_COUNTER) | st.integers(0, MAX_COUNTER),
)
def test_ticks_is_tick_per_event(offsets: list[int], start: int, counter: int) -> None:
    """The bulk form (packed integers) stamps exactly what ticking one by one would."""
    last = Hlc(start, counter)
    stamps = ticks(last, [start + offset for offset in offsets])
    expected = []
    for offset in offsets:
        last = tick(last, start + offset)
        expected.append(last)
    assert stamps == expected


def test_epoch_ms_floors_like_the_stores_microseconds() -> None:
    assert epoch_ms(datetime(1970, 1, 1, 0, 0, 0, 1_999, tzinfo=UTC)) == 1
    assert epoch_ms(datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)) == -1
