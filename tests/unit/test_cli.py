"""The `agentdesk` command through `main([...])`: messages, exit codes, files left behind."""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agentdesk import __version__, cli
from agentdesk.cli import main
from agentdesk.config import Settings, load_settings
from agentdesk.store.errors import Unavailable

DEMO_TICKETS = 30


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private data dir and no config file, whatever the machine running the tests has."""
    monkeypatch.setenv("AGENTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AGENTDESK_CONFIG", str(tmp_path / "config.toml"))
    yield tmp_path


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "demo.db"
    cli.create_demo(path, tickets=DEMO_TICKETS, now=datetime.now(UTC))
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "work.db"
    shutil.copyfile(demo_template, path)
    return path


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, str]]:
    """Stands in for the TUI: records what would have been opened."""
    calls: list[tuple[Path, str]] = []

    def fake_launch(settings: object, path: Path, handle: str) -> int:
        calls.append((path, handle))
        return 0

    monkeypatch.setattr(cli, "launch", fake_launch)
    return calls


def export_lines(db: Path, kind: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    capsys.readouterr()
    assert main(["export", kind, "--db", str(db)]) == 0
    return capsys.readouterr().out.splitlines()


# -- basics -----------------------------------------------------------------------------------
def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"agentdesk {__version__}"


def test_bad_arguments_exit_with_usage_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err
    assert main(["demo", "--tickets", "lots"]) == 2
    assert "expected a whole number, got 'lots'" in capsys.readouterr().err
    assert main(["import", "invoices", "x.csv"]) == 2


def test_missing_database_is_explained(
    capsys: pytest.CaptureFixture[str], isolated: Path, launched: list[tuple[Path, str]]
) -> None:
    assert main(["--agent", "junior"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"agentdesk: no database at {isolated / 'data' / 'agentdesk.db'}")
    assert "agentdesk demo" in err
    assert main(["export", "tickets", "--db", str(isolated / "nope.db")]) == 1
    assert "no database at" in capsys.readouterr().err
    assert launched == []


def test_the_agent_comes_from_the_option_or_the_config(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    isolated: Path,
    launched: list[tuple[Path, str]],
) -> None:
    assert main(["--db", str(demo_db)]) == 1
    assert "who is working? pass --agent HANDLE" in capsys.readouterr().err
    (isolated / "config.toml").write_text(f'agent = "senior"\ndatabase = "{demo_db}"\n')
    assert main([]) == 0
    assert main(["--agent", "lead"]) == 0
    assert launched == [(demo_db, "senior"), (demo_db, "lead")]


def test_config_problems_are_one_line(
    capsys: pytest.CaptureFixture[str], isolated: Path, launched: list[tuple[Path, str]]
) -> None:
    assert main(["--config", str(isolated / "missing.toml")]) == 1
    assert capsys.readouterr().err == f"agentdesk: no config file at {isolated / 'missing.toml'}\n"
    (isolated / "config.toml").write_text("agent = \n")
    assert main(["--agent", "junior"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("agentdesk: ") and "not valid TOML" in err
    assert "Traceback" not in err


def test_importing_the_cli_loads_no_ui_or_database_library() -> None:
    code = (
        "import sys, agentdesk.cli\n"
        "agentdesk.cli.build_parser().parse_args(['--agent', 'junior'])\n"
        "heavy = ('textual', 'sqlalchemy', 'sqlmodel', 'rich', 'agentdesk.transfer', 'fastapi',"
        " 'uvicorn', 'psycopg', 'agentdesk.server')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_import_and_export_choices_are_the_transfer_kinds_and_formats() -> None:
    from agentdesk.transfer import Format, Kind

    assert tuple(kind.value for kind in Kind) == cli.KINDS
    assert tuple(fmt.value for fmt in Format) == cli.FORMATS


def test_launch_pauses_the_collector_until_the_app_is_ready(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    seen: list[tuple[str, bool]] = []

    class FakeApp:
        def __init__(self, on_ready: Callable[[], None], **kwargs: object) -> None:
            self.on_ready = on_ready
            self.return_code = 0

        def run(self) -> None:
            seen.append(("starting", gc.isenabled()))
            self.on_ready()
            seen.append(("ready", gc.isenabled()))

    monkeypatch.setattr("agentdesk.app.AgentDeskApp", FakeApp)
    assert gc.isenabled()
    try:
        assert cli.launch(load_settings(), demo_db, "junior") == 0
        assert seen == [("starting", False), ("ready", True)]
        assert gc.get_freeze_count() > 0  # what start-up made is out of later collections
    finally:
        gc.unfreeze()
    assert gc.isenabled()


def test_launch_turns_the_collector_back_on_when_the_app_fails(
    monkeypatch: pytest.MonkeyPatch, demo_db: Path
) -> None:
    class FailingApp:
        def __init__(self, **kwargs: object) -> None:
            pass

        def run(self) -> None:
            raise RuntimeError("boom")

    monkeypatch.setattr("agentdesk.app.AgentDeskApp", FailingApp)
    with pytest.raises(RuntimeError):
        cli.launch(load_settings(), demo_db, "junior")
    assert gc.isenabled()


# -- demo -------------------------------------------------------------------------------------
def test_demo_is_created_once_then_reopened(
    capsys: pytest.CaptureFixture[str], isolated: Path, launched: list[tuple[Path, str]]
) -> None:
    demo = isolated / "data" / "demo.db"
    assert main(["demo", "--tickets", "5"]) == 0
    assert "Creating the demo database" in capsys.readouterr().err
    assert demo.exists()
    assert not list(demo.parent.glob("*.creating*"))
    first = export_lines(demo, "tickets", capsys)
    assert len(first) >= 5
    assert main(["demo", "--agent", "senior", "--tickets", "9"]) == 0
    assert "Creating" not in capsys.readouterr().err
    assert export_lines(demo, "tickets", capsys) == first
    assert main(["demo", "--reset", "--tickets", "9"]) == 0
    assert len(export_lines(demo, "tickets", capsys)) >= 9
    assert launched == [(demo, "junior"), (demo, "senior"), (demo, "junior")]


def test_a_failed_demo_leaves_no_file(
    capsys: pytest.CaptureFixture[str],
    isolated: Path,
    launched: list[tuple[Path, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken_seed(*args: object, **kwargs: object) -> None:
        raise Unavailable("disk full")

    monkeypatch.setattr("agentdesk.demo.seed_demo", broken_seed)
    assert main(["demo"]) == 1
    assert capsys.readouterr().err.endswith("agentdesk: disk full\n")
    assert list((isolated / "data").iterdir()) == []
    assert launched == []


def test_launch_passes_the_app_exit_code_on(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], demo_db: Path
) -> None:
    class FakeApp:
        code: int | None = 0
        message: str | None = None

        def __init__(self, **kwargs: object) -> None:
            self.kwargs = kwargs
            self.return_code = FakeApp.code
            self.exit_message = FakeApp.message

        def run(self) -> None:
            return None

    monkeypatch.setattr("agentdesk.app.AgentDeskApp", FakeApp)
    settings = load_settings()
    assert cli.launch(settings, demo_db, "junior") == 0
    FakeApp.code, FakeApp.message = 2, "agentdesk: cannot start as 'x'"
    assert cli.launch(settings, demo_db, "x") == 2
    assert capsys.readouterr().err == ""  # Textual already printed the app's own message
    FakeApp.code, FakeApp.message = 3, None
    assert cli.launch(settings, demo_db, "x") == 3
    assert capsys.readouterr().err == "agentdesk: stopped with exit code 3\n"


# -- import and export ------------------------------------------------------------------------
def test_import_then_export_tickets(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    source = tmp_path / "new.csv"
    source.write_text(
        "subject,body,customer_name,customer_email,department,priority\n"
        "Parcel lost,It never came,Zoe Quinn,zoe@example.com,logistics,high\n"
        "Refund,Please refund,Zoe Quinn,zoe@example.com,billing,urgent\n",
        encoding="utf-8",
    )
    before = export_lines(demo_db, "tickets", capsys)
    assert main(["import", "tickets", str(source), "--db", str(demo_db)]) == 0
    assert capsys.readouterr().err == (
        f"Imported 2 tickets and 1 new customer(s) from {source} into {demo_db}.\n"
    )
    after = export_lines(demo_db, "tickets", capsys)
    assert len(after) == len(before) + 2
    last = json.loads(after[-1])
    assert (last["subject"], last["priority"], last["customer_name"]) == (
        "Refund",
        "urgent",
        "Zoe Quinn",
    )


def test_a_bad_file_imports_nothing_and_lists_every_problem(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    source = tmp_path / "bad.jsonl"
    rows = [
        {"subject": "ok", "body": "fine", "customer_name": "A"},
        {"subject": "x", "body": "y", "customer_name": "B", "priority": "asap"},
        {"subject": "", "body": "y", "customer_name": "C"},
    ]
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    before = export_lines(demo_db, "tickets", capsys)
    assert main(["import", "tickets", str(source), "--db", str(demo_db)]) == 1
    assert capsys.readouterr().err == (
        f"agentdesk: {source}: nothing imported; 2 problem(s):\n"
        "line 2: priority: 'asap' is not one of urgent, high, normal, low\n"
        "line 3: subject: must not be empty\n"
    )
    assert export_lines(demo_db, "tickets", capsys) == before


def test_import_file_problems(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    db = ["--db", str(demo_db)]
    assert main(["import", "kb", str(tmp_path / "absent.csv"), *db]) == 1
    assert (
        capsys.readouterr().err
        == f"agentdesk: {tmp_path / 'absent.csv'}: No such file or directory\n"
    )
    notes = tmp_path / "notes.txt"
    notes.write_text("title,body\nA,b\n", encoding="utf-8")
    assert main(["import", "kb", str(notes), *db]) == 1
    assert "pass --format jsonl or --format csv" in capsys.readouterr().err
    assert main(["import", "kb", str(notes), "--format", "csv", *db]) == 0
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert main(["import", "scripts", str(empty), *db]) == 1
    assert capsys.readouterr().err.endswith("the file is empty\n")


def test_import_from_standard_input_needs_a_format(
    capsys: pytest.CaptureFixture[str], demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Stdin:
        buffer = __import__("io").BytesIO(b'{"title": "Piped", "body": "in"}\n')

    monkeypatch.setattr(sys, "stdin", Stdin)
    assert main(["import", "kb", "-", "--db", str(demo_db)]) == 1
    assert "standard input" in capsys.readouterr().err
    assert main(["import", "kb", "-", "--format", "jsonl", "--db", str(demo_db)]) == 0
    titles = [json.loads(line)["title"] for line in export_lines(demo_db, "kb", capsys)]
    assert "Piped" in titles


@pytest.mark.parametrize("kind", ["tickets", "kb", "scripts"])
def test_export_to_a_file_round_trips_into_another_demo(
    kind: str, capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    output = tmp_path / f"{kind}.csv"
    assert main(["export", kind, "--db", str(demo_db), "--output", str(output)]) == 0
    assert capsys.readouterr().err.startswith("Exported ")
    assert output.read_text(encoding="utf-8").startswith("id,")
    assert not list(tmp_path.glob("*.partial"))
    if kind == "tickets":
        # Same ids cannot be imported twice into the same store.
        assert main(["import", kind, str(output), "--db", str(demo_db)]) == 1
        assert "already exists" in capsys.readouterr().err
    else:
        before = export_lines(demo_db, kind, capsys)
        assert main(["import", kind, str(output), "--db", str(demo_db)]) == 0
        assert sorted(export_lines(demo_db, kind, capsys)) == sorted(before)


def test_export_into_a_missing_folder_fails_cleanly(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    target = tmp_path / "no" / "such" / "dir" / "out.jsonl"
    assert main(["export", "kb", "--db", str(demo_db), "-o", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("agentdesk: ") and "No such file or directory" in err
    assert "Traceback" not in err


def test_export_format_follows_the_output_extension(
    capsys: pytest.CaptureFixture[str], demo_db: Path, tmp_path: Path
) -> None:
    output = tmp_path / "scripts.jsonl"
    assert main(["export", "scripts", "--db", str(demo_db), "-o", str(output)]) == 0
    first = json.loads(output.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"id", "name", "body", "intent", "steps", "required"}
    assert main(["export", "scripts", "--db", str(demo_db), "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,name,body,intent,steps,required\n")


def test_progress_bar_starts_only_for_enough_work() -> None:
    quiet = cli.ProgressBar(enabled=False, minimum=0)
    quiet("reading", 1, 10)
    assert quiet._progress is None
    bar = cli.ProgressBar(enabled=True, minimum=100)
    bar("exporting", 5, 50)
    assert bar._progress is None
    bar("exporting", 50, 500)
    assert bar._progress is not None
    task = bar._progress.tasks[0]
    assert (task.description, task.completed, task.total) == ("Exporting", 50, 500)
    bar.stop()
    assert bar._progress is None


# -- config: transfer rules and the last good copy ---------------------------------------------
def test_import_applies_transfer_rules_and_reports_unknown_departments(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    isolated: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("agentdesk.intake.load_intent_model", lambda: None)  # hermetic
    (isolated / "config.toml").write_text(
        '[[transfer.rules]]\nname = "lost"\ndepartment = "fraud"\nkeywords = ["lost"]\n'
        '[[transfer.rules]]\nname = "parcels"\ndepartment = "logistics"\nkeywords = ["parcel"]\n',
        encoding="utf-8",
    )
    source = tmp_path / "new.csv"
    source.write_text(
        "subject,body,customer_name\nParcel lost,It never came,Zoe Quinn\n", encoding="utf-8"
    )
    assert main(["import", "tickets", str(source), "--db", str(demo_db)]) == 0
    err = capsys.readouterr().err
    assert err.startswith(
        "agentdesk: warning: transfer rule 'lost': no department 'fraud' (known: billing, "
        "general, logistics, technical, triage); the rule is ignored\n"
    )
    last = json.loads(export_lines(demo_db, "tickets", capsys)[-1])
    assert (last["subject"], last["department"]) == ("Parcel lost", "logistics")


def test_a_broken_config_falls_back_to_the_last_good_one(
    capsys: pytest.CaptureFixture[str],
    demo_db: Path,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[Settings] = []

    def fake_launch(settings: Settings, path: Path, handle: str) -> int:
        opened.append(settings)
        return 0

    monkeypatch.setattr(cli, "launch", fake_launch)
    config = isolated / "config.toml"
    config.write_text(
        f'agent = "senior"\ndatabase = "{demo_db}"\ntheme = "agentdesk-light"\n', encoding="utf-8"
    )
    assert main([]) == 0
    assert (isolated / "data" / "last-good-config.toml").is_file()
    config.write_text('agent = "senior"\ntheme = 5\n', encoding="utf-8")
    assert main([]) == 0
    err = capsys.readouterr().err
    assert err.startswith("agentdesk: warning: theme: expected a non-empty string, got 5\n")
    assert "last good settings" in err
    good, fallback = opened
    assert fallback.theme == "agentdesk-light" and fallback.db_path == demo_db
    assert fallback.notices and not good.notices
    # With no copy to fall back on, a broken file stops the launch as before.
    (isolated / "data" / "last-good-config.toml").unlink()
    assert main([]) == 1
    assert capsys.readouterr().err.startswith("agentdesk: theme: expected a non-empty string")
    assert len(opened) == 2
