"""Alembic environment for the team server (PostgreSQL or SQLite).

`agentdesk server migrate` hands over an open connection inside a transaction; the shared body
is `agentdesk.alembic_env`. The server keeps its own version table, so a server database and a
client store can never mistake each other's revisions.
"""

from __future__ import annotations

from agentdesk.alembic_env import run_migrations
from agentdesk.server.database import VERSION_TABLE, create_server_engine
from agentdesk.server.tables import metadata

run_migrations(metadata, create_server_engine, version_table=VERSION_TABLE)
