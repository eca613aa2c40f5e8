"""Alembic environment for the SQLite store.

The store runs migrations itself (`agentdesk.store.sqlite.migrate`) and hands over its open
connection, already inside a `BEGIN IMMEDIATE` transaction, so a failed upgrade rolls back
completely. A developer can still run Alembic against a file by setting `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from agentdesk.store.sqlite.tables import metadata

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as own_connection:
            _migrate(own_connection)
        engine.dispose()
    else:
        _migrate(connection)


def _migrate(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
