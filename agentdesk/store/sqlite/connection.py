"""The store's one sqlite3 connection: opened and configured with the standard library only.

The queue's reads run on it directly (`direct`), so a launch can show the queue before
SQLAlchemy has even been imported; the SQLAlchemy engine, built later, wraps this same
connection. Everything here runs on the store's single worker thread.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from agentdesk.store.errors import Conflict, StoreError, Unavailable
from agentdesk.store.sqlite.preflight import BUSY_TIMEOUT_SECONDS

# An op shown to the agent as saved must survive a power cut (SYNC.md §4.2).
SYNCHRONOUS = "FULL"
# 64 MiB of page cache (the default is 2 MiB): queue indexes of 100,000 tickets fit.
CACHE_KIB = 65536


def connect(path: Path) -> sqlite3.Connection:
    """A connection to `path` in WAL mode, with agentdesk's pragmas and SQL functions."""
    # check_same_thread=False as SQLAlchemy sets it for file databases: the connection is only
    # used from the store's thread, but may be closed (or collected) from another.
    connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False)
    try:
        configure(connection)
    except BaseException:
        connection.close()
        raise
    return connection


def configure(connection: sqlite3.Connection) -> None:
    # Autocommit at the driver: whoever needs a transaction says BEGIN itself (SQLAlchemy's
    # begin hook, the pysqlite recipe), since the driver's own transaction handling cannot do
    # BEGIN IMMEDIATE and skips BEGIN before SELECT and DDL.
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    finally:
        cursor.close()
    connection.create_function("agentdesk_lower", 1, _lower, deterministic=True)


def _lower(text: str | None) -> str | None:
    return None if text is None else text.lower()


def close(connection: sqlite3.Connection) -> None:
    # Cheap, and keeps the planner's statistics fresh for the next launch; closing must not
    # fail because of housekeeping.
    with contextlib.suppress(sqlite3.Error):
        connection.execute("PRAGMA optimize")
    connection.close()


def translate(path: Path, error: BaseException) -> StoreError | None:
    """The store error for a sqlite3 error, or None if `error` is not one (a bug)."""
    if not isinstance(error, sqlite3.Error):
        return None
    message = str(error)
    if isinstance(error, sqlite3.IntegrityError):
        return Conflict(f"that would duplicate or orphan a record ({message})")
    if "locked" in message or "busy" in message:
        return Unavailable(f"{path} is busy (another agentdesk is writing to it); try again")
    if "readonly" in message or "read-only" in message:
        return Unavailable(f"{path} is read-only; agentdesk cannot save changes")
    if "disk is full" in message:
        return Unavailable(f"the disk holding {path} is full")
    if "malformed" in message or "not a database" in message:
        return Unavailable(f"{path} is damaged ({message}); restore it from a backup")
    return Unavailable(f"database error on {path}: {message}")
