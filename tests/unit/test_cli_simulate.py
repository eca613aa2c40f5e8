"""`route simulate`: a history file and a roster in, per-agent and per-queue figures out."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from agentdesk.cli import CliError, main
from agentdesk.cli_simulate import run_simulate
from agentdesk.config import load_settings
from agentdesk.roster import read_agents
from agentdesk.store.errors import ImportFailed
from agentdesk.transfer import Format

ROSTER = """handle,tier,skills,departments,capacity
ana,junior,"orders:2,delivery:2",general,1
ben,senior,"orders:4,refunds:4",general,1
"""


def history(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def row(minute: int, **extra: object) -> dict[str, object]:
    return {
        "subject": f"order question {minute}",
        "body": "Where is my order?",
        "customer_name": f"Customer {minute}",
        "required_skill": "orders",
        "created_at": f"2026-11-20T09:{minute:02d}:00Z",
        **extra,
    }


def run(tmp_path: Path, rows: list[dict[str, object]], *, push: bool = False) -> dict:  # type: ignore[type-arg]
    (tmp_path / "history.jsonl").write_text(history(rows))
    (tmp_path / "agents.csv").write_text(ROSTER)
    args = argparse.Namespace(
        file=tmp_path / "history.jsonl", agents=tmp_path / "agents.csv", push=push, json=True
    )
    out = io.StringIO()
    settings = load_settings(tmp_path / "absent.toml", env={"AGENTDESK_DATA_DIR": str(tmp_path)})
    assert run_simulate(args, settings, out) == 0
    return json.loads(out.getvalue())


def test_two_agents_share_a_morning_of_tickets(tmp_path: Path) -> None:
    result = run(tmp_path, [row(minute, handle_minutes=20) for minute in (0, 1, 2, 3)])
    assert result["tickets"] == 4 and result["mode"] == "pull"
    assert {agent["handle"]: agent["handled"] for agent in result["agents"]} == {"ana": 2, "ben": 2}
    (queue,) = result["queues"]
    # Tickets 3 and 4 wait for the first two to finish at 09:20 and 09:21.
    assert queue["department"] == "general" and queue["max_wait_minutes"] == 18.0
    assert result["first_response_breaches"] == 0


def test_missing_arrival_times_are_reported_by_line(tmp_path: Path) -> None:
    rows = [row(0), {**row(1), "created_at": None}]
    with pytest.raises(CliError) as caught:
        run(tmp_path, rows)
    assert "line 2: created_at" in str(caught.value)


def test_a_bad_handle_time_is_reported_by_line(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="line 1: handle_minutes"):
        run(tmp_path, [row(0, handle_minutes="soon")])


def test_a_file_without_a_known_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.txt"
    path.write_text(history([row(0)]))
    args = argparse.Namespace(file=path, agents=None, push=False, json=True)
    settings = load_settings(tmp_path / "absent.toml", env={"AGENTDESK_DATA_DIR": str(tmp_path)})
    with pytest.raises(CliError, match=r"\.jsonl or \.csv"):
        run_simulate(args, settings, io.StringIO())


def test_roster_reads_skills_in_both_formats() -> None:
    (ana, ben) = read_agents(ROSTER.encode(), Format.CSV)
    assert ana.skills == {"orders": 2, "delivery": 2} and ana.capacity == 1
    assert ben.tier == "senior" and ben.departments == ("general",)
    (cleo,) = read_agents(
        b'{"handle": "cleo", "skills": {"billing": 3}, "available": false}\n', Format.JSONL
    )
    assert cleo.skills == {"billing": 3} and cleo.available is False and cleo.capacity == 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "handle,skills\nana,orders:9\n",
            "line 2: skills: orders:9 needs a skill name and a level",
        ),
        ("handle,capacity\nana,none\n", "line 2: capacity: 'none' is not a whole number"),
        ("handle\nana\nana\n", "line 3: handle: 'ana' already given on line 2"),
        ("handle,shoe_size\nana,42\n", "column 'shoe_size' is not known"),
        ("handle,tier\nana,boss\n", "line 2: tier: 'boss' is not one of"),
        ("handle,available\nana,maybe\n", "line 2: available: 'maybe' is not true or false"),
    ],
)
def test_roster_problems_name_the_line_and_field(text: str, message: str) -> None:
    with pytest.raises(ImportFailed) as caught:
        read_agents(text.encode(), Format.CSV)
    assert message in str(caught.value)


def test_the_command_line_replays_a_history_and_reports_problems_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTDESK_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("AGENTDESK_DATA_DIR", str(tmp_path))
    (tmp_path / "history.jsonl").write_text(history([row(0), row(1)]))
    (tmp_path / "agents.csv").write_text(ROSTER)
    args = ["route", "simulate", str(tmp_path / "history.jsonl"), "--agents"]
    assert main([*args, str(tmp_path / "agents.csv")]) == 0
    assert "Replayed 2 tickets" in capsys.readouterr().out
    (tmp_path / "bad.csv").write_text("handle,skills\nana,orders:9\n")
    assert main([*args, str(tmp_path / "bad.csv")]) == 1
    err = capsys.readouterr().err
    assert "line 2: skills" in err and "Traceback" not in err
