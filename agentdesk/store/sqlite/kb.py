"""Knowledge base: articles and ranked full-text search over FTS5 (synchronous)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Connection, exc, select, text

from agentdesk.domain.model import KbArticle, KbHit
from agentdesk.store.errors import NotFound
from agentdesk.store.sqlite import convert, tables
from agentdesk.store.sqlite.database import Transaction
from agentdesk.store.sqlite.reference import upsert
from agentdesk.store.sqlite.search import (
    SNIPPET_CLOSE,
    SNIPPET_OPEN,
    fts_query,
    snippet_to_markup,
)

# Title matches count ten times a body match; ties go by title like the memory store.
_SEARCH = text(
    """
    SELECT a.id AS id, a.title AS title,
           snippet(kb_fts, 1, :open, :close, '…', :tokens) AS snippet,
           bm25(kb_fts, 10.0, 1.0) AS rank
    FROM kb_fts JOIN kb_articles AS a ON a.pk = kb_fts.rowid
    WHERE kb_fts MATCH :query
    ORDER BY rank, a.title
    LIMIT :limit
    """
)
SNIPPET_TOKENS = 24


def search(connection: Connection, typed: str, limit: int) -> list[KbHit]:
    query = fts_query(typed)
    if query is None or limit <= 0:
        return []
    params = {
        "open": SNIPPET_OPEN,
        "close": SNIPPET_CLOSE,
        "tokens": SNIPPET_TOKENS,
        "query": query,
        "limit": limit,
    }
    try:
        rows = connection.execute(_SEARCH, params).all()
    except exc.OperationalError as error:
        # The query is built from quoted words only; should FTS5 still refuse one, what the
        # user typed simply matches nothing rather than breaking their typing.
        if "fts5" in str(error.orig):
            return []
        raise
    return [KbHit(row.id, row.title, snippet_to_markup(row.snippet), -row.rank) for row in rows]


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
    rows = [convert.article_values(item) for item in items]
    upsert(tx.connection, tables.kb_articles, rows)
    at = datetime.now(UTC)
    tx.log([("kb.upsert", {"id": row["id"], "title": row["title"]}, at) for row in rows])
