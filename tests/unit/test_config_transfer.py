"""`[[transfer.rules]]` in the config file; the last good config kept and fallen back on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentdesk.config import ConfigError, Settings, load_settings
from agentdesk.config_reload import (
    last_good_path,
    load_or_fall_back,
    reload_settings,
    remember,
)
from agentdesk.config_transfer import check_departments
from agentdesk.domain.model import Channel, CustomerTier
from agentdesk.domain.transfers import TransferRule

RULES = """
[[transfer.rules]]
name = "refund-fraud"
department = "billing"
note = "Check the payment history."
intents = ["get_refund", "payment_issue"]
keywords = ["fraud", "stolen card"]

[[transfer.rules]]
name = "vip-phone"
department = "general"
intent = "complaint"
channels = ["phone", "Chat"]
customer_tiers = ["vip"]
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"AGENTDESK_DATA_DIR": str(tmp_path / "data")}


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_rules_are_read_in_file_order(tmp_path: Path, env: dict[str, str]) -> None:
    settings = load_settings(write_config(tmp_path, RULES), env)
    fraud, vip = settings.transfer_rules
    assert fraud == TransferRule(
        "refund-fraud",
        "billing",
        "Check the payment history.",
        intents=frozenset({"get_refund", "payment_issue"}),
        keywords=("fraud", "stolen card"),
    )
    assert vip.intents == frozenset({"complaint"})
    assert vip.channels == frozenset({Channel.PHONE, Channel.CHAT})
    assert vip.customer_tiers == frozenset({CustomerTier.VIP})
    assert vip.note == "Moved by the transfer rule 'vip-phone'."


def test_no_transfer_table_means_no_rules(tmp_path: Path, env: dict[str, str]) -> None:
    assert load_settings(write_config(tmp_path, ""), env).transfer_rules == ()
    assert load_settings(write_config(tmp_path, "[transfer]\n"), env).transfer_rules == ()


RULE = '[[transfer.rules]]\nname = "r"\ndepartment = "billing"\nintent = "x"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("transfer = 3\n", "transfer: expected a table"),
        ("[transfer]\nrule = []\n", "transfer.rule: unknown key"),
        ("[transfer]\nrules = 5\n", "transfer.rules: expected [[transfer.rules]] tables"),
        ("[transfer]\nrules = [5]\n", "transfer.rules[1]: expected a table"),
        (RULE + 'channels = ["fax"]\n', "transfer.rules[1].channels: unknown channel 'fax'"),
        (RULE + 'customer_tiers = ["gold"]\n', "transfer.rules[1].customer_tiers: unknown tier"),
        (RULE + 'channels = "phone"\n', "transfer.rules[1].channels: expected a list"),
        (RULE + "keywords = [1]\n", "transfer.rules[1].keywords: expected non-empty strings"),
        (RULE + 'keywords = [" "]\n', "transfer.rules[1].keywords: expected non-empty strings"),
        (RULE + 'intents = ["y"]\n', "transfer.rules[1].intents: give intent or intents"),
        (RULE + 'colour = "red"\n', "transfer.rules[1].colour: unknown key"),
        (RULE + "note = 5\n", "transfer.rules[1].note: expected a non-empty string"),
        (RULE + RULE, "transfer.rules[2].name: 'r' is used twice"),
        (RULE + '[[transfer.rules]]\ndepartment = "x"\nintent = "y"\n', "rules[2].name"),
        ('[[transfer.rules]]\nname = "r"\nintent = "x"\n', "transfer.rules[1].department"),
        ('[[transfer.rules]]\nname = "r"\ndepartment = "b"\n', "rules[1]: a rule needs a"),
        ('[[transfer.rules]]\nname = "r"\ndepartment = "b"\nintents = []\n', "needs a"),
    ],
)
def test_bad_rules_name_the_key(
    tmp_path: Path, env: dict[str, str], text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(write_config(tmp_path, text), env)
    assert message in str(raised.value)


def test_unknown_channel_lists_the_choices(tmp_path: Path, env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(write_config(tmp_path, RULE + 'channels = ["fax"]\n'), env)
    assert str(raised.value) == (
        "transfer.rules[1].channels: unknown channel 'fax' "
        "(choose from email, chat, phone, web, social)"
    )


def test_rules_for_departments_the_store_lacks_are_left_out_and_reported(
    tmp_path: Path, env: dict[str, str]
) -> None:
    fraud, vip = load_settings(write_config(tmp_path, RULES), env).transfer_rules
    kept, problems = check_departments((fraud, vip), {"billing", "technical"})
    assert kept == (fraud,)
    assert problems == [
        "transfer rule 'vip-phone': no department 'general' (known: billing, technical); "
        "the rule is ignored"
    ]
    assert check_departments((fraud, vip), {"billing", "general"}) == ((fraud, vip), [])


# -- the last good config ----------------------------------------------------------------------
def test_a_clean_load_keeps_a_copy_and_a_broken_file_falls_back_to_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    path = write_config(tmp_path, 'theme = "agentdesk-light"\n' + RULES)
    first = load_or_fall_back(path, env)
    saved = last_good_path(tmp_path / "data")
    assert saved.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")
    assert first.notices == ()

    path.write_text(RULES + RULE.replace('"x"', "5"), encoding="utf-8")
    fallback = load_or_fall_back(path, env)
    assert fallback.theme == "agentdesk-light"
    assert fallback.transfer_rules == first.transfer_rules
    assert fallback.config_path == path  # a reload reads the real file again
    (notice,) = fallback.notices
    assert notice.startswith("transfer.rules[3].intent: expected a non-empty string")
    assert "last good settings" in notice
    # The broken file did not replace the copy.
    assert "refund-fraud" in saved.read_text(encoding="utf-8")
    assert "intent = 5" not in saved.read_text(encoding="utf-8")


def test_without_a_copy_a_broken_file_is_an_error(tmp_path: Path, env: dict[str, str]) -> None:
    path = write_config(tmp_path, 'theme = ""\n')
    with pytest.raises(ConfigError, match="theme"):
        load_or_fall_back(path, env)
    saved = last_good_path(tmp_path / "data")
    saved.parent.mkdir()
    saved.write_text("not = [valid", encoding="utf-8")  # a damaged copy is no help either
    with pytest.raises(ConfigError, match="theme"):
        load_or_fall_back(path, env)


def test_a_missing_file_means_defaults_and_no_copy(tmp_path: Path, env: dict[str, str]) -> None:
    settings = load_or_fall_back(tmp_path / "none.toml", env)
    assert settings.transfer_rules == ()
    assert not last_good_path(tmp_path / "data").exists()


def test_a_copy_that_cannot_be_written_does_not_stop_loading(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data dir should be", encoding="utf-8")
    path = write_config(tmp_path, RULES)
    settings = load_or_fall_back(path, {"AGENTDESK_DATA_DIR": str(blocker)})
    assert len(settings.transfer_rules) == 2


def test_reload_reads_the_file_again_and_keeps_the_open_database(tmp_path: Path) -> None:
    path = write_config(tmp_path, RULE)
    current = Settings(config_path=path, data_dir=tmp_path / "d", db_path=tmp_path / "open.db")
    path.write_text(f'database = "{tmp_path / "other.db"}"\n' + RULES, encoding="utf-8")
    reloaded = reload_settings(current)
    assert [rule.name for rule in reloaded.transfer_rules] == ["refund-fraud", "vip-phone"]
    assert (reloaded.db_path, reloaded.data_dir) == (current.db_path, current.data_dir)
    assert last_good_path(tmp_path / "d").is_file()
    path.write_text(RULE + 'channels = ["fax"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"transfer.rules\[1\].channels"):
        reload_settings(reloaded)


def test_remember_replaces_the_copy_whole(tmp_path: Path) -> None:
    path = write_config(tmp_path, RULE)
    settings = Settings(config_path=path, data_dir=tmp_path / "d", db_path=tmp_path / "x.db")
    remember(settings)
    path.write_text(RULES, encoding="utf-8")
    remember(settings)
    saved = last_good_path(tmp_path / "d")
    assert saved.read_text(encoding="utf-8") == RULES
    assert os.listdir(tmp_path / "d") == [saved.name]  # no partial file left behind
