"""What only the SQLite store has: a file that must survive reopening, crashes, other
processes, damage and newer versions of agentdesk."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.content import Content

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Agent, Complexity, KbArticle, TicketStatus
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.errors import NotFound, SchemaTooNew, Unavailable
from agentdesk.store.kb_query import segments_to_markup
from agentdesk.store.sqlite import SqliteStore
from agentdesk.store.sqlite.database import Database
from agentdesk.store.sqlite.revisions import HEAD_REVISION, KNOWN_REVISIONS
from tests.fixtures import AGENTS, ARTICLES, NOW, seed

REPO = Path(__file__).resolve().parents[2]
JUNIOR, SENIOR, LEAD = AGENTS


async def seeded(path: Path, **kwargs: str) -> SqliteStore:
    store = SqliteStore(path, create=True, **kwargs)
    await store.open()
    await seed(store)
    return store


def sqlite_rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def run_worker(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.worker", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


# -- persistence ---------------------------------------------------------------------------
async def test_everything_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    ticket = await store.ticket_by_number(2)
    await store.reply(ticket.id, "On its way", author_id=JUNIOR.id, now=NOW)
    rows = await store.ticket_rows(TicketQuery(scope=Scope.ALL), 0, 10)
    messages = await store.messages(ticket.id)
    ops = await store.operations()
    audit = await store.audit_events(ticket.id)
    await store.close()

    again = SqliteStore(path)
    await again.open()
    assert await again.ticket_rows(TicketQuery(scope=Scope.ALL), 0, 10) == rows
    assert await again.messages(ticket.id) == messages
    assert await again.operations() == ops
    assert await again.audit_events(ticket.id) == audit
    assert await again.agents() == sorted(AGENTS, key=lambda a: a.handle)
    assert await again.articles() == sorted(ARTICLES, key=lambda a: a.id)
    created = await again.create_ticket(NewTicket("Later", "body", "cu-cy"), now=NOW)
    assert created.number == 7  # the counter survived too
    assert [op.seq for op in await again.operations()] == list(range(1, len(ops) + 2))
    await again.close()


async def test_client_id_is_made_once_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path, client_id="laptop-1")
    assert store.info().client_id == "laptop-1"
    await store.close()
    again = SqliteStore(path, client_id="something-else")
    await again.open()
    assert again.info().client_id == "laptop-1"
    assert {op.client_id for op in await again.operations()} == {"laptop-1"}
    await again.close()
    fresh = SqliteStore(tmp_path / "other.db", create=True)
    await fresh.open()
    assert len(fresh.info().client_id) == 36  # a UUID made for it
    await fresh.close()


async def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    first = await seeded(tmp_path / "desk.db")
    second = SqliteStore(tmp_path / "desk.db")
    await second.open()
    ticket = await first.ticket_by_number(1)
    await second.assign(ticket.id, SENIOR.id, actor_id=SENIOR.id, now=NOW)
    assert (await first.ticket(ticket.id)).assignee_id == SENIOR.id
    assert [op.seq for op in await first.operations()][-2:] == [22, 23]
    await first.close()
    await second.close()


async def test_pragmas(tmp_path: Path) -> None:
    database = open_database(tmp_path / "desk.db")
    with database.reading() as connection:

        def pragma(name: str) -> object:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == 5000
    database.close()


async def test_a_pulled_page_commits_without_waiting_for_the_disk_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentdesk.domain.remote import RemotePage
    from agentdesk.store.errors import Conflict
    from agentdesk.store.sqlite import remote

    store = await seeded(tmp_path / "desk.db")
    seen: list[int] = []
    apply_page = remote.apply_page

    def noting_the_pragma(tx: object, page: RemotePage) -> None:
        seen.append(tx.connection.exec_driver_sql("PRAGMA synchronous").scalar())  # type: ignore[attr-defined]
        apply_page(tx, page)  # type: ignore[arg-type]

    monkeypatch.setattr(remote, "apply_page", noting_the_pragma)
    await store.apply_remote(RemotePage(0, (), (), 5))
    with pytest.raises(Conflict):
        await store.apply_remote(RemotePage(0, (), (), 9))  # does not continue the cursor
    await store.reply((await store.ticket_by_number(1)).id, "Done", author_id="me", now=NOW)
    assert seen == [1, 1]  # NORMAL while a page applies
    synchronous = await store._read(
        lambda connection: connection.exec_driver_sql("PRAGMA synchronous").scalar()
    )
    assert synchronous == 2  # FULL again, after a failed page too
    assert (await store.sync_status()).cursor == 5
    await store.close()


async def test_closed_store_is_unavailable(tmp_path: Path) -> None:
    store = await seeded(tmp_path / "desk.db")
    await store.close()
    await store.close()  # twice is fine
    with pytest.raises(Unavailable):
        await store.ticket_by_number(1)


# -- opening what is not a healthy agentdesk database --------------------------------------
@pytest.fixture
def restore_permissions(tmp_path: Path) -> Iterator[None]:
    yield
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


async def refused(path: Path, error: type[Unavailable], *words: str) -> None:
    """Opening `path` raises `error` naming `words`, and leaves the file exactly as it was."""
    before = path.read_bytes() if path.is_file() else None
    store = SqliteStore(path)
    with pytest.raises(error) as caught:
        await store.open()
    message = str(caught.value)
    for word in words:
        assert word in message
    assert str(path) in message
    if before is not None:
        assert path.read_bytes() == before
    assert not Path(f"{path}-journal").exists()


async def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "desk.db"
    await refused(path, Unavailable, "no database", "agentdesk demo")
    assert not path.exists() and not path.parent.exists()


async def test_create_makes_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "desk.db"
    store = SqliteStore(path, create=True)
    await store.open()
    assert path.exists()
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    await store.close()


async def test_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database\n" * 200)
    await refused(path, Unavailable, "not a SQLite file")


async def test_directory_instead_of_file(tmp_path: Path) -> None:
    await refused(tmp_path, Unavailable, "directory")


async def test_corrupt_database(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    await (await seeded(path)).close()
    damaged = bytearray(path.read_bytes())
    damaged[100:4096] = random.Random(1).randbytes(4096 - 100)  # the schema page, after the header
    path.write_bytes(bytes(damaged))
    await refused(path, Unavailable, "damaged")


async def test_someone_elses_sqlite_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE recipes (name TEXT)")
    connection.commit()
    connection.close()
    await refused(path, Unavailable, "another program")
    assert sqlite_rows(path, "SELECT name FROM sqlite_master") == [("recipes",)]


async def test_read_only_file(tmp_path: Path, restore_permissions: None) -> None:
    path = tmp_path / "desk.db"
    await (await seeded(path)).close()
    path.chmod(0o444)
    await refused(path, Unavailable, "read-only")


async def test_read_only_folder(tmp_path: Path, restore_permissions: None) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "desk.db"
    await (await seeded(path)).close()
    folder.chmod(0o555)
    await refused(path, Unavailable, "read-only")
    missing = folder / "new.db"
    with pytest.raises(Unavailable, match="read-only"):
        await SqliteStore(missing, create=True).open()
    assert not missing.exists()


async def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    await (await seeded(path)).close()
    connection = sqlite3.connect(path)
    connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.commit()
    connection.close()
    await refused(path, SchemaTooNew, "newer agentdesk", "9999_from_the_future")
    assert issubclass(SchemaTooNew, Unavailable)


async def test_empty_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    path.touch()
    store = SqliteStore(path)
    await store.open()
    await seed(store)
    assert await store.count_tickets(TicketQuery(scope=Scope.ALL)) == 6
    await store.close()
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]


async def test_empty_sqlite_database_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    sqlite3.connect(path).close()
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version = 0")  # a real, empty SQLite file
    connection.close()
    store = SqliteStore(path)
    await store.open()
    assert await store.agents() == []
    await store.close()


# -- migrations ----------------------------------------------------------------------------
def test_revision_constants_match_the_migration_scripts() -> None:
    from alembic.script import ScriptDirectory

    from agentdesk.store.sqlite.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    assert scripts.get_heads() == [HEAD_REVISION]
    oldest_first = [revision.revision for revision in scripts.walk_revisions()][::-1]
    assert tuple(oldest_first) == KNOWN_REVISIONS


def downgrade(path: Path, revision: str) -> None:
    """Take the file back to `revision`, as an older agentdesk would have left it."""
    from alembic import command

    from agentdesk.store.sqlite.migrate import alembic_config

    database = open_database(path)
    config = alembic_config()
    with database.writing() as tx:
        config.attributes["connection"] = tx.connection
        command.downgrade(config, revision)
    database.close()


async def test_a_store_from_the_first_release_upgrades_keeping_its_tickets(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    before = await store.ticket_rows(TicketQuery(scope=Scope.ALL), 0, 100)
    await store.close()
    downgrade(path, "0001")
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [("0001",)]

    store = SqliteStore(path)
    await store.open()
    after = await store.ticket_rows(TicketQuery(scope=Scope.ALL), 0, 100)
    ticket = await store.ticket(after[0].id)
    await store.close()
    assert sqlite_rows(path, "SELECT version_num FROM alembic_version") == [(HEAD_REVISION,)]
    assert after == before
    assert ticket.complexity == "standard" and ticket.sla_paused_at is None


def test_migrated_schema_matches_the_table_classes(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from agentdesk.store.sqlite.tables import metadata

    database = open_database(tmp_path / "desk.db")
    with database.reading() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        differences = [
            difference
            for difference in compare_metadata(context, metadata)
            # The FTS5 index and its shadow tables live outside the models on purpose.
            if not (difference[0] == "remove_table" and difference[1].name.startswith("kb_fts"))
        ]
    database.close()
    assert differences == []


def test_opening_an_up_to_date_database_imports_no_alembic(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    open_database(path).close()
    code = (
        "import asyncio, sys\n"
        "import agentdesk.store.sqlite as backend\n"
        "assert 'sqlalchemy' not in sys.modules, 'importing the backend loads SQLAlchemy'\n"
        f"store = backend.SqliteStore({str(path)!r})\n"
        "asyncio.run(store.open())\n"
        "assert 'alembic' not in sys.modules, 'an up-to-date open imported Alembic'\n"
        "asyncio.run(store.close())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# -- concurrency and crashes ---------------------------------------------------------------
async def test_two_processes_never_claim_the_same_ticket(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    # Room for every ticket: capacity is not what this test is about.
    claimers = [
        Agent("ag-a", "claimer-a", "A", capacity=1_000),
        Agent("ag-b", "claimer-b", "B", capacity=1_000),
    ]
    await store.add_agents(claimers)
    await store.add_tickets(
        [NewTicket(f"Question {i}", "Please help", "cu-bob") for i in range(150)], now=NOW
    )
    # Tickets that need no skill: #5 of the fixture and the 150 new ones.
    eligible = {5, *range(7, 157)}
    go = tmp_path / "go"
    workers = [run_worker("claim", str(path), agent.handle, str(go)) for agent in claimers]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    go.touch()
    claimed = []
    for worker in workers:
        out, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0
        claimed.append(json.loads(out.strip().splitlines()[-1]))
    everything = claimed[0] + claimed[1]
    assert len(everything) == len(set(everything)) == len(eligible)
    assert set(everything) == eligible
    for agent, numbers in zip(claimers, claimed, strict=True):
        for number in numbers[:10]:
            ticket = await store.ticket_by_number(number)
            assert ticket.assignee_id == agent.id
            explanation = await store.route_explanation(ticket.id)
            assert explanation is not None and explanation.agent_id == agent.id
    assigns = [op for op in await store.operations(limit=10_000) if op.kind == "ticket.assign"]
    assert len(assigns) == len(eligible)
    assert len({op.payload["ticket_id"] for op in assigns}) == len(eligible)
    await store.close()


async def test_push_turns_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    store = await seeded(path)
    twins = [
        Agent("ag-t1", "twin1", "T1", skills={"faq": 1}, departments=("faq",)),
        Agent("ag-t2", "twin2", "T2", skills={"faq": 1}, departments=("faq",)),
    ]
    await store.add_agents(twins)
    news = [
        NewTicket(f"Q{i}", "?", "cu-bob", "faq", required_skill="faq", complexity=Complexity.SIMPLE)
        for i in range(3)
    ]
    tickets = await store.add_tickets(news, now=NOW)
    first = await store.auto_assign(tickets[0].id, NOW)
    await store.close()
    store = SqliteStore(path)
    await store.open()
    second = await store.auto_assign(tickets[1].id, NOW)
    third = await store.auto_assign(tickets[2].id, NOW)
    await store.close()
    assert [t.assignee_id for t in (first, second, third) if t] == ["ag-t1", "ag-t2", "ag-t1"]
    turns = sqlite_rows(path, "SELECT name, value FROM counters WHERE name LIKE 'push_turn:%'")
    assert sorted(turns) == [("push_turn:ag-t1", 3), ("push_turn:ag-t2", 2)]


async def test_kill_9_leaves_whole_actions_only(tmp_path: Path) -> None:
    path = tmp_path / "desk.db"
    await (await seeded(path)).close()
    rng = random.Random(9)
    for _ in range(4):
        worker = run_worker("reply", str(path))
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL

    assert sqlite_rows(path, "PRAGMA integrity_check") == [("ok",)]
    replies = Counter(
        row[0] for row in sqlite_rows(path, "SELECT id FROM messages WHERE kind = 'reply'")
    )
    logged = Counter(
        row[0]
        for row in sqlite_rows(
            path,
            "SELECT json_extract(payload, '$.message_id') FROM operations "
            "WHERE kind = 'ticket.reply'",
        )
    )
    assert sum(replies.values()) > 0, "the worker never got to reply"
    assert replies == logged  # each reply has exactly its operation, and vice versa
    assert set(replies.values()) == {1}
    seqs = [row[0] for row in sqlite_rows(path, "SELECT seq FROM operations ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert sqlite_rows(path, "SELECT last_seq FROM sync_meta") == [(len(seqs),)]
    # Every change bumped its ticket's version exactly once.
    per_ticket = dict(
        sqlite_rows(
            path,
            "SELECT json_extract(payload, '$.ticket_id'), count(*) FROM operations "
            "WHERE kind LIKE 'ticket.%' GROUP BY 1",
        )
    )
    versions = dict(sqlite_rows(path, "SELECT id, version FROM tickets"))
    assert versions == per_ticket

    store = SqliteStore(path)  # and the store opens and works after all that
    await store.open()
    ticket = await store.ticket_by_number(1)
    await store.reply(ticket.id, "Still here", author_id=LEAD.id, now=NOW)
    await store.close()


# -- queue plans and knowledge search ------------------------------------------------------
QUEUES = {
    "team": TicketQuery(scope=Scope.TEAM),
    "all": TicketQuery(scope=Scope.ALL),
    "one department": TicketQuery(scope=Scope.TEAM, departments=("billing",)),
    "departments": TicketQuery(scope=Scope.TEAM, departments=("billing", "general")),
    "text": TicketQuery(scope=Scope.TEAM, text="kettle"),
    "department and text": TicketQuery(scope=Scope.TEAM, departments=("billing",), text="ket"),
    "mine": TicketQuery(scope=Scope.MINE, agent_id="ag-senior"),
    "closed": TicketQuery(scope=Scope.ALL, statuses=(TicketStatus.CLOSED,)),
}


@pytest.mark.parametrize("name", QUEUES)
def test_queue_windows_are_read_in_index_order(tmp_path: Path, name: str) -> None:
    """No queue window sorts the table: each walks an index already in pull order."""
    from agentdesk.store.sqlite import direct

    database = open_database(tmp_path / "desk.db")
    sql, parameters = direct.window_ids_statement(QUEUES[name], 90_000, 60)
    with database.reading() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(parameters)).all()
    plan = " | ".join(str(row[-1]) for row in rows)
    database.close()
    assert "TEMP B-TREE" not in plan
    assert "USING INDEX" in plan or "USING COVERING INDEX" in plan


@pytest.mark.parametrize("name", ["one department", "departments"])
def test_team_counts_read_the_index_of_active_tickets(tmp_path: Path, name: str) -> None:
    """The lead's all-queues count walks the few active tickets, not every ticket."""
    from agentdesk.store.sqlite import direct

    database = open_database(tmp_path / "desk.db")
    sql, parameters = direct.count_statement(QUEUES[name])
    with database.reading() as connection:
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", tuple(parameters)).all()
    database.close()
    assert [str(row[-1]) for row in rows] == [
        "SEARCH tickets USING COVERING INDEX ix_tickets_clocks (department_id=?)"
    ]


async def test_pull_next_reads_its_partial_indexes(tmp_path: Path) -> None:
    """Pull-next's reads walk the partial indexes (INDEXED BY would refuse anything else)."""
    from agentdesk.domain.routing import DEFAULT_POLICY
    from agentdesk.store.sqlite import routing

    await (await seeded(tmp_path / "desk.db")).close()
    database = open_database(tmp_path / "desk.db")
    with database.writing() as tx:
        connection = routing.raw_connection(tx.connection)
        sql, extra = routing._candidate_sql(JUNIOR, DEFAULT_POLICY)
        plan = connection.execute(
            f"EXPLAIN QUERY PLAN {sql}", ["billing", None, "standard", 0, *extra, 3]
        ).fetchall()
        assert [row[-1] for row in plan] == [
            "SEARCH tickets USING INDEX ix_tickets_routing "
            "(department_id=? AND required_skill=? AND complexity=? AND priority_rank=?)",
            "SEARCH customers USING INDEX sqlite_autoindex_customers_1 (id=?) LEFT-JOIN",
        ]
        assert routing.buckets(connection, LEAD, DEFAULT_POLICY)
        assert routing.active_load(connection, SENIOR.id) == 0
        found = list(routing.candidates(connection, SENIOR, NOW, DEFAULT_POLICY))
        assert 1 <= len(found) <= 6 and found[0].number == 1
    database.close()


def explain(database: Database, statement: object) -> str:
    with database.reading() as connection:
        sql = str(
            statement.compile(  # type: ignore[attr-defined]
                dialect=connection.dialect, compile_kwargs={"literal_binds": True}
            )
        )
        rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    return " | ".join(str(row[-1]) for row in rows)


async def test_search_ranks_only_the_newest_matches_when_there_are_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agentdesk.store.sqlite import kb

    monkeypatch.setattr(kb, "RANKED_AT_MOST", 3)
    store = SqliteStore(tmp_path / "desk.db", create=True)
    await store.open()
    await store.add_articles(
        [KbArticle(f"kb-{i}", f"Voucher {i}", "voucher " * (i + 1)) for i in range(8)]
    )
    hits = await store.search_kb("voucher")
    assert {hit.article_id for hit in hits} == {"kb-5", "kb-6", "kb-7"}
    assert await store.search_kb("voucher 2") != []  # fewer matches: all of them ranked
    await store.close()


def test_prefix_needs_three_letters(tmp_path: Path) -> None:
    from agentdesk.store.sqlite import kb

    database = open_database(tmp_path / "desk.db")
    with database.writing() as tx:
        kb.add_articles(tx, ARTICLES)
    with database.reading() as connection:
        assert kb.search(connection, "pa", 20) == []  # a whole word only: there is none
        assert [hit.article_id for hit in kb.search(connection, "pas", 20)] == ["kb-password"]
    database.close()


@pytest.fixture(scope="module")
def kb_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    from agentdesk.store.sqlite import kb

    database = open_database(tmp_path_factory.mktemp("kb") / "desk.db")
    with database.writing() as tx:
        kb.add_articles(tx, ARTICLES)
        kb.add_articles(tx, [KbArticle("kb-odd", "Odd [b] \\ [/b] text", 'x "y" (z) - * [')])
    yield database
    database.close()


@settings(max_examples=300, deadline=None)
@given(
    typed=st.text(
        alphabet=st.sampled_from(list("ab refund\"*()-^:+[]\\'NEARANDORNOT{}")) | st.characters(),
        max_size=40,
    )
)
def test_any_keystrokes_search_without_error(kb_database: Database, typed: str) -> None:
    from agentdesk.store.sqlite import kb

    with kb_database.reading() as connection:
        hits = kb.search(connection, typed, 20)
    for hit in hits:
        Content.from_markup(hit.snippet)


@settings(max_examples=300, deadline=None)
@given(
    segments=st.lists(
        st.tuples(
            st.text(alphabet=st.sampled_from(list("ab [/]\\@#x=")), max_size=8), st.booleans()
        ),
        max_size=6,
    )
)
def test_snippet_markup_shows_exactly_the_text(segments: list[tuple[str, bool]]) -> None:
    content = Content.from_markup(segments_to_markup(segments))
    assert content.plain.replace("\u200b", "") == "".join(text for text, _ in segments)
    bold = "".join(text for text, is_bold in segments if is_bold)
    marked = "".join(
        content.plain[span.start : span.end] for span in content.spans if str(span.style) == "b"
    )
    assert marked.replace("\u200b", "") == bold


def open_database(path: Path) -> Database:
    """The store's synchronous side, for tests that look below the async interface."""
    return SqliteStore(path, create=True)._open_database()


async def test_not_found_for_unknown_numbers(tmp_path: Path) -> None:
    store = await seeded(tmp_path / "desk.db")
    with pytest.raises(NotFound):
        await store.ticket_by_number(2**70)
    await store.close()
