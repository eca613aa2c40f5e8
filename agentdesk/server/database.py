"""Engines for the server database and the check that its schema is the one this code expects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "agentdesk_server_version"
READ_ONLY = "agentdesk_read_only"


class DatabaseError(Exception):
    """The database cannot be used as it is; the message says what to do."""


def engine_url(url: str) -> str:
    """`postgresql://` means the psycopg 3 driver; `sqlite:///path` is taken as it is."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def psycopg_conninfo(url: str) -> str:
    """The PostgreSQL URL as psycopg itself takes it (for code that skips SQLAlchemy)."""
    return (
        make_url(engine_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def create_server_engine(url: str, *, pool_size: int = 10) -> Engine:
    try:
        parsed = make_url(engine_url(url))
    except ArgumentError:
        raise DatabaseError(
            f"not a database URL: {url!r} (expected postgresql://… or sqlite:///path)"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.render_as_string(hide_password=False))
    if parsed.get_backend_name() != "postgresql":
        raise DatabaseError(
            f"unsupported database {parsed.get_backend_name()!r}: use PostgreSQL or SQLite"
        )
    engine = create_engine(parsed, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    # An INSERT of many rows (a pushed group's messages, audit events, results) goes as one
    # multi-row statement, not as a statement a row: PostgreSQL's work per statement was most
    # of a group's write time.
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _sqlite_engine(url: str) -> Engine:
    # Writers take the lock when their transaction begins (BEGIN IMMEDIATE), so "read the first
    # free row, then update it" cannot interleave with another writer.
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(connection: Any, _record: object) -> None:
        connection.isolation_level = None  # SQLAlchemy, not the driver, issues BEGIN
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Readers (see `reading`) take a deferred snapshot and never wait for a writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads only: one snapshot, and on SQLite no write lock taken."""
    with engine.connect() as connection:
        connection.execution_options(**{READ_ONLY: True})
        yield connection


class SchemaState(StrEnum):
    CURRENT = "current"
    UNMIGRATED = "unmigrated"
    BEHIND = "behind"
    NEWER = "newer"


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    state: SchemaState
    revision: str | None
    head: str


def schema_status(engine: Engine) -> SchemaStatus:
    """Where the database's schema stands against the migrations shipped with this code."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head() or ""
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            revision = context.get_current_revision()
    except DBAPIError as error:
        raise DatabaseError(f"cannot reach the database: {_reason(error)}") from None
    if revision is None:
        state = SchemaState.UNMIGRATED
    elif revision == head:
        state = SchemaState.CURRENT
    elif revision in {rev.revision for rev in script.walk_revisions()}:
        state = SchemaState.BEHIND
    else:
        state = SchemaState.NEWER
    return SchemaStatus(state, revision, head)


def require_current_schema(engine: Engine, url: str) -> None:
    status = schema_status(engine)
    if status.state is SchemaState.CURRENT:
        return
    if status.state is SchemaState.NEWER:
        raise DatabaseError(
            f"the database schema ({status.revision}) is newer than this agentdesk "
            f"understands ({status.head}); upgrade agentdesk before serving it"
        )
    what = "has no agentdesk schema" if status.revision is None else "has an older schema"
    shown = make_url(url).render_as_string(hide_password=True)  # the hint may end up in logs
    raise DatabaseError(
        f"the database {what}; run `agentdesk server migrate --database-url {shown}` first"
    )


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()  # no alembic.ini: everything it needs is set here
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> SchemaStatus:
    """Bring the schema to head in one transaction; refuses a database newer than this code."""
    from alembic import command

    status = schema_status(engine)
    if status.state is SchemaState.NEWER:
        raise DatabaseError(
            f"the database schema ({status.revision}) is newer than this agentdesk ({status.head})"
        )
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as error:
        raise DatabaseError(f"migration failed: {_reason(error)}") from None
    return schema_status(engine)


def _reason(error: DBAPIError) -> str:
    text = str(error.orig).strip() if error.orig is not None else str(error)
    return text.splitlines()[0] if text else type(error).__name__


def dialect_insert(connection: Connection, table: Table) -> Any:
    """An INSERT that has `on_conflict_do_…` (PostgreSQL's and SQLite's spell it the same)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
