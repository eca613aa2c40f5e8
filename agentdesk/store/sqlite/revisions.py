"""The schema revisions this build knows, readable without importing Alembic.

`open()` compares a database's `alembic_version` against these with stdlib sqlite3, so a launch
with an up-to-date database never pays for importing Alembic. A test checks that the constants
agree with the migration scripts.
"""

from __future__ import annotations

HEAD_REVISION = "0009"

# Oldest first; anything not listed was written by a newer agentdesk.
KNOWN_REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
)
