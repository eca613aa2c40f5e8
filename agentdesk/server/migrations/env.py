"""Alembic environment for the team server (PostgreSQL or SQLite).

`agentdesk server migrate` hands over an open connection inside a transaction, so a failed
upgrade rolls back completely (both databases have transactional DDL).
"""

from __future__ import annotations

from alembic import context

from agentdesk.server.database import VERSION_TABLE
from agentdesk.server.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from agentdesk.server.database import create_server_engine

        engine = create_server_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own_connection:
            _migrate(own_connection)
        engine.dispose()
    else:
        _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite alters tables by copying them
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
