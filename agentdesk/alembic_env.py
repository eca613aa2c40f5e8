"""The body both Alembic environments share: the client store's and the team server's.

Each caller hands over an open connection inside a transaction (`config.attributes
["connection"]`), so a failed upgrade rolls back completely (SQLite and PostgreSQL both have
transactional DDL). Without one, as when a developer runs Alembic by hand against
`sqlalchemy.url`, an engine is made for the run.
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import context
from sqlalchemy import Connection, Engine, MetaData


def run_migrations(
    metadata: MetaData,
    make_engine: Callable[[str], Engine],
    *,
    version_table: str = "alembic_version",
) -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection, metadata, version_table)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own_connection:
        _migrate(own_connection, metadata, version_table)
    engine.dispose()


def _migrate(connection: Connection, metadata: MetaData, version_table: str) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table,
        render_as_batch=True,  # SQLite alters tables by copying them
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()
