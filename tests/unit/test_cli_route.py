"""`agentdesk route explain`: the recorded explanation, a preview for an agent, clear errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentdesk.cli import main
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import AGENTS, NOW, seed

JUNIOR = AGENTS[0]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AGENTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AGENTDESK_CONFIG", str(tmp_path / "config.toml"))
    yield tmp_path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The fixture desk, after junior pulled one ticket (#2)."""
    path = tmp_path / "desk.db"

    async def build() -> None:
        async with SqliteStore(path, create=True) as store:
            await seed(store)
            pulled = await store.claim_next(JUNIOR, NOW)
            assert pulled is not None and pulled.number == 2

    asyncio.run(build())
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["route", "explain", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_shows_what_was_recorded_when_routing_assigned_the_ticket(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for ticket in ("#2", "2"):
        code, out, err = run(capsys, ticket, "--db", str(db))
        assert (code, err) == (0, "")
        lines = out.splitlines()
        assert lines[0].startswith("#2: Score ") and lines[0].endswith("(pulled by junior)")
        assert lines[1].startswith("SLA risk ") and lines[4].startswith("Skill fit  25/25")
        assert "Eligible:" in lines and "  ✓ vip: not a VIP customer" in lines
        assert lines[-1] == "Recorded 2026-11-20 09:00 UTC, when it was assigned."


def test_json_holds_the_parts_and_checks(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "#2", "--json", "--db", str(db))
    assert code == 0
    shown = json.loads(out)
    assert shown["ticket_number"] == 2 and shown["mode"] == "pull"
    assert [part["name"] for part in shown["parts"]] == [
        "sla_risk",
        "priority",
        "waiting",
        "skill_fit",
    ]
    assert shown["total"] == pytest.approx(sum(part["points"] for part in shown["parts"]))
    assert all(check["passed"] for check in shown["checks"])


def test_an_agent_gets_a_preview_of_how_pull_next_weighs_a_ticket(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "4", "--agent", "junior", "--db", str(db))
    assert code == 0
    assert out.splitlines()[0].endswith("(for junior)")
    assert "Not eligible now:" in out
    assert "  ✗ skill: complaints: you lack it, needs 2 (standard)" in out
    assert out.splitlines()[-1].startswith("As of ")


def test_the_config_agent_is_used_for_tickets_routing_did_not_assign(
    db: Path, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "#4", "--db", str(db))
    assert code == 1
    assert err == (
        "agentdesk: routing did not assign #4; pass --agent HANDLE to see how pull-next "
        "weighs it for that agent\n"
    )
    (isolated / "config.toml").write_text('agent = "senior"\n', encoding="utf-8")
    code, out, _ = run(capsys, "#4", "--db", str(db))
    assert code == 0 and "(for senior)" in out and "Eligible:" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["#99"], "agentdesk: no ticket #99\n"),
        (["no-such-id"], "agentdesk: no ticket 'no-such-id'\n"),
        (["#2", "--agent", "nobody"], "agentdesk: no agent with handle 'nobody'\n"),
    ],
)
def test_unknown_tickets_and_agents_are_named(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args, "--db", str(db))
    assert (code, out, err) == (1, "", message)


def test_a_missing_database_or_ticket_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "#1", "--db", str(tmp_path / "none.db"))
    assert code == 1 and err.startswith("agentdesk: no database at ")
    assert main(["route", "explain"]) == 2
    assert "the following arguments are required: TICKET" in capsys.readouterr().err
    assert main(["route"]) == 2


def test_a_bad_routing_config_names_the_key(
    db: Path, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (isolated / "config.toml").write_text(
        '[routing.intents.refund]\ndepartment = "billing"\ncomplexity = "hard"\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "#2", "--db", str(db))
    assert code == 1
    assert err == (
        "agentdesk: routing.intents.refund.complexity: expected simple, standard or complex, "
        "got 'hard'\n"
    )
