"""Settings from the TOML config file, with paths from platformdirs.

The config file lives at `AGENTDESK_CONFIG` or the user's config dir; the data dir (default
database, user themes) at `AGENTDESK_DATA_DIR` or the user's data dir. Settings are passed into
the app, never read from globals.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_config_dir, user_data_dir

from agentdesk.config_routing import default_policy, parse_routing
from agentdesk.domain.model import Priority, SlaPolicy
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.domain.sla import DEFAULT_POLICIES

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
    sla: dict[Priority, SlaPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))
    routing: RoutingPolicy = field(default_factory=default_policy)

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


def _sla(raw: object) -> dict[Priority, SlaPolicy]:
    policies = dict(DEFAULT_POLICIES)
    if raw is None:
        return policies
    if not isinstance(raw, dict):
        raise ConfigError("sla: expected a table such as [sla.urgent]")
    for name, table in raw.items():
        try:
            priority = Priority(name)
        except ValueError:
            choices = ", ".join(p.value for p in Priority)
            raise ConfigError(f"sla.{name}: unknown priority (choose from {choices})") from None
        if not isinstance(table, dict):
            raise ConfigError(f"sla.{name}: expected a table")
        current = policies[priority]
        values: dict[str, int] = {
            "first_response_minutes": current.first_response_minutes,
            "resolution_minutes": current.resolution_minutes,
        }
        for key, value in table.items():
            if key not in values:
                raise ConfigError(f"sla.{name}.{key}: unknown key (use {', '.join(values)})")
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ConfigError(f"sla.{name}.{key}: expected a positive whole number of minutes")
            values[key] = value
        policies[priority] = SlaPolicy(priority, **values)
    return policies


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


KNOWN_KEYS = {"agent", "theme", "database", "keymap", "sla", "routing"}


def load_settings(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Read the config file if it exists; a missing file means defaults."""
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
        routing=parse_routing(raw.get("routing")),
    )
