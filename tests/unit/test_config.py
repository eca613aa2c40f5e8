"""Settings from the TOML config file and the environment; every bad input names its key.

Every call passes `env` explicitly so the developer's real config never leaks into a test.
"""

from __future__ import annotations

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
from agentdesk.domain.model import Priority, SlaPolicy
from agentdesk.domain.sla import DEFAULT_POLICIES


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
    assert settings.sla == DEFAULT_POLICIES
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
    settings.sla[Priority.URGENT] = SlaPolicy(Priority.URGENT, 1, 2)
    assert DEFAULT_POLICIES[Priority.URGENT] == SlaPolicy(Priority.URGENT, 30, 240)
    assert load_settings(tmp_path / "missing.toml", env).sla == DEFAULT_POLICIES


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
    assert settings.sla == {
        Priority.URGENT: SlaPolicy(Priority.URGENT, 15, 240),
        Priority.HIGH: DEFAULT_POLICIES[Priority.HIGH],
        Priority.NORMAL: DEFAULT_POLICIES[Priority.NORMAL],
        Priority.LOW: SlaPolicy(Priority.LOW, 600, 5000),
    }


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
