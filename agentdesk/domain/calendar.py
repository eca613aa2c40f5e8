"""Business-hours calendars: when an SLA clock runs.

A calendar opens on some hours of each weekday, in wall-clock time of one time zone, and stays
shut on holidays. Business time is the real (UTC) time that passes while it is open: an
opening of 09:00-17:00 is eight hours on an ordinary day, and on the day clocks change it is
whatever really passes between those two wall-clock times. A wall-clock time skipped in spring
counts from the moment the clocks jump; an opening reaching into the hour repeated in autumn
runs from the first pass of its start to the last pass of its end.

The arithmetic walks day by day over the calendar's openings (each day's openings are worked
out once and cached), so its cost grows with the days spanned, not the minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)

# An opening: minutes after local midnight, [start, end); an end of 1440 is midnight after.
Opening = tuple[int, int]
DayHours = tuple[Opening, ...]
ALL_DAY: DayHours = ((0, MINUTES_PER_DAY),)


class CalendarError(ValueError):
    """A calendar that cannot work: unknown zone, bad or overlapping hours, never open."""


def zone(name: str) -> ZoneInfo:
    """The time zone called `name`; CalendarError if there is none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone {name!r}") from None


def minute_of_day(moment: time) -> int:
    return moment.hour * 60 + moment.minute


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Opening hours per weekday (Monday first) in `timezone`, shut all day on `holidays`."""

    timezone: str = "UTC"
    hours: tuple[DayHours, ...] = (ALL_DAY,) * 7
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        zone(self.timezone)
        if len(self.hours) != 7:
            raise CalendarError(f"hours: expected 7 weekdays, got {len(self.hours)}")
        for name, openings in zip(WEEKDAYS, self.hours, strict=True):
            check_openings(openings, name)
        if not any(self.hours):
            raise CalendarError("hours: the calendar is never open")

    @property
    def always_open(self) -> bool:
        """Open every minute: business time is plain elapsed time."""
        return not self.holidays and all(openings == ALL_DAY for openings in self.hours)


def check_openings(openings: DayHours, where: str) -> None:
    previous_end = 0
    for start, end in openings:
        if not 0 <= start < end <= MINUTES_PER_DAY:
            raise CalendarError(
                f"{where}: {_clock(start)}-{_clock(end)} must open before it closes, "
                "within one day (split a night shift across two days)"
            )
        if start < previous_end:
            raise CalendarError(f"{where}: openings overlap or are out of order")
        previous_end = end


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


ALWAYS_OPEN = BusinessCalendar()


def office_hours(
    timezone: str,
    opens: time,
    closes: time,
    weekdays: Iterable[int] = range(5),
    holidays: Iterable[date] = (),
) -> BusinessCalendar:
    """The same opening on the given weekdays (0 is Monday; default Monday to Friday)."""
    end = minute_of_day(closes) or MINUTES_PER_DAY  # closing at 00:00 means midnight after
    day: DayHours = ((minute_of_day(opens), end),)
    open_days = set(weekdays)
    hours = tuple(day if weekday in open_days else () for weekday in range(7))
    return BusinessCalendar(timezone, hours, frozenset(holidays))


# -- the arithmetic -------------------------------------------------------------------------------
def add_business_time(
    calendar: BusinessCalendar, start: datetime, minutes: float | timedelta
) -> datetime:
    """The moment `minutes` of business time after `start` (UTC).

    It lands inside an opening or on its closing time, never in closed hours; zero minutes
    gives `start` back as it is.
    """
    amount = minutes if isinstance(minutes, timedelta) else timedelta(minutes=minutes)
    _require_aware(start)
    if amount < ZERO:
        raise ValueError(f"cannot add negative business time ({amount})")
    if amount == ZERO or calendar.always_open:
        return (start + amount).astimezone(UTC)
    for opens, closes in _openings_from(calendar, start):
        available = closes - opens
        if amount <= available:
            return opens + amount
        amount -= available
    raise AssertionError("unreachable: a valid calendar opens again")  # pragma: no cover


def business_time_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Business time from `a` to `b`; negative when `b` comes before `a`."""
    _require_aware(a)
    _require_aware(b)
    if b < a:
        return -business_time_between(calendar, b, a)
    if calendar.always_open:
        return b - a
    total = ZERO
    for opens, closes in _openings_from(calendar, a):
        if opens >= b:
            break
        total += min(closes, b) - opens
    return total


def business_minutes_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> float:
    """Business minutes from `a` to `b`; negative when `b` comes before `a`."""
    return business_time_between(calendar, a, b) / timedelta(minutes=1)


def is_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    _require_aware(moment)
    if calendar.always_open:
        return True
    day = moment.astimezone(zone(calendar.timezone)).date()
    return any(
        opens <= moment < closes
        for when in (day - ONE_DAY, day)
        for opens, closes in _day_openings(calendar, when)
    )


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; SLA times are UTC-aware")


def _openings_from(
    calendar: BusinessCalendar, start: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's openings from `start` on, as UTC intervals, the first cut at `start`.

    Consecutive openings never overlap here, even where a zone's midnight repeats.
    """
    cursor = start.astimezone(UTC)
    # From the day before: in a zone whose midnight repeats, yesterday may reach into today.
    day = cursor.astimezone(zone(calendar.timezone)).date() - ONE_DAY
    while True:
        for opens, closes in _day_openings(calendar, day):
            begin = max(opens, cursor)
            if closes > begin:
                yield begin, closes
                cursor = closes
        day += ONE_DAY


@lru_cache(maxsize=8192)
def _day_openings(calendar: BusinessCalendar, day: date) -> tuple[tuple[datetime, datetime], ...]:
    if day in calendar.holidays:
        return ()
    openings = calendar.hours[day.weekday()]
    if not openings:
        return ()
    local_zone = zone(calendar.timezone)
    found: list[tuple[datetime, datetime]] = []
    for start, end in openings:
        opens = _instant(local_zone, day, start, fold=0)
        closes = _instant(local_zone, day, end, fold=1)
        if closes > opens:
            found.append((opens, closes))
    return tuple(found)


def _instant(local_zone: ZoneInfo, day: date, minute: int, *, fold: int) -> datetime:
    """The UTC moment the wall clock shows `minute` past midnight on `day`.

    A repeated wall time takes its first (fold 0) or last (fold 1) pass; a skipped one is the
    moment the clocks jumped over it.
    """
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    moment = wall.replace(tzinfo=local_zone, fold=fold).astimezone(UTC)
    if moment.astimezone(local_zone).replace(tzinfo=None) == wall:
        return moment
    return _jump(local_zone, wall)


def _jump(local_zone: ZoneInfo, wall: datetime) -> datetime:
    """The first moment whose wall time is at or after `wall`, which the clocks skipped."""
    # Read with the offset after the jump, the skipped time falls before it; with the offset
    # before, after it. The jump lies between: search the seconds.
    low = int(wall.replace(tzinfo=local_zone, fold=1).timestamp())
    high = int(wall.replace(tzinfo=local_zone, fold=0).timestamp())
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, local_zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(high, UTC)


def latest_opening(calendar: BusinessCalendar, moment: datetime) -> tuple[datetime, datetime]:
    """The opening (UTC) that contains `moment`, or else the last one that ended before it.

    Looks back at most a year; a calendar shut for longer than that (all holidays) has no
    opening to give and raises CalendarError.
    """
    _require_aware(moment)
    day = moment.astimezone(zone(calendar.timezone)).date()
    for back in range(367):
        # Latest first: a night shift of yesterday may still be running today.
        for opens, closes in reversed(_day_openings(calendar, day - back * ONE_DAY)):
            if opens <= moment:
                return opens, closes
    raise CalendarError(f"no opening in the year before {moment.isoformat()}")
