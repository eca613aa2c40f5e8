"""The schema revision gate, `server migrate` and `server add-agent` from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text

from agentdesk.cli import main
from agentdesk.server import database
from agentdesk.server import tables as t
from agentdesk.server.accounts import hash_token
from agentdesk.server.database import (
    VERSION_TABLE,
    DatabaseError,
    SchemaState,
    SchemaStatus,
    create_server_engine,
    require_current_schema,
    schema_status,
)


def test_a_new_database_is_unmigrated_and_serve_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["serve", "--database-url", url, "--port", "1"]) == 1
    error = capsys.readouterr().err
    assert f"run `agentdesk server migrate --database-url {url}`" in error
    assert "Traceback" not in error


def test_migrate_brings_the_schema_to_head_and_is_idempotent(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_server_engine(database_url)
    assert schema_status(engine).state is SchemaState.CURRENT  # the fixture migrated it
    assert main(["server", "migrate", "--database-url", database_url]) == 0
    assert "up to date" in capsys.readouterr().err
    require_current_schema(engine, database_url)
    with engine.connect() as connection:
        assert connection.execute(select(t.log_head.c.seq)).scalar_one() == 0
    engine.dispose()


def test_serve_and_migrate_refuse_a_newer_schema(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'db.db'}"
    assert main(["server", "migrate", "--database-url", url]) == 0
    engine = create_server_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    assert schema_status(engine).state is SchemaState.NEWER
    with pytest.raises(DatabaseError, match="newer"):
        require_current_schema(engine, url)
    engine.dispose()
    capsys.readouterr()
    assert main(["serve", "--database-url", url]) == 1
    assert main(["server", "migrate", "--database-url", url]) == 1
    errors = capsys.readouterr().err
    assert errors.count("newer than this agentdesk") == 2


def test_an_unreachable_database_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--database-url", "postgresql://nobody@127.0.0.1:1/none"]) == 1
    error = capsys.readouterr().err
    assert "cannot reach the database" in error and "Traceback" not in error


@pytest.mark.parametrize("url", ["mysql://x@y/z", "nonsense"])
def test_unsupported_urls_are_refused(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "migrate", "--database-url", url]) == 1
    assert "agentdesk:" in capsys.readouterr().err


def test_the_url_can_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert main(["server", "migrate"]) == 0
    monkeypatch.delenv("AGENTDESK_DATABASE_URL")
    assert main(["server", "migrate"]) == 1


def test_add_agent_prints_a_token_once_and_stores_only_its_hash(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["server", "add-agent", "ann", "--role", "lead", "--database-url", database_url]) == 0
    )
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    engine = create_server_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(select(t.agents).where(t.agents.c.handle == "ann")).one()
        stored = [str(value) for value in row]
    engine.dispose()
    assert row.role == "lead"
    assert row.token_hash == hash_token(token)
    assert not any(token in value for value in stored)
    assert main(["server", "add-agent", "ann", "--database-url", database_url]) == 1
    assert "already exists" in capsys.readouterr().err


def test_add_agent_refuses_an_unknown_role(database_url: str) -> None:
    assert (
        main(["server", "add-agent", "bob", "--role", "boss", "--database-url", database_url]) == 2
    )


def test_the_migrate_hint_hides_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    unmigrated = SchemaStatus(SchemaState.UNMIGRATED, None, "0001")
    monkeypatch.setattr(database, "schema_status", lambda _engine: unmigrated)
    with pytest.raises(DatabaseError) as raised:
        require_current_schema(None, "postgresql://ann:s3cret@db.example/agentdesk")  # type: ignore[arg-type]
    assert "s3cret" not in str(raised.value)
    assert "postgresql://ann:***@db.example/agentdesk" in str(raised.value)


def test_the_migrated_schema_matches_the_table_definitions(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = create_server_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = [
            difference
            for difference in compare_metadata(context, t.metadata)
            # Alembic's own version table lives outside the table definitions.
            if not (difference[0] == "remove_table" and difference[1].name == VERSION_TABLE)
        ]
    engine.dispose()
    assert differences == []


def test_an_existing_ticket_gets_empty_field_clocks_on_upgrade(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_server_engine(url)
    config = database.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(text("INSERT INTO departments (id, name) VALUES ('g', 'g')"))
        connection.execute(
            text(
                "INSERT INTO customers (id, name, email, phone, tier, language) "
                "VALUES ('c', 'c', '', '', 'standard', 'en')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO tickets (id, number, subject, customer_id, department_id, status,"
                " priority, channel, intent, created_at, updated_at, complexity, resolution,"
                " links, version) VALUES ('t1', 1, 's', 'c', 'g', 'new', 'normal', 'email', '',"
                " '2026-11-23 09:00:00', '2026-11-23 09:00:00', 'standard', '', '[]', 1)"
            )
        )
    database.upgrade(engine)
    with engine.connect() as connection:
        assert connection.execute(select(t.tickets.c.field_clocks)).scalar_one() == {}
    engine.dispose()
