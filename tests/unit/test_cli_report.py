"""`agentdesk report`: KPI rows per queue and agent as CSV or JSONL, and clear errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest

from agentdesk.cli import main
from agentdesk.domain.metrics_report import COLUMNS
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import NOW, seed
from tests.store.test_contract_metrics import work_the_morning

# Autouse: config and data dir in the test's tmp_path, as for every CLI test.
from tests.unit.test_cli_route import isolated  # noqa: F401

AT = (NOW + timedelta(hours=1)).isoformat()  # 10:00 UTC on the fixture's day


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "desk.db"

    async def build() -> None:
        async with SqliteStore(path, create=True) as store:
            await seed(store)
            await work_the_morning(store)

    asyncio.run(build())
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["report", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_today_as_jsonl_per_queue_and_agent(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--db", str(db), "--period", "today", "--format", "jsonl", "--at", AT
    )
    assert (code, err) == (0, "")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(row["scope"], row["id"]) for row in rows] == [
        ("queue", "billing"),
        ("queue", "general"),
        ("queue", "logistics"),
        ("queue", "technical"),
        ("agent", "ag-junior"),
        ("agent", "ag-lead"),
        ("agent", "ag-senior"),
        ("agent", ""),
        ("total", ""),
    ]
    everything = rows[-1]
    assert everything["start"] == "2026-11-20T00:00:00+00:00"
    assert everything["end"] == "2026-11-20T10:00:00+00:00"
    # Arrived today: all but #5. First-response clocks ended: #1 met; #2 late; #4, #5, #6
    # passed unanswered. Both closures on time; #2 was reopened; CSAT 5 and 2.
    assert {key: everything[key] for key in COLUMNS[6:]} == {
        "arrivals": 5,
        "resolved": 2,
        "first_response_avg_min": 47.5,
        "first_response_sla_pct": 20.0,
        "resolution_sla_pct": 100.0,
        "first_contact_resolution_pct": 50.0,
        "reopen_pct": 50.0,
        "csat_pct": 50.0,
        "csat_responses": 2,
        "handle_time_avg_min": 8.5,
        "waiting": 3,
        "wait_avg_min": 820.0,  # #4 4 h, #5 31 h, #6 6 h
        "wait_oldest_min": 1860.0,
        "load": None,
    }
    junior, lead = rows[4], rows[5]
    assert (junior["name"], junior["resolved"], junior["load"]) == ("Jamie Junior", 1, 1)
    assert (lead["resolved"], lead["csat_pct"], lead["load"]) == (0, None, 0)
    assert rows[0]["waiting"] == 1 and rows[0]["wait_oldest_min"] == 1860.0  # billing: #5


def test_csv_is_the_default_with_a_header_and_empty_cells_for_nothing_measured(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", str(db), "--by", "agent", "--at", AT)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert tuple(rows[0]) == COLUMNS
    assert [row["id"] for row in rows] == ["ag-junior", "ag-lead", "ag-senior", "", ""]
    assert rows[0]["period"] == "7d" and rows[1]["csat_pct"] == ""
    assert rows[2]["first_response_avg_min"] == "25.0"


def test_output_file_takes_its_format_from_the_extension(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "kpis.jsonl"
    code, out, err = run(capsys, "--db", str(db), "--by", "queue", "-o", str(target), "--at", AT)
    assert (code, out) == (0, "")
    assert err == f"Wrote 5 rows (7d) to {target}.\n"
    lines = target.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["scope"] for line in lines] == ["queue"] * 4 + ["total"]
    assert not (tmp_path / "kpis.jsonl.partial").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--period", "fortnight"],
            "unknown period 'fortnight' (use one of: today, shift, 7d, 30d)",
        ),
        (["--format", "xlsx"], "invalid choice: 'xlsx' (choose from 'csv', 'jsonl')"),
        (["--by", "team"], "invalid choice: 'team' (choose from 'agent', 'queue', 'both')"),
        (["--at", "2026-11-20T10:00"], "has no UTC offset"),
        (["--at", "yesterday"], "expected a time such as"),
    ],
)
def test_bad_options_are_refused_clearly(
    db: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--db", str(db), *args)
    assert code == 2 and out == ""
    assert message in err


def test_a_missing_database_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(tmp_path / "nope.db"))
    assert code == 1
    assert f"no database at {tmp_path / 'nope.db'}" in err
