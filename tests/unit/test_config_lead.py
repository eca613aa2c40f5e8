"""The `[lead.alerts]` settings: defaults, a full table, and bad values naming their key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.config import ConfigError, load_settings
from agentdesk.domain.lead_alerts import AlertPolicy


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"AGENTDESK_DATA_DIR": str(tmp_path / "data")}


def settings_from(tmp_path: Path, env: dict[str, str], text: str) -> AlertPolicy:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_settings(path, env).lead_alerts


def test_no_table_means_the_defaults(tmp_path: Path, env: dict[str, str]) -> None:
    assert settings_from(tmp_path, env, "") == AlertPolicy()
    assert settings_from(tmp_path, env, "[lead]\n") == AlertPolicy()


def test_a_full_table(tmp_path: Path, env: dict[str, str]) -> None:
    text = """
[lead.alerts]
queue_length = 30
queue_wait_minutes = 45
breach_coming = 3
breached = 0
over_capacity = 2
cooldown_minutes = 5
quiet_arrivals_per_hour = 8
quiet_idle_agents = 4
"""
    assert settings_from(tmp_path, env, text) == AlertPolicy(
        queue_length=30,
        queue_wait=timedelta(minutes=45),
        breach_coming=3,
        breached=0,
        over_capacity=2,
        cooldown=timedelta(minutes=5),
        quiet_arrivals=8,
        quiet_idle_agents=4,
    )


def test_keys_left_out_keep_their_defaults(tmp_path: Path, env: dict[str, str]) -> None:
    policy = settings_from(tmp_path, env, "[lead.alerts]\nqueue_length = 7\n")
    assert policy.queue_length == 7
    assert policy.cooldown == AlertPolicy().cooldown


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lead = 3\n", "lead: expected a table such as [lead.alerts]"),
        ("[lead.alarms]\n", "lead.alarms: unknown key (known: alerts)"),
        ('[lead]\nalerts = "on"\n', "lead.alerts: expected a table"),
        ("[lead.alerts]\nqueue_size = 3\n", "lead.alerts.queue_size: unknown key (known: "),
        (
            "[lead.alerts]\nqueue_length = -1\n",
            "lead.alerts.queue_length: expected a whole number from 0 to 100000, got -1",
        ),
        ("[lead.alerts]\nqueue_wait_minutes = 2.5\n", "lead.alerts.queue_wait_minutes: expected"),
        ("[lead.alerts]\nbreached = true\n", "lead.alerts.breached: expected"),
        ('[lead.alerts]\nover_capacity = "1"\n', "lead.alerts.over_capacity: expected"),
        (
            "[lead.alerts]\ncooldown_minutes = 0\n",
            "lead.alerts.cooldown_minutes: expected at least 1 minute, got 0",
        ),
        (
            "[lead.alerts]\nqueue_wait_minutes = 900000\n",
            "lead.alerts.queue_wait_minutes: expected a whole number from 0 to 10080",
        ),
    ],
)
def test_bad_values_name_the_key(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(tmp_path, env, text)
    assert message in str(raised.value)
