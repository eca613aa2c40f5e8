"""Alembic environment for the SQLite store.

The store runs migrations itself (`agentdesk.store.sqlite.migrate`) and hands over its open
connection, already inside a `BEGIN IMMEDIATE` transaction; the shared body is
`agentdesk.alembic_env`. A developer can still run Alembic against a file by setting
`sqlalchemy.url`.
"""

from __future__ import annotations

from sqlalchemy import create_engine

from agentdesk.alembic_env import run_migrations
from agentdesk.store.sqlite.tables import metadata

run_migrations(metadata, create_engine)
