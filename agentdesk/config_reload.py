"""Keeping the last good config: fall back to it at launch, and reload settings while running.

Each time the config file loads cleanly a copy goes to `<data dir>/last-good-config.toml`.
If the file is broken at the next launch, agentdesk starts with that copy and says why (the
error names the key); with no copy, the error stops the launch as before. A reload while the
app runs either brings in the whole new file or, on any error, changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from agentdesk.config import ConfigError, Settings, config_path, data_dir, load_settings

LAST_GOOD_NAME = "last-good-config.toml"


def last_good_path(directory: Path) -> Path:
    return directory / LAST_GOOD_NAME


def remember(settings: Settings) -> None:
    """Keep a copy of the config file `settings` were loaded from cleanly."""
    source = settings.config_path
    target = last_good_path(settings.data_dir)
    partial = target.with_name(target.name + ".partial")
    try:
        if not source.is_file():
            return
        data = source.read_bytes()
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError:
        # Only a safety net: failing to keep a copy must not stop agentdesk from starting.
        return


def load_or_fall_back(path: Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """The settings of the config file; if it is broken, those of its last good copy.

    Falling back puts the error in `Settings.notices`; with no usable copy the ConfigError
    is raised.
    """
    env = os.environ if env is None else env
    try:
        settings = load_settings(path, env)
    except ConfigError as error:
        fallback = _last_good(path or config_path(env), env, error)
        if fallback is None:
            raise
        return fallback
    remember(settings)
    return settings


def _last_good(path: Path, env: Mapping[str, str], error: ConfigError) -> Settings | None:
    saved = last_good_path(data_dir(env))
    try:
        if not saved.is_file():
            return None
        good = load_settings(saved, env)
        when = datetime.fromtimestamp(saved.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except (ConfigError, OSError):
        return None
    notice = (
        f"{error}\nStarted with the last good settings (from {when}); "
        "fix the file, then reload the settings."
    )
    return replace(good, config_path=path, notices=(notice,))


def reload_settings(current: Settings) -> Settings:
    """The config file read again; a ConfigError means `current` stays as it is.

    The database and data dir stay those the app opened with.
    """
    env = {"AGENTDESK_DATA_DIR": str(current.data_dir)}
    settings = load_settings(current.config_path, env)
    settings = replace(settings, data_dir=current.data_dir, db_path=current.db_path)
    remember(settings)
    return settings
