"""`agentdesk server import-kb|import-scripts` on SQLite and PostgreSQL: all rows or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from agentdesk.cli import main
from agentdesk.server import tables as t
from agentdesk.server.database import create_server_engine

DEMO = Path(__file__).parents[2] / "agentdesk" / "demo_data"


def count_changes(url: str, kind: str) -> int:
    engine = create_server_engine(url)
    with engine.connect() as connection:
        found = connection.execute(
            select(func.count()).select_from(t.change_log).where(t.change_log.c.kind == kind)
        ).scalar_one()
    engine.dispose()
    return int(found)


def test_the_demo_kb_and_scripts_publish_with_a_change_record_each(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    articles = DEMO / "abcd" / "articles.jsonl"
    scripts = DEMO / "bitext" / "scripts.jsonl"
    lines = len(articles.read_text(encoding="utf-8").splitlines())
    assert main(["server", "import-kb", str(articles), "--database-url", database_url]) == 0
    assert main(["server", "import-scripts", str(scripts), "--database-url", database_url]) == 0
    assert f"published {lines} KB article(s)" in capsys.readouterr().err
    assert count_changes(database_url, "kb_article") == lines
    assert count_changes(database_url, "script") == len(scripts.read_text().splitlines())
    # Publishing again replaces by id: new records (desks pull the edit), no new rows.
    assert main(["server", "import-kb", str(articles), "--database-url", database_url]) == 0
    assert count_changes(database_url, "kb_article") == 2 * lines


def test_a_file_over_the_servers_limits_publishes_nothing(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "kb.jsonl"
    bad.write_text(
        '{"id": "fine", "title": "Fine", "body": "ok"}\n'
        '{"id": "a/b", "title": "Slash", "body": "ok"}\n'
        '{"id": "long", "title": "' + "t" * 501 + '", "body": "ok"}\n',
        encoding="utf-8",
    )
    assert main(["server", "import-kb", str(bad), "--database-url", database_url]) == 1
    error = capsys.readouterr().err
    assert "line 2: id:" in error and "line 3: title:" in error
    assert count_changes(database_url, "kb_article") == 0
