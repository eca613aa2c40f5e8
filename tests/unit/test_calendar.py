"""Business-time arithmetic: opening hours, time zones and their clock changes, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentdesk.domain.calendar import (
    ALL_DAY,
    ALWAYS_OPEN,
    BusinessCalendar,
    CalendarError,
    add_business_time,
    business_minutes_between,
    business_time_between,
    is_open,
    office_hours,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
MICROSECOND = timedelta(microseconds=1)
HOUR = timedelta(hours=1)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


BERLIN_OFFICE = office_hours(
    "Europe/Berlin",
    time(9),
    time(17),
    holidays=[date(2026, 12, 24), date(2026, 12, 25), date(2026, 12, 26)],
)
NEW_YORK_SPLIT = BusinessCalendar(
    "America/New_York",
    (*(((8 * 60, 12 * 60), (13 * 60, 20 * 60)),) * 5, ((10 * 60, 14 * 60),), ()),
)
# Open in the small hours: straddles the hour Berlin skips in March and repeats in October.
BERLIN_NIGHTS = BusinessCalendar("Europe/Berlin", (((60, 240),),) * 7)
SYDNEY_LATE = BusinessCalendar("Australia/Sydney", (((20 * 60, 24 * 60),),) * 7)
KOLKATA_WEEKDAYS = office_hours("Asia/Kolkata", time(9, 30), time(18))
# Every minute open, but not known to be: exercises the day walk against plain time.
BERLIN_AROUND_THE_CLOCK = BusinessCalendar(
    "Europe/Berlin", (ALL_DAY,) * 7, frozenset({date(2100, 1, 1)})
)

FIXED = [
    ALWAYS_OPEN,
    BERLIN_OFFICE,
    NEW_YORK_SPLIT,
    BERLIN_NIGHTS,
    SYDNEY_LATE,
    KOLKATA_WEEKDAYS,
    BERLIN_AROUND_THE_CLOCK,
]
# Havana changes its clocks at midnight: in autumn its midnight comes twice.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Havana",
]


@st.composite
def day_hours(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    """Zero to two openings on a quarter-hour grid, in order, not overlapping."""
    cuts = sorted(draw(st.sets(st.integers(0, 96), max_size=4)))
    pairs = [(cuts[i] * 15, cuts[i + 1] * 15) for i in range(0, len(cuts) - 1, 2)]
    return tuple(pairs)


@st.composite
def random_calendars(draw: st.DrawFn) -> BusinessCalendar:
    hours = tuple(draw(day_hours()) for _ in range(7))
    if not any(hours):
        hours = (((9 * 60, 17 * 60),), *hours[1:])
    holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=20))
    return BusinessCalendar(draw(st.sampled_from(ZONES)), hours, holidays)


calendars = st.one_of(st.sampled_from(FIXED), random_calendars())
instants = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)).map(
    lambda moment: moment.replace(microsecond=0)
)
# Up to about two months of business time, in seconds.
amounts = st.integers(0, 60 * 24 * 3600).map(lambda seconds: timedelta(seconds=seconds))
SLOW = settings(deadline=None, max_examples=100)


# --- properties ---------------------------------------------------------------------------------


@SLOW
@given(calendars, instants, amounts)
def test_adding_then_measuring_gives_the_amount_back(
    calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    end = add_business_time(calendar, start, amount)
    assert business_time_between(calendar, start, end) == amount
    assert end >= start


@SLOW
@given(calendars, instants, amounts.filter(bool))
def test_a_due_time_never_lands_in_closed_hours_or_on_a_holiday(
    calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    end = add_business_time(calendar, start, amount)
    just_before = end - MICROSECOND
    assert is_open(calendar, just_before)
    assert just_before.astimezone(ZoneInfo(calendar.timezone)).date() not in calendar.holidays


@SLOW
@given(calendars, instants, amounts, amounts)
def test_adding_is_monotonic_in_the_amount(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    low, high = sorted((a, b))
    assert add_business_time(calendar, start, low) <= add_business_time(calendar, start, high)


@SLOW
@given(calendars, instants, instants, amounts)
def test_adding_is_monotonic_in_the_start(
    calendar: BusinessCalendar, a: datetime, b: datetime, amount: timedelta
) -> None:
    early, late = sorted((a, b))
    assert add_business_time(calendar, early, amount) <= add_business_time(calendar, late, amount)


@SLOW
@given(calendars, instants, instants, instants)
def test_measuring_adds_up_and_never_exceeds_the_wall_clock(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    ab = business_time_between(calendar, a, b)
    assert ab == -business_time_between(calendar, b, a)
    assert ab + business_time_between(calendar, b, c) == business_time_between(calendar, a, c)
    assert abs(ab) <= abs(b - a)


@SLOW
@given(calendars, instants, instants)
def test_measuring_to_a_moment_in_closed_hours_stops_at_the_last_close(
    calendar: BusinessCalendar, a: datetime, b: datetime
) -> None:
    start, end = sorted((a, b))
    spent = business_time_between(calendar, start, end)
    reached = add_business_time(calendar, start, spent)
    assert reached <= end
    assert business_time_between(calendar, reached, end) == timedelta(0)


@SLOW
@given(st.sampled_from(ZONES), instants, amounts, instants)
def test_around_the_clock_is_plain_elapsed_time_in_any_zone(
    zone_name: str, start: datetime, amount: timedelta, other: datetime
) -> None:
    # The far-off holiday keeps the calendar from taking the always-open shortcut.
    calendar = BusinessCalendar(zone_name, (ALL_DAY,) * 7, frozenset({date(2100, 1, 1)}))
    assert not calendar.always_open
    assert add_business_time(calendar, start, amount) == start + amount
    assert business_time_between(calendar, start, other) == other - start
    assert add_business_time(ALWAYS_OPEN, start, amount) == start + amount


@SLOW
@given(random_calendars(), instants, instants)
def test_a_holiday_takes_exactly_its_day_out(
    calendar: BusinessCalendar, a: datetime, b: datetime
) -> None:
    start, end = sorted((a, b))
    holiday = start.astimezone(ZoneInfo(calendar.timezone)).date()
    with_holiday = BusinessCalendar(
        calendar.timezone, calendar.hours, calendar.holidays | {holiday}
    )
    day_start = datetime.combine(holiday, time(), ZoneInfo(calendar.timezone)).astimezone(UTC)
    day_end = datetime.combine(
        holiday + timedelta(days=1), time(), ZoneInfo(calendar.timezone)
    ).astimezone(UTC)
    overlap = business_time_between(calendar, max(start, day_start), min(end, day_end))
    expected = business_time_between(calendar, start, end) - max(overlap, timedelta(0))
    assert business_time_between(with_holiday, start, end) == expected


# --- worked examples -----------------------------------------------------------------------------


def test_friday_afternoon_runs_into_monday_morning() -> None:
    friday = local(BERLIN, 2026, 11, 20, 16, 30)
    assert add_business_time(BERLIN_OFFICE, friday, 60) == local(BERLIN, 2026, 11, 23, 9, 30)


def test_before_opening_the_clock_starts_at_opening() -> None:
    early = local(BERLIN, 2026, 11, 18, 6, 0)
    assert add_business_time(BERLIN_OFFICE, early, 30) == local(BERLIN, 2026, 11, 18, 9, 30)
    assert business_minutes_between(BERLIN_OFFICE, early, local(BERLIN, 2026, 11, 18, 9)) == 0


def test_ending_exactly_at_closing_time() -> None:
    morning = local(BERLIN, 2026, 11, 18, 9, 0)
    assert add_business_time(BERLIN_OFFICE, morning, 8 * 60) == local(BERLIN, 2026, 11, 18, 17)


def test_holidays_are_skipped() -> None:
    # Wednesday 23 December, 16:00; the 24th to 26th are holidays, 26/27 the weekend anyway.
    start = local(BERLIN, 2026, 12, 23, 16, 0)
    assert add_business_time(BERLIN_OFFICE, start, 120) == local(BERLIN, 2026, 12, 28, 10, 0)
    assert business_minutes_between(
        BERLIN_OFFICE, start, local(BERLIN, 2026, 12, 28, 10, 0)
    ) == pytest.approx(120)


def test_split_openings_skip_the_lunch_break() -> None:
    late_morning = local(NEW_YORK, 2026, 11, 18, 11, 30)
    assert add_business_time(NEW_YORK_SPLIT, late_morning, 60) == local(
        NEW_YORK, 2026, 11, 18, 13, 30
    )


def test_office_hours_keep_to_the_wall_clock_across_the_spring_change() -> None:
    # New York moves its clocks on Sunday 8 March 2026; Friday 16:00 EST plus two hours is
    # Monday 10:00 EDT, which is 14:00 UTC (the Friday opening was at 14:00 UTC too).
    friday = local(NEW_YORK, 2026, 3, 6, 16, 0)
    monday = add_business_time(office_hours("America/New_York", time(9), time(17)), friday, 120)
    assert monday == datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    assert monday == local(NEW_YORK, 2026, 3, 9, 10, 0)


def test_the_skipped_and_the_repeated_hour() -> None:
    # Open 01:00-04:00: on 29 March Berlin skips 02:00-03:00, on 25 October it repeats it.
    spring = business_minutes_between(
        BERLIN_NIGHTS, local(BERLIN, 2026, 3, 29, 0), local(BERLIN, 2026, 3, 30, 0)
    )
    autumn = business_minutes_between(
        BERLIN_NIGHTS, local(BERLIN, 2026, 10, 25, 0), local(BERLIN, 2026, 10, 26, 0)
    )
    ordinary = business_minutes_between(
        BERLIN_NIGHTS, local(BERLIN, 2026, 6, 1, 0), local(BERLIN, 2026, 6, 2, 0)
    )
    assert (spring, ordinary, autumn) == (120, 180, 240)


def test_an_opening_that_closes_in_the_repeated_hour_runs_to_its_last_pass() -> None:
    calendar = BusinessCalendar("Europe/Berlin", (((60, 150),),) * 7)  # 01:00-02:30
    day = local(BERLIN, 2026, 10, 25, 0)
    # 01:00 CEST (23:00 UTC) to the second 02:30, in CET (01:30 UTC).
    assert business_time_between(calendar, day, day + timedelta(days=1)) == timedelta(
        hours=2, minutes=30
    )


def test_a_midnight_that_comes_twice_is_counted_once() -> None:
    havana = ZoneInfo("America/Havana")
    calendar = BusinessCalendar("America/Havana", (ALL_DAY,) * 7, frozenset({date(2100, 1, 1)}))
    saturday = local(havana, 2026, 10, 31, 12)
    monday = local(havana, 2026, 11, 2, 12)
    assert business_time_between(calendar, saturday, monday) == monday - saturday
    assert add_business_time(calendar, saturday, monday - saturday) == monday


def test_an_opening_that_starts_in_the_skipped_hour_starts_when_the_clocks_jump() -> None:
    calendar = BusinessCalendar("Europe/Berlin", (((150, 240),),) * 7)  # 02:30-04:00
    start_of_day = local(BERLIN, 2026, 3, 29, 0)
    # 03:00 CEST (01:00 UTC) is the first moment after the jump.
    assert add_business_time(calendar, start_of_day, 1) == datetime(2026, 3, 29, 1, 1, tzinfo=UTC)
    assert business_minutes_between(calendar, start_of_day, local(BERLIN, 2026, 3, 30, 0)) == 60


def test_days_are_23_and_25_hours_long_around_the_clock_changes() -> None:
    calendar = BERLIN_AROUND_THE_CLOCK
    assert business_time_between(
        calendar, local(BERLIN, 2026, 3, 29, 0), local(BERLIN, 2026, 3, 30, 0)
    ) == timedelta(hours=23)
    assert business_time_between(
        calendar, local(BERLIN, 2026, 10, 25, 0), local(BERLIN, 2026, 10, 26, 0)
    ) == timedelta(hours=25)


def test_half_hour_offset_zone() -> None:
    morning = datetime(2026, 11, 18, 4, 0, tzinfo=UTC)  # 09:30 in Kolkata
    assert add_business_time(KOLKATA_WEEKDAYS, morning, 30) == datetime(
        2026, 11, 18, 4, 30, tzinfo=UTC
    )
    assert not is_open(KOLKATA_WEEKDAYS, morning - MICROSECOND)
    assert is_open(KOLKATA_WEEKDAYS, morning)


def test_long_spans_count_whole_weeks() -> None:
    calendar = office_hours("UTC", time(9), time(17))
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    ten_years = monday + timedelta(weeks=520)
    assert business_time_between(calendar, monday, ten_years) == timedelta(hours=40 * 520)
    assert add_business_time(calendar, monday, 40 * 60 * 520) == ten_years - timedelta(
        days=2, hours=7
    )  # the last Friday's closing time


def test_nothing_to_add_returns_the_start() -> None:
    saturday = local(BERLIN, 2026, 11, 21, 12)
    assert add_business_time(BERLIN_OFFICE, saturday, 0) == saturday


def test_minutes_between_is_signed() -> None:
    a = local(BERLIN, 2026, 11, 18, 10)
    b = local(BERLIN, 2026, 11, 18, 11, 30)
    assert business_minutes_between(BERLIN_OFFICE, a, b) == 90
    assert business_minutes_between(BERLIN_OFFICE, b, a) == -90


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: BusinessCalendar("Mars/Base"), "unknown time zone 'Mars/Base'"),
        (lambda: BusinessCalendar("../etc/passwd"), "unknown time zone"),
        (lambda: BusinessCalendar("UTC", (ALL_DAY,) * 6), "expected 7 weekdays"),
        (lambda: BusinessCalendar("UTC", (((600, 540),),) * 7), "10:00-09:00 must open before"),
        (lambda: BusinessCalendar("UTC", (((0, 1500),),) * 7), "must open before it closes"),
        (
            lambda: BusinessCalendar("UTC", (((540, 720), (700, 800)),) * 7),
            "mon: openings overlap",
        ),
        (lambda: BusinessCalendar("UTC", ((),) * 7), "never open"),
    ],
)
def test_bad_calendars_are_refused(build: object, message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        build()  # type: ignore[operator]


def test_naive_times_and_negative_amounts_are_refused() -> None:
    naive = datetime(2026, 11, 18, 10)
    with pytest.raises(ValueError, match="no time zone"):
        add_business_time(BERLIN_OFFICE, naive, 10)
    with pytest.raises(ValueError, match="no time zone"):
        business_time_between(BERLIN_OFFICE, naive, naive)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(BERLIN_OFFICE, datetime(2026, 1, 1, tzinfo=UTC), -1)
