"""The server database fixtures (SQLite files and a throwaway PostgreSQL database) for these tests."""

from tests.server.conftest import database_url, pg_only_url, pg_url

__all__ = ["database_url", "pg_only_url", "pg_url"]
