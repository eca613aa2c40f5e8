"""Settings from the TOML config file and the environment; every bad input names its key.

Every call passes `env` explicitly so the developer's real config never leaks into a test.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from platformdirs import user_config_dir, user_data_dir

from agentdesk.config import (
    DEFAULT_THEME,
    ConfigError,
    Settings,
    config_path,
    data_dir,
    load_settings,
)
from agentdesk.domain.calendar import ALL_DAY, ALWAYS_OPEN, BusinessCalendar
from agentdesk.domain.model import CustomerTier, Priority, SlaPolicy
from agentdesk.domain.sla import DEFAULT_POLICIES, DEFAULT_SLA


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"AGENTDESK_DATA_DIR": str(tmp_path / "data")}


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- paths -----------------------------------------------------------------------------------


def test_paths_default_to_platform_dirs() -> None:
    assert config_path({}) == Path(user_config_dir("agentdesk")) / "config.toml"
    assert data_dir({}) == Path(user_data_dir("agentdesk"))


def test_empty_env_values_are_ignored() -> None:
    env = {"AGENTDESK_CONFIG": "", "AGENTDESK_DATA_DIR": ""}
    assert config_path(env) == config_path({})
    assert data_dir(env) == data_dir({})


def test_env_overrides_paths_and_expands_home(tmp_path: Path) -> None:
    env = {"AGENTDESK_CONFIG": str(tmp_path / "c.toml"), "AGENTDESK_DATA_DIR": "~/agentdesk-data"}
    assert config_path(env) == tmp_path / "c.toml"
    assert data_dir(env) == Path.home() / "agentdesk-data"


# --- defaults --------------------------------------------------------------------------------


def test_missing_file_means_defaults(tmp_path: Path, env: dict[str, str]) -> None:
    missing = tmp_path / "nowhere" / "config.toml"
    settings = load_settings(missing, env)
    assert settings == Settings(
        config_path=missing,
        data_dir=tmp_path / "data",
        db_path=tmp_path / "data" / "agentdesk.db",
    )
    assert settings.default_agent is None
    assert settings.theme == DEFAULT_THEME
    assert settings.keymap == {}
    assert settings.sla == DEFAULT_SLA
    assert settings.sla.calendar == ALWAYS_OPEN
    assert settings.themes_dir == tmp_path / "data" / "themes"


def test_empty_file_means_defaults(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, "")
    assert load_settings(path, env) == Settings(
        config_path=path,
        data_dir=tmp_path / "data",
        db_path=tmp_path / "data" / "agentdesk.db",
    )


def test_agentdesk_config_env_chooses_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, 'theme = "from-env"\n')
    env = {"AGENTDESK_CONFIG": str(path), "AGENTDESK_DATA_DIR": str(tmp_path / "d")}
    settings = load_settings(env=env)
    assert settings.config_path == path
    assert settings.theme == "from-env"
    assert settings.db_path == tmp_path / "d" / "agentdesk.db"


def test_explicit_path_wins_over_env(tmp_path: Path) -> None:
    chosen = write_config(tmp_path, 'theme = "chosen"\n')
    other = tmp_path / "other.toml"
    other.write_text('theme = "other"\n', encoding="utf-8")
    settings = load_settings(chosen, {"AGENTDESK_CONFIG": str(other)})
    assert settings.theme == "chosen"


def test_settings_do_not_share_the_default_policies(tmp_path: Path, env: dict[str, str]) -> None:
    settings = load_settings(tmp_path / "missing.toml", env)
    targets = settings.sla.targets
    assert isinstance(targets, dict)
    targets[Priority.URGENT] = SlaPolicy(Priority.URGENT, 1, 2)
    assert DEFAULT_POLICIES[Priority.URGENT] == SlaPolicy(Priority.URGENT, 30, 240)
    assert load_settings(tmp_path / "missing.toml", env).sla == DEFAULT_SLA


# --- values ----------------------------------------------------------------------------------


FULL = """
agent = "senior"
theme = "agentdesk-light"
database = "~/desk/agentdesk.db"

[keymap]
"ticket.reply" = "r,ctrl+r"
"queue.pull" = "n"

[sla.urgent]
first_response_minutes = 15

[sla.low]
first_response_minutes = 600
resolution_minutes = 5000
"""


def test_full_file(tmp_path: Path, env: dict[str, str]) -> None:
    settings = load_settings(write_config(tmp_path, FULL), env)
    assert settings.default_agent == "senior"
    assert settings.theme == "agentdesk-light"
    assert settings.db_path == Path.home() / "desk" / "agentdesk.db"
    assert settings.data_dir == tmp_path / "data"
    assert settings.keymap == {"ticket.reply": "r,ctrl+r", "queue.pull": "n"}
    assert settings.sla.targets == {
        Priority.URGENT: SlaPolicy(Priority.URGENT, 15, 240),
        Priority.HIGH: DEFAULT_POLICIES[Priority.HIGH],
        Priority.NORMAL: DEFAULT_POLICIES[Priority.NORMAL],
        Priority.LOW: SlaPolicy(Priority.LOW, 600, 5000),
    }
    assert settings.sla.tiers == {}
    assert settings.sla.calendar == ALWAYS_OPEN


# --- SLA tiers and calendar ------------------------------------------------------------------


def test_tier_overrides_inherit_the_priority_target(tmp_path: Path, env: dict[str, str]) -> None:
    text = """
[sla.tiers.vip.urgent]
first_response_minutes = 10

[sla.urgent]
resolution_minutes = 120

[sla.tiers.vip.low]
first_response_minutes = 60
resolution_minutes = 600
"""
    sla = load_settings(write_config(tmp_path, text), env).sla
    # The tier's unset key comes from [sla.urgent], whichever order the tables are in.
    assert sla.policy(Priority.URGENT, CustomerTier.VIP) == SlaPolicy(Priority.URGENT, 10, 120)
    assert sla.policy(Priority.URGENT) == SlaPolicy(Priority.URGENT, 30, 120)
    assert sla.policy(Priority.LOW, CustomerTier.VIP) == SlaPolicy(Priority.LOW, 60, 600)
    assert sla.policy(Priority.HIGH, CustomerTier.VIP) == DEFAULT_POLICIES[Priority.HIGH]


def test_calendar_from_weekdays_open_close(tmp_path: Path, env: dict[str, str]) -> None:
    text = """
[sla.calendar]
timezone = "Europe/Berlin"
weekdays = "sun-thu, sat"
open = "08:30"
close = "24:00"
holidays = ["2026-12-25", 2026-12-26]
"""
    calendar = load_settings(write_config(tmp_path, text), env).sla.calendar
    day = ((510, 1440),)
    assert calendar == BusinessCalendar(
        "Europe/Berlin",
        (day, day, day, day, (), day, day),
        frozenset({date(2026, 12, 25), date(2026, 12, 26)}),
    )


def test_calendar_defaults_to_office_hours_once_any_is_given(
    tmp_path: Path, env: dict[str, str]
) -> None:
    text = '[sla.calendar]\ntimezone = "America/New_York"\nclose = "18:00"\n'
    calendar = load_settings(write_config(tmp_path, text), env).sla.calendar
    day = ((9 * 60, 18 * 60),)
    assert calendar.hours == (day,) * 5 + ((), ())


def test_calendar_with_only_a_zone_is_open_around_the_clock(
    tmp_path: Path, env: dict[str, str]
) -> None:
    text = '[sla.calendar]\ntimezone = "Asia/Tokyo"\nholidays = [2027-01-01]\n'
    calendar = load_settings(write_config(tmp_path, text), env).sla.calendar
    assert calendar.hours == (ALL_DAY,) * 7
    assert calendar.holidays == frozenset({date(2027, 1, 1)})


def test_calendar_hours_per_day(tmp_path: Path, env: dict[str, str]) -> None:
    text = """
[sla.calendar.hours]
mon = "09:00-17:00"
fri = "09:00-12:00, 13:00-16:30"
sat = "closed"
sun = ""
"""
    calendar = load_settings(write_config(tmp_path, text), env).sla.calendar
    assert calendar.timezone == "UTC"
    assert calendar.hours == (
        ((540, 1020),),
        (),
        (),
        (),
        ((540, 720), (780, 990)),
        (),
        (),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[sla.calendar]\ntimezone = "Mars/Base"\n',
            "sla.calendar.timezone: unknown time zone 'Mars/Base'",
        ),
        ("[sla.calendar]\ntimezone = 5\n", "sla.calendar.timezone: expected a name"),
        (
            "[sla.urgent]\nfirst_response_minutes = 300\n",
            "sla.urgent: first_response_minutes (300) is longer than resolution_minutes (240)",
        ),
        (
            "[sla.tiers.vip.high]\nfirst_response_minutes = 600\n",
            "sla.tiers.vip.high: first_response_minutes (600) is longer",
        ),
        (
            "[sla.tiers.gold.high]\nresolution_minutes = 5\n",
            "sla.tiers.gold: unknown customer tier",
        ),
        ("[sla.tiers.vip.soon]\nresolution_minutes = 5\n", "sla.tiers.vip.soon: unknown priority"),
        ("[sla.tiers.vip.high]\nresolution_minutes = 0\n", "sla.tiers.vip.high.resolution_minutes"),
        ("[sla]\ntiers = 3\n", "sla.tiers: expected a table"),
        ("[sla.tiers]\nvip = 3\n", "sla.tiers.vip: expected a table"),
        ("[sla]\ncalendar = 3\n", "sla.calendar: expected a table"),
        ('[sla.calendar]\nzone = "UTC"\n', "sla.calendar.zone: unknown key"),
        ('[sla.calendar]\nopen = "9am"\n', "sla.calendar.open: expected a time such as"),
        ('[sla.calendar]\nclose = "24:30"\n', "sla.calendar.close: expected a time"),
        ('[sla.calendar]\nclose = "12:60"\n', "sla.calendar.close: expected a time"),
        ("[sla.calendar]\nclose = 17\n", "sla.calendar.close: expected a time"),
        (
            '[sla.calendar]\nopen = "18:00"\nclose = "08:00"\n',
            "sla.calendar.close: 18:00-08:00 must open before it closes",
        ),
        ('[sla.calendar]\nweekdays = "mon-fry"\n', "sla.calendar.weekdays: unknown weekday 'fry'"),
        ('[sla.calendar]\nweekdays = ""\n', "sla.calendar.weekdays: expected days"),
        ("[sla.calendar]\nweekdays = 5\n", "sla.calendar.weekdays: expected days"),
        (
            '[sla.calendar]\nweekdays = "mon"\n[sla.calendar.hours]\nmon = "09:00-10:00"\n',
            "sla.calendar.weekdays: give either [sla.calendar.hours] or weekdays/open/close",
        ),
        ("[sla.calendar]\nhours = 3\n", "sla.calendar.hours: expected a table"),
        (
            '[sla.calendar.hours]\nfunday = "09:00-10:00"\n',
            "sla.calendar.hours.funday: unknown weekday",
        ),
        ("[sla.calendar.hours]\nmon = 9\n", "sla.calendar.hours.mon: expected opening hours"),
        ('[sla.calendar.hours]\nmon = "09:00"\n', "sla.calendar.hours.mon: expected a range"),
        ('[sla.calendar.hours]\ntue = "09:00-x"\n', "sla.calendar.hours.tue: expected a time"),
        (
            '[sla.calendar.hours]\nwed = "22:00-06:00"\n',
            "sla.calendar.hours.wed: 22:00-06:00 must open before it closes",
        ),
        (
            '[sla.calendar.hours]\nthu = "09:00-12:00, 11:00-13:00"\n',
            "sla.calendar.hours.thu: openings overlap",
        ),
        (
            '[sla.calendar.hours]\nsat = "closed"\n',
            "sla.calendar.hours: every day is closed",
        ),
        ('[sla.calendar]\nholidays = "2026-12-25"\n', "sla.calendar.holidays: expected a list"),
        (
            '[sla.calendar]\nholidays = ["2026-12-25", "xmas"]\n',
            "sla.calendar.holidays[1]: expected a date such as 2026-12-25, got 'xmas'",
        ),
        (
            "[sla.calendar]\nholidays = [2026-12-25T10:00:00]\n",
            "sla.calendar.holidays[0]: expected a date",
        ),
    ],
)
def test_bad_sla_values_name_the_key(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(write_config(tmp_path, text), env)
    assert message in str(raised.value)


def test_database_path_as_given(tmp_path: Path, env: dict[str, str]) -> None:
    db = tmp_path / "elsewhere.db"
    settings = load_settings(write_config(tmp_path, f"database = '{db}'\n"), env)
    assert settings.db_path == db


# --- bad input: each error names the key -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('colour = "red"\n', "'colour'"),
        ("[sla.critical]\nfirst_response_minutes = 5\n", "sla.critical"),
        ("[sla.urgent]\nfirst_response_minutes = -5\n", "sla.urgent.first_response_minutes"),
        ("[sla.high]\nresolution_minutes = 0\n", "sla.high.resolution_minutes"),
        ("[sla.high]\nresolution_minutes = 1.5\n", "sla.high.resolution_minutes"),
        ("[sla.high]\nresolution_minutes = true\n", "sla.high.resolution_minutes"),
        ('[sla.high]\nresolution_minutes = "60"\n', "sla.high.resolution_minutes"),
        ("[sla.high]\nrespond_minutes = 5\n", "sla.high.respond_minutes"),
        ("sla = 5\n", "sla"),
        ("[sla]\nurgent = 5\n", "sla.urgent"),
        ('[keymap]\n"ticket.reply" = 5\n', "keymap.ticket.reply"),
        ('[keymap]\n"ticket.reply" = ["r"]\n', "keymap.ticket.reply"),
        ('[keymap]\n"ticket.reply" = "  "\n', "keymap.ticket.reply"),
        ('keymap = "r"\n', "keymap"),
        ("theme = 3\n", "theme"),
        ('theme = ""\n', "theme"),
        ("agent = false\n", "agent"),
        ('database = ""\n', "database"),
    ],
)
def test_bad_values_raise_config_error_naming_the_key(
    tmp_path: Path, env: dict[str, str], text: str, named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(write_config(tmp_path, text), env)
    assert named in str(raised.value)


def test_invalid_toml_names_the_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, "theme = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as raised:
        load_settings(path, env)
    assert str(path) in str(raised.value)


def test_unreadable_file_is_a_config_error(tmp_path: Path, env: dict[str, str]) -> None:
    not_utf8 = tmp_path / "latin1.toml"
    not_utf8.write_bytes('theme = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(not_utf8, env)
    a_directory = tmp_path / "dir.toml"
    a_directory.mkdir()
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(a_directory, env)
