"""Hybrid logical clocks (Kulkarni et al., "Logical Physical Clocks", 2014).

An `Hlc` is 48 bits of physical time in milliseconds since the epoch plus a 16-bit logical
counter, packed into one 64-bit integer so that integer order equals causal-then-wall order. The
functions take the wall clock as an argument (`wall_ms`), so tests drive any clock they like,
including one that jumps backwards.

Counter overflow (65,536 events inside one millisecond, or while the wall clock lags the clock's
physical part) carries into the physical part: the clock runs a millisecond ahead of the wall
rather than wrapping, which would break monotonicity.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PHYSICAL_BITS = 48
COUNTER_BITS = 16
MAX_PHYSICAL = (1 << PHYSICAL_BITS) - 1
MAX_COUNTER = (1 << COUNTER_BITS) - 1
# Hex digits in the sortable string form: 64 bits, zero-padded, so string order is int order.
_HEX_WIDTH = 16
_HEX_FORMAT = f"0{_HEX_WIDTH}x"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


class HlcOverflow(ValueError):
    """The physical part would exceed 48 bits (about the year 10889)."""


@dataclass(frozen=True, slots=True, order=True)
class Hlc:
    """One timestamp; dataclass ordering compares (physical_ms, counter), which is packed order."""

    physical_ms: int
    counter: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.physical_ms <= MAX_PHYSICAL:
            raise HlcOverflow(f"physical part {self.physical_ms} outside 0..{MAX_PHYSICAL}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"counter {self.counter} outside 0..{MAX_COUNTER}")

    def pack(self) -> int:
        return (self.physical_ms << COUNTER_BITS) | self.counter

    @classmethod
    def unpack(cls, value: int) -> Hlc:
        if not 0 <= value < 1 << (PHYSICAL_BITS + COUNTER_BITS):
            raise ValueError(f"HLC value {value} is not an unsigned 64-bit integer")
        return cls(value >> COUNTER_BITS, value & MAX_COUNTER)

    def to_str(self) -> str:
        """Fixed-width lowercase hex: sorts as text in the same order as the clock."""
        return packed_str(self.pack())

    @classmethod
    def from_str(cls, text: str) -> Hlc:
        if len(text) != _HEX_WIDTH:
            raise ValueError(f"HLC string {text!r} is not {_HEX_WIDTH} hex digits")
        try:
            value = int(text, 16)
        except ValueError:
            raise ValueError(f"HLC string {text!r} is not hexadecimal") from None
        return cls.unpack(value)


ZERO = Hlc(0, 0)


def _after(physical_ms: int, counter: int) -> Hlc:
    """`(physical_ms, counter)`, carrying an overflowing counter into the physical part."""
    if counter > MAX_COUNTER:
        return Hlc(physical_ms + 1, 0)
    return Hlc(physical_ms, counter)


def tick(last: Hlc, wall_ms: int) -> Hlc:
    """The clock for a local or send event: strictly after `last`, close to `wall_ms`."""
    if wall_ms > last.physical_ms:
        return Hlc(min(wall_ms, MAX_PHYSICAL), 0)
    return _after(last.physical_ms, last.counter + 1)


def ticks(last: Hlc, walls_ms: Iterable[int]) -> list[Hlc]:
    """One `tick` per event, in order: the stamps of several events logged together."""
    return [Hlc.unpack(value) for value in ticks_packed(last, walls_ms)]


def ticks_packed(last: Hlc, walls_ms: Iterable[int]) -> list[int]:
    """`ticks` as packed integers, without an object per event: a bulk import logs 100,000."""
    physical, counter = last.physical_ms, last.counter
    stamps: list[int] = []
    for wall in walls_ms:
        if wall > physical:
            physical, counter = min(wall, MAX_PHYSICAL), 0
        elif counter < MAX_COUNTER:
            counter += 1
        else:
            physical, counter = physical + 1, 0
            if physical > MAX_PHYSICAL:
                raise HlcOverflow(f"physical part {physical} outside 0..{MAX_PHYSICAL}")
        stamps.append(physical << COUNTER_BITS | counter)
    return stamps


def packed_str(value: int) -> str:
    """`Hlc.to_str` of a packed value."""
    return format(value, _HEX_FORMAT)


def epoch_ms(at: datetime) -> int:
    """Whole milliseconds since the epoch (floored) of an aware datetime: the physical unit."""
    return (at - _EPOCH) // _MILLISECOND


def receive(last: Hlc, remote: Hlc, wall_ms: int) -> Hlc:
    """The clock after receiving `remote`: strictly after both `last` and `remote` (ratchet)."""
    physical = max(last.physical_ms, remote.physical_ms, min(wall_ms, MAX_PHYSICAL))
    if physical == last.physical_ms == remote.physical_ms:
        counter = max(last.counter, remote.counter) + 1
    elif physical == last.physical_ms:
        counter = last.counter + 1
    elif physical == remote.physical_ms:
        counter = remote.counter + 1
    else:
        counter = 0
    return _after(physical, counter)


def ratchet(last: Hlc, seen: datetime) -> Hlc:
    """The clock after seeing server time `seen`: never behind it (SYNC.md §4.6, HLC rules).

    The next local tick is then strictly after both the clock and the server's time, so a site
    whose wall clock runs behind still stamps its next op later than what it already saw.
    """
    seen_ms = min(max(epoch_ms(seen), 0), MAX_PHYSICAL)
    return max(last, Hlc(seen_ms, 0))


def clamp(remote: Hlc, server_wall_ms: int, max_forward_skew_ms: int) -> tuple[Hlc, bool]:
    """Pull a timestamp too far ahead of the server's clock back to the allowed limit.

    Returns the clamped value and whether it changed, so the server can audit `clock_adjusted`.
    Clamping rather than rejecting keeps the offline work that carried the bad clock.
    """
    limit = min(server_wall_ms + max_forward_skew_ms, MAX_PHYSICAL)
    if remote.physical_ms <= limit:
        return remote, False
    return Hlc(limit, MAX_COUNTER), True
