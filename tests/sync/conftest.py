"""The server test fixtures (SQLite and a throwaway PostgreSQL database) for the sync tests."""

from tests.server.conftest import database_url, pg_url

__all__ = ["database_url", "pg_url"]
