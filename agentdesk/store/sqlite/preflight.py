"""Checks made before the store touches a database file, with stdlib sqlite3 only.

Nothing here writes: a file that is missing, read-only, not SQLite, damaged, someone else's, or
from a newer agentdesk is refused with a message fit for the user and left exactly as it was.
Reading the schema revision here also lets an up-to-date launch skip importing Alembic.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from agentdesk.store.errors import SchemaTooNew, Unavailable
from agentdesk.store.sqlite.revisions import HEAD_REVISION, KNOWN_REVISIONS

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Preflight:
    revision: str | None  # None: a new or empty database

    @property
    def needs_migration(self) -> bool:
        return self.revision != HEAD_REVISION


def check(path: Path, *, create: bool) -> Preflight:
    if path.is_dir():
        raise Unavailable(f"{path} is a directory, not an agentdesk database")
    if not path.exists():
        if not create:
            raise Unavailable(
                f"no database at {path}; run `agentdesk demo` to create one with sample data"
            )
        _make_parent(path.parent)
        return Preflight(revision=None)
    _check_access(path)
    with path.open("rb") as handle:
        header = handle.read(len(SQLITE_MAGIC))
    if not header:
        return Preflight(revision=None)  # an empty file is an empty database
    if header != SQLITE_MAGIC:
        raise Unavailable(f"{path} is not an agentdesk database (it is not a SQLite file)")
    revisions = _read_revisions(path)
    unknown = [revision for revision in revisions if revision not in KNOWN_REVISIONS]
    if unknown:
        raise SchemaTooNew(
            f"{path} was written by a newer agentdesk (schema {', '.join(unknown)}); "
            "update agentdesk to open it"
        )
    return Preflight(revision=revisions[0] if revisions else None)


def _writable(path: Path) -> bool:
    # Permission bits too: `os.access` says yes to root even for a file marked read-only.
    return os.access(path, os.W_OK) and bool(path.stat().st_mode & 0o222)


def _make_parent(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise Unavailable(f"cannot create the folder {directory}: {error.strerror}") from None
    if not _writable(directory):
        raise Unavailable(f"cannot create a database in {directory}: the folder is read-only")


def _check_access(path: Path) -> None:
    if not os.access(path, os.R_OK):
        raise Unavailable(f"cannot read {path}: permission denied")
    if not _writable(path):
        raise Unavailable(f"{path} is read-only; agentdesk needs to write to its database")
    if not _writable(path.parent):
        # WAL mode keeps two companion files (-wal, -shm) next to the database.
        raise Unavailable(
            f"cannot open {path}: its folder is read-only, and agentdesk needs to write "
            "next to its database"
        )


def _read_revisions(path: Path) -> list[str]:
    uri = f"file:{quote(str(path))}?mode=rw"
    try:
        connection = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error as error:
        raise Unavailable(f"cannot open {path}: {error}") from None
    try:
        tables = {
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            )
        }
        if "alembic_version" not in tables:
            if any(not name.startswith("sqlite_") for name in tables):
                raise Unavailable(
                    f"{path} is a SQLite database of another program, not an agentdesk one"
                )
            return []
        return [row[0] for row in connection.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise Unavailable(f"{path} is locked by another program; try again") from None
        raise Unavailable(f"cannot read {path}: {error}") from None
    except sqlite3.DatabaseError as error:
        if "not a database" in str(error):
            raise Unavailable(
                f"{path} is not an agentdesk database (damaged or encrypted)"
            ) from None
        raise Unavailable(f"{path} is damaged ({error}); restore it from a backup") from None
    finally:
        connection.close()
