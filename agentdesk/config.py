"""Settings from the TOML config file, with paths from platformdirs.

The config file lives at `AGENTDESK_CONFIG` or the user's config dir; the data dir (default
database, user themes) at `AGENTDESK_DATA_DIR` or the user's data dir. Settings are passed into
the app, never read from globals.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar

from platformdirs import user_config_dir, user_data_dir

from agentdesk.config_routing import default_policy, parse_routing
from agentdesk.domain.calendar import (
    ALL_DAY,
    ALWAYS_OPEN,
    MINUTES_PER_DAY,
    WEEKDAYS,
    BusinessCalendar,
    CalendarError,
    DayHours,
    check_openings,
    zone,
)
from agentdesk.domain.held_claims import ReservePolicy
from agentdesk.domain.lead_alerts import AlertPolicy
from agentdesk.domain.model import CustomerTier, Priority, SlaPolicy
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.domain.sla import DEFAULT_POLICIES, SlaPolicies
from agentdesk.domain.transfers import TransferRule

APP_NAME = "agentdesk"
DEFAULT_THEME = "agentdesk-dark"


class ConfigError(Exception):
    """The config file is unreadable or a key holds a bad value; the message names the key."""


@dataclass(frozen=True, slots=True)
class Settings:
    config_path: Path
    data_dir: Path
    db_path: Path
    default_agent: str | None = None
    theme: str = DEFAULT_THEME
    # binding id (e.g. "ticket.reply") -> comma-separated keys (e.g. "r,ctrl+r")
    keymap: dict[str, str] = field(default_factory=dict)
    sla: SlaPolicies = field(default_factory=SlaPolicies)
    transfer_rules: tuple[TransferRule, ...] = ()
    # Problems met while loading that did not stop it (a broken file, the last good one used).
    notices: tuple[str, ...] = ()
    routing: RoutingPolicy = field(default_factory=default_policy)
    reserve: ReservePolicy = field(default_factory=ReservePolicy)
    lead_alerts: AlertPolicy = field(default_factory=AlertPolicy)

    @property
    def themes_dir(self) -> Path:
        return self.data_dir / "themes"


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("AGENTDESK_CONFIG"):
        return Path(env["AGENTDESK_CONFIG"]).expanduser()
    return Path(user_config_dir(APP_NAME)) / "config.toml"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("AGENTDESK_DATA_DIR"):
        return Path(env["AGENTDESK_DATA_DIR"]).expanduser()
    return Path(user_data_dir(APP_NAME))


def _string(raw: Mapping[str, object], key: str, where: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}{key}: expected a non-empty string, got {value!r}")
    return value


# -- [sla] -----------------------------------------------------------------------------------------
# [sla.<priority>]              first_response_minutes, resolution_minutes
# [sla.tiers.<tier>.<priority>] the same, for one customer tier (unset keys: the priority's)
# [sla.calendar]                timezone, holidays, and either weekdays/open/close or [hours]
POLICY_KEYS = ("first_response_minutes", "resolution_minutes")
CALENDAR_KEYS = ("timezone", "weekdays", "open", "close", "hours", "holidays")
DEFAULT_OPEN, DEFAULT_CLOSE, DEFAULT_WEEKDAYS = "09:00", "17:00", "mon-fri"
Choice = TypeVar("Choice", Priority, CustomerTier)
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


def _table(value: object, key: str, example: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a table such as {example}")
    return value


def _choice(kind: type[Choice], name: str, key: str, what: str) -> Choice:
    try:
        return kind(name)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise ConfigError(f"{key}: unknown {what} (choose from {choices})") from None


def _sla(raw: object) -> SlaPolicies:
    if raw is None:
        return SlaPolicies()
    table = _table(raw, "sla", "[sla.urgent]")
    targets = dict(DEFAULT_POLICIES)
    for name, value in table.items():
        if name in ("tiers", "calendar"):
            continue
        if name not in set(Priority):
            choices = ", ".join(p.value for p in Priority)
            raise ConfigError(
                f"sla.{name}: unknown key (a priority: {choices}; or tiers, calendar)"
            )
        priority = Priority(name)
        targets[priority] = _policy(value, targets[priority], f"sla.{name}")
    return SlaPolicies(
        targets=targets,
        tiers=_tiers(table["tiers"], targets) if "tiers" in table else {},
        calendar=_calendar(table["calendar"]) if "calendar" in table else ALWAYS_OPEN,
    )


def _tiers(
    raw: object, targets: Mapping[Priority, SlaPolicy]
) -> dict[CustomerTier, dict[Priority, SlaPolicy]]:
    """Per-tier overrides; a key left out keeps the priority's own target."""
    tiers: dict[CustomerTier, dict[Priority, SlaPolicy]] = {}
    for tier_name, tier_table in _table(raw, "sla.tiers", "[sla.tiers.vip.urgent]").items():
        tier_key = f"sla.tiers.{tier_name}"
        tier = _choice(CustomerTier, tier_name, tier_key, "customer tier")
        overrides: dict[Priority, SlaPolicy] = {}
        for name, value in _table(tier_table, tier_key, f"[{tier_key}.urgent]").items():
            priority = _choice(Priority, name, f"{tier_key}.{name}", "priority")
            overrides[priority] = _policy(value, targets[priority], f"{tier_key}.{name}")
        tiers[tier] = overrides
    return tiers


def _policy(raw: object, base: SlaPolicy, key: str) -> SlaPolicy:
    values = {name: getattr(base, name) for name in POLICY_KEYS}
    for name, value in _table(raw, key, f"[{key}]").items():
        if name not in values:
            raise ConfigError(f"{key}.{name}: unknown key (use {', '.join(POLICY_KEYS)})")
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{key}.{name}: expected a positive whole number of minutes")
        values[name] = value
    first, resolution = values["first_response_minutes"], values["resolution_minutes"]
    if first > resolution:
        raise ConfigError(
            f"{key}: first_response_minutes ({first}) is longer than "
            f"resolution_minutes ({resolution}); a reply cannot be due after the fix"
        )
    return SlaPolicy(base.priority, first, resolution)


def _calendar(raw: object) -> BusinessCalendar:
    table = _table(raw, "sla.calendar", '[sla.calendar] with timezone = "Europe/Berlin"')
    for name in table:
        if name not in CALENDAR_KEYS:
            raise ConfigError(f"sla.calendar.{name}: unknown key (use {', '.join(CALENDAR_KEYS)})")
    timezone = table.get("timezone", "UTC")
    if not isinstance(timezone, str):
        raise ConfigError('sla.calendar.timezone: expected a name such as "Europe/Berlin"')
    try:
        zone(timezone)
    except CalendarError as error:
        raise ConfigError(f"sla.calendar.timezone: {error}") from None
    weekly = [name for name in ("weekdays", "open", "close") if name in table]
    if "hours" in table:
        if weekly:
            raise ConfigError(
                f"sla.calendar.{weekly[0]}: give either [sla.calendar.hours] or "
                "weekdays/open/close, not both"
            )
        hours = _hours_by_day(table["hours"])
    elif weekly:
        hours = _weekly_hours(table)
    else:
        hours = (ALL_DAY,) * 7
    holidays = _holidays(table.get("holidays", []))
    try:
        return BusinessCalendar(timezone, hours, holidays)
    except CalendarError as error:
        raise ConfigError(f"sla.calendar: {error}") from None


def _weekly_hours(table: Mapping[str, object]) -> tuple[DayHours, ...]:
    days = _weekdays(table.get("weekdays", DEFAULT_WEEKDAYS), "sla.calendar.weekdays")
    opens = _minute(table.get("open", DEFAULT_OPEN), "sla.calendar.open")
    closes = _minute(table.get("close", DEFAULT_CLOSE), "sla.calendar.close")
    opening = ((opens, closes),)
    _openings(opening, "sla.calendar.close")
    return tuple(opening if day in days else () for day in range(7))


def _hours_by_day(raw: object) -> tuple[DayHours, ...]:
    table = _table(raw, "sla.calendar.hours", '[sla.calendar.hours] with mon = "09:00-17:00"')
    hours: list[DayHours] = [()] * 7
    for name, value in table.items():
        key = f"sla.calendar.hours.{name}"
        name = name.lower()
        if name not in WEEKDAYS:
            raise ConfigError(f"{key}: unknown weekday (use {', '.join(WEEKDAYS)})")
        if not isinstance(value, str):
            raise ConfigError(f'{key}: expected opening hours such as "09:00-17:00" or "closed"')
        text = value.strip().lower()
        openings: list[tuple[int, int]] = []
        if text not in ("", "closed"):
            for part in text.split(","):
                start, dash, end = part.partition("-")
                if not dash:
                    raise ConfigError(
                        f"{key}: expected a range such as 09:00-17:00, got {part.strip()!r}"
                    )
                openings.append((_minute(start.strip(), key), _minute(end.strip(), key)))
        hours[WEEKDAYS.index(name)] = _openings(tuple(openings), key)
    if not any(hours):
        raise ConfigError("sla.calendar.hours: every day is closed; the SLA clock would never run")
    return tuple(hours)


def _openings(openings: DayHours, key: str) -> DayHours:
    try:
        check_openings(openings, key)
    except CalendarError as error:
        raise ConfigError(str(error)) from None
    return openings


def _minute(value: object, key: str) -> int:
    """Minutes after midnight of a "HH:MM" clock time; "24:00" is the midnight after."""
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        hour, minute = int(match[1]), int(match[2])
        if minute < 60 and hour * 60 + minute <= MINUTES_PER_DAY:
            return hour * 60 + minute
    raise ConfigError(f'{key}: expected a time such as "09:00" (00:00 to 24:00), got {value!r}')


def _weekdays(value: object, key: str) -> frozenset[int]:
    """Days from "mon-fri", "mon,wed,fri" or "sun-thu" (a range may wrap past Sunday)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{key}: expected days such as "mon-fri" or "mon,wed,fri"')
    days: set[int] = set()
    for part in value.lower().split(","):
        first, dash, last = (piece.strip() for piece in part.partition("-"))
        for name in (first, last) if dash else (first,):
            if name not in WEEKDAYS:
                raise ConfigError(f"{key}: unknown weekday {name!r} (use {', '.join(WEEKDAYS)})")
        start = WEEKDAYS.index(first)
        span = (WEEKDAYS.index(last) - start) % 7 if dash else 0
        days.update((start + step) % 7 for step in range(span + 1))
    return frozenset(days)


def _holidays(value: object) -> frozenset[date]:
    if not isinstance(value, list):
        raise ConfigError('sla.calendar.holidays: expected a list of dates such as ["2026-12-25"]')
    found: set[date] = set()
    for index, item in enumerate(value):
        day: date | None = None
        if isinstance(item, date) and not isinstance(item, datetime):
            day = item
        elif isinstance(item, str):
            try:
                day = date.fromisoformat(item.strip())
            except ValueError:
                day = None
        if day is None:
            raise ConfigError(
                f"sla.calendar.holidays[{index}]: expected a date such as 2026-12-25, got {item!r}"
            )
        found.add(day)
    return frozenset(found)


def _keymap(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError('keymap: expected a table of binding id = "keys"')
    keymap: dict[str, str] = {}
    for binding_id, keys in raw.items():
        if not isinstance(keys, str) or not keys.strip():
            raise ConfigError(f'keymap.{binding_id}: expected keys such as "r" or "ctrl+r"')
        keymap[str(binding_id)] = keys
    return keymap


KNOWN_KEYS = {"agent", "theme", "database", "keymap", "sla", "routing", "transfer", "sync", "lead"}


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file if it exists; a missing file means defaults."""
    from agentdesk.config_lead import parse_lead  # it imports ConfigError from here
    from agentdesk.config_sync import parse_sync  # it imports ConfigError from here
    from agentdesk.config_transfer import transfer_rules  # it imports ConfigError from here

    env = os.environ if env is None else env
    path = path or config_path(env)
    raw: dict[str, object] = {}
    if path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML ({error})") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot be read ({error})") from None
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(KNOWN_KEYS))})"
        )
    directory = data_dir(env)
    database = _string(raw, "database", "")
    return Settings(
        config_path=path,
        data_dir=directory,
        db_path=Path(database).expanduser() if database else directory / "agentdesk.db",
        default_agent=_string(raw, "agent", ""),
        theme=_string(raw, "theme", "") or DEFAULT_THEME,
        keymap=_keymap(raw.get("keymap")),
        sla=_sla(raw.get("sla")),
        transfer_rules=transfer_rules(raw.get("transfer")),
        routing=parse_routing(raw.get("routing")),
        reserve=parse_sync(raw.get("sync")),
        lead_alerts=parse_lead(raw.get("lead")),
    )
