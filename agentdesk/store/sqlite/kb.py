"""Knowledge base: articles and ranked full-text search over FTS5 (synchronous)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, exc, select, text

from agentdesk.domain.model import KbArticle, KbHit
from agentdesk.store.errors import NotFound
from agentdesk.store.kb_query import (
    SNIPPET_CLOSE,
    SNIPPET_OPEN,
    fts_query,
    snippet_to_markup,
)
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import Transaction, gc_paused
from agentdesk.store.sqlite.reference import upsert

# Ranking costs FTS5 several microseconds per matching article, so a query that matches more
# than this many ranks only the most recently added ones: a word found in half of 100,000
# articles is answered in milliseconds, not a tenth of a second.
RANKED_AT_MOST = 2000
SNIPPET_TOKENS = 24
BULK = 1000

# The rowid from which the newest RANKED_AT_MOST matches start.
_CUTOFF = text(
    "SELECT rowid FROM kb_fts WHERE kb_fts MATCH :query ORDER BY rowid DESC LIMIT 1 OFFSET :skip"
)
# `ORDER BY rank LIMIT` lets FTS5 sort internally and return only the top rows, so snippet()
# runs for those alone. A title match weighs ten body matches.
_SEARCH = text(
    """
    SELECT a.id AS id, a.title AS title, rank,
           snippet(kb_fts, 1, :open, :close, '…', :tokens) AS snippet
    FROM kb_fts JOIN kb_articles AS a ON a.pk = kb_fts.rowid
    WHERE kb_fts MATCH :query AND rank MATCH 'bm25(10.0, 1.0)' AND kb_fts.rowid >= :cutoff
    ORDER BY rank
    LIMIT :limit
    """
)


def search(connection: Connection, typed: str, limit: int) -> list[KbHit]:
    query = fts_query(typed)
    if query is None or limit <= 0:
        return []
    try:
        cutoff = connection.execute(_CUTOFF, {"query": query, "skip": RANKED_AT_MOST - 1})
        params = {
            "query": query,
            "cutoff": cutoff.scalar() or 0,
            "open": SNIPPET_OPEN,
            "close": SNIPPET_CLOSE,
            "tokens": SNIPPET_TOKENS,
            "limit": limit,
        }
        rows = connection.execute(_SEARCH, params).all()
    except exc.OperationalError as error:
        # The query is built from quoted words only; should FTS5 still refuse one, what the
        # user typed simply matches nothing rather than breaking their typing.
        if "fts5" in str(error.orig):
            return []
        raise
    hits = [KbHit(row.id, row.title, snippet_to_markup(row.snippet), -row.rank) for row in rows]
    hits.sort(key=lambda hit: (-hit.score, hit.title))  # ties by title, as the memory store
    return hits


def article(connection: Connection, article_id: str) -> KbArticle:
    a = tables.kb_articles
    row = connection.execute(select(a).where(a.c.id == article_id)).first()
    if row is None:
        raise NotFound(f"no article {article_id!r}")
    return convert.article_from_row(row._mapping)


def articles(connection: Connection) -> list[KbArticle]:
    a = tables.kb_articles
    return [
        convert.article_from_row(row._mapping)
        for row in connection.execute(select(a).order_by(a.c.id))
    ]


def add_articles(tx: Transaction, items: Sequence[KbArticle]) -> None:
    # Upsert by id keeps each row's key, and the table's triggers re-index its text.
    with gc_paused(len(items) >= BULK):
        rows = [convert.article_values(item) for item in items]
        upsert(tx.connection, tables.kb_articles, rows)
        at = datetime.now(UTC)
        tx.log([("kb.upsert", {"id": row["id"], "title": row["title"]}, at) for row in rows])
