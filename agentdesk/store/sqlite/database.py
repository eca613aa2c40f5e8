"""The SQLAlchemy side of the SQLite store: engine, transactions and the op log.

Everything here runs on the store's single worker thread, never on the event loop.
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Connection, Engine, Table, create_engine, event, exc, select, update
from sqlalchemy.pool import StaticPool

from agentdesk.domain.hlc import ZERO, Hlc, packed_str, ticks_packed
from agentdesk.domain.ids import new_id
from agentdesk.domain.outbox import initial_state
from agentdesk.store.errors import StoreError
from agentdesk.store.sqlite import tables
from agentdesk.store.sqlite.connection import SYNCHRONOUS
from agentdesk.store.sqlite.connection import translate as translate_sqlite_error
from agentdesk.store.sqlite.convert import to_micros
from agentdesk.store.sqlite.ids import IdBlock

_BEGIN_OPTION = "agentdesk_begin"
_ADVANCE = (
    "UPDATE sync_meta SET last_seq = last_seq + ?, hlc_last = ? WHERE id = 1 RETURNING last_seq"
)
_ADVANCE_FROM = _ADVANCE.replace("WHERE id = 1", "WHERE id = 1 AND hlc_last = ?")
TICKET_COUNTER = "ticket_number"


def bulk_insert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many rows with one executemany of a plain positional INSERT.

    Same effect as `connection.execute(insert(table), rows)`, without SQLAlchemy's per-row
    parameter processing, which costs more than SQLite itself on a 100,000-row import. JSON
    columns are serialised here, as the JSON type would.
    """
    if not rows:
        return
    names = list(rows[0])
    connection.exec_driver_sql(_insert_sql(table, names), _positional(table, names, rows))


def bulk_upsert(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], key: str = "id"
) -> None:
    """Insert each row, or update the one with the same `key`, in one plain executemany.

    Columns the rows do not name keep their values on update (a ticket's work counters). As
    `bulk_insert`, without SQLAlchemy's per-row parameter processing.
    """
    if not rows:
        return
    names = list(rows[0])
    assignments = ", ".join(f"{name} = excluded.{name}" for name in names if name != key)
    statement = f"{_insert_sql(table, names)} ON CONFLICT ({key}) DO UPDATE SET {assignments}"
    connection.exec_driver_sql(statement, _positional(table, names, rows))


def _insert_sql(table: Table, names: Sequence[str]) -> str:
    placeholders = ", ".join("?" for _ in names)
    return f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({placeholders})"


def _positional(
    table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """Each row's values in `names` order, JSON columns serialised as the JSON type would."""
    values = itemgetter(*names, *names[:1])  # two keys at least: it always returns a tuple
    width = len(names)
    encoded = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    if not encoded:
        return [values(row)[:width] for row in rows]
    parameters: list[tuple[Any, ...]] = []
    for row in rows:
        found = list(values(row)[:width])
        for index in encoded:
            found[index] = json.dumps(found[index])
        parameters.append(tuple(found))
    return parameters


@contextmanager
def gc_paused(paused: bool = True) -> Iterator[None]:
    """Hold the cyclic garbage collector during a bulk import.

    An import allocates a million small objects and none of them form cycles; left on, the
    collector rescans the growing heap over and over (a fifth of a 100,000-ticket import).
    """
    if not paused or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Database:
    """The SQLAlchemy side of the store, over the store's one sqlite3 connection.

    The connection is opened (and configured) by `connection.connect`; the engine hands it
    out to every `engine.connect()`, so SQLAlchemy and the direct reads see one connection.
    """

    def __init__(self, path: Path, dbapi_connection: sqlite3.Connection) -> None:
        self.path = path
        self.client_id = ""
        self.clock = ClockMemo()
        self.engine: Engine = create_engine(
            f"sqlite:///{path}", creator=lambda: dbapi_connection, poolclass=StaticPool
        )
        event.listen(self.engine, "begin", _begin)

    def close(self) -> None:
        """Close the engine and with it the connection."""
        try:
            with self.engine.connect() as connection:
                # Cheap, and keeps the planner's statistics fresh for the next launch.
                connection.exec_driver_sql("PRAGMA optimize")
        except exc.DBAPIError:
            pass  # closing must not fail because of housekeeping
        self.engine.dispose()

    # -- transactions ----------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A deferred transaction: a consistent snapshot for the statements inside it."""
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def writing(self, *, durable: bool = True) -> Iterator[Transaction]:
        """`BEGIN IMMEDIATE`: take the write lock first, so the read-then-write inside cannot
        be overtaken by another process (and waits on busy_timeout instead of failing).

        `durable=False` commits without waiting for the disk (`synchronous = NORMAL`), for work
        that is simply done again if a power cut loses it: a pulled page, whose cursor commits
        with it, is pulled again. WAL keeps the file consistent either way, and the next
        durable commit (every local action's) flushes everything written before it.
        """
        with self.engine.connect() as connection:
            connection.execution_options(**{_BEGIN_OPTION: "BEGIN IMMEDIATE"})
            if durable:
                with connection.begin():
                    yield Transaction(connection, self.client_id, self.clock)
                return
            raw = connection.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            raw.execute("PRAGMA synchronous = NORMAL")
            try:
                with connection.begin():
                    yield Transaction(connection, self.client_id, self.clock)
            finally:
                raw.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")

    # -- sync metadata ---------------------------------------------------------------------
    def load_client_id(self, wanted: str | None) -> str:
        """The database's client id, created on first open and kept for its lifetime."""
        with self.reading() as connection:
            found = connection.execute(select(tables.sync_meta.c.client_id)).scalar()
        if found is None:
            with self.writing() as tx:
                tx.connection.execute(
                    tables.sync_meta.insert()
                    .prefix_with("OR IGNORE")
                    .values(
                        id=1,
                        client_id=wanted or new_id(),
                        last_seq=0,
                        hlc_last=ZERO.to_str(),
                        cursor=0,
                    )
                )
                found = tx.connection.execute(select(tables.sync_meta.c.client_id)).scalar_one()
        self.client_id = found
        return found

    # -- errors ----------------------------------------------------------------------------
    def translate(self, error: BaseException) -> StoreError | None:
        """The store error for a driver error, or None if `error` is not one (a bug)."""
        if isinstance(error, exc.DBAPIError):
            error = error.orig if isinstance(error.orig, BaseException) else error
        return translate_sqlite_error(self.path, error)


class ClockMemo:
    """The HLC after this connection's last logged op, as `sync_meta.hlc_last` holds it.

    Remembering it lets `Transaction.log` stamp and bump the clock in the one UPDATE that
    already allocates sequence numbers. The UPDATE only applies if the stored clock still equals
    the remembered one; another process's write (or a rolled-back transaction of ours) makes it
    miss, and the log reads the clock and tries once more.
    """

    def __init__(self) -> None:
        self.last: Hlc | None = None


class Transaction:
    """One write transaction: its connection plus the counters and the operation log.

    It is also the `MutationContext` a ticket action sees (`next_number`).
    """

    def __init__(self, connection: Connection, client_id: str, clock: ClockMemo) -> None:
        self.connection = connection
        self.client_id = client_id
        self.clock = clock

    def next_number(self) -> int:
        return self.next_numbers(1).start

    def next_numbers(self, count: int) -> range:
        last = self.connection.execute(
            update(tables.counters)
            .where(tables.counters.c.name == TICKET_COUNTER)
            .values(value=tables.counters.c.value + count)
            .returning(tables.counters.c.value)
        ).scalar_one()
        return range(last - count + 1, last + 1)

    def log(self, entries: Sequence[tuple[str, dict[str, Any], datetime]]) -> None:
        """Append (kind, payload, at) entries with the next gap-free sequence numbers.

        Each entry is stamped with the HLC ticked from the previous one at its own time
        (`at`, the action's `now`), so stamps strictly increase even if that clock steps back.
        """
        if not entries:
            return
        micros = [to_micros(at) for _, _, at in entries]
        walls = [value // 1000 for value in micros]
        known = self.clock.last
        stamps: list[int] = []
        last_seq = None
        if known is not None:
            stamps = ticks_packed(known, walls)
            last_seq = self._advance(len(entries), stamps[-1], known)
        if last_seq is None:
            known = Hlc.from_str(
                self.connection.execute(select(tables.sync_meta.c.hlc_last)).scalar_one()
            )
            stamps = ticks_packed(known, walls)
            last_seq = self._advance(len(entries), stamps[-1], None)
        assert last_seq is not None
        self.clock.last = Hlc.unpack(stamps[-1])
        first = last_seq - len(entries) + 1
        make_id = IdBlock()
        bulk_insert(
            self.connection,
            tables.operations,
            [
                {
                    "op_id": make_id(),
                    "client_id": self.client_id,
                    "seq": first + index,
                    "at": at,
                    "kind": kind,
                    "payload": payload,
                    "hlc": packed_str(stamp),
                    "state": initial_state(kind).value,
                    "attempts": 0,
                }
                for index, ((kind, payload, _), at, stamp) in enumerate(
                    zip(entries, micros, stamps, strict=True)
                )
            ],
        )

    def _advance(self, count: int, clock: int, expected: Hlc | None) -> int | None:
        """Bump `last_seq` and set `hlc_last`; None if the stored clock is not `expected`.

        Plain SQL: it runs with every logged action, and building the Core statement each
        time cost more than SQLite spends running it.
        """
        if expected is None:
            row = self.connection.exec_driver_sql(_ADVANCE, (count, packed_str(clock))).first()
        else:
            parameters = (count, packed_str(clock), expected.to_str())
            row = self.connection.exec_driver_sql(_ADVANCE_FROM, parameters).first()
        return None if row is None else int(row[0])


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql(connection.get_execution_options().get(_BEGIN_OPTION, "BEGIN"))
