"""The SQLite backend: one local file, WAL mode, Alembic migrations, FTS5 knowledge search.

Importing this package is cheap: SQLAlchemy and SQLModel load when a store opens.
"""

from agentdesk.store.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
