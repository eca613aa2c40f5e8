"""Run the Alembic migrations shipped in this package (imported only when one is due)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from agentdesk.store.sqlite.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    config = Config()  # no alembic.ini: everything it needs is set here
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to head in one `BEGIN IMMEDIATE` transaction: all of it or none.

    Alembic reads the current revision inside the transaction, so two processes opening a new
    database at once migrate it once.
    """
    config = alembic_config()
    with database.writing() as tx:
        config.attributes["connection"] = tx.connection
        command.upgrade(config, "head")
