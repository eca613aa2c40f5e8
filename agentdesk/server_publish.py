"""`agentdesk server import-kb|import-scripts FILE`: publish a team's KB or scripts on the server.

The file is read and checked as `agentdesk import` reads it (transfer.py), then against the
server's own limits, and written in one transaction with one change record per row: every desk
pulls the lot on its next sync. Any problem refuses the whole file, naming line and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from agentdesk.domain.reference_sync import RecordKind, article_to_wire, script_to_wire
from agentdesk.server import reference
from agentdesk.server.database import create_server_engine, require_current_schema
from agentdesk.store.errors import ImportFailed
from agentdesk.transfer import Format, Kind, format_for, parse_articles, parse_scripts, read_records

DOCUMENTS: Mapping[Kind, tuple[RecordKind, type[BaseModel]]] = {
    Kind.KB: (RecordKind.ARTICLE, reference.ArticleDoc),
    Kind.SCRIPTS: (RecordKind.SCRIPT, reference.ScriptDoc),
}


def checked_rows(kind: Kind, data: bytes, fmt: Format, *, now: datetime) -> dict[str, Any]:
    """Row values by id; ImportFailed lists every problem as `line N: field: message`."""
    records = read_records(data, fmt, kind)
    items = (
        [article_to_wire(article) for article in parse_articles(records, now=now)]
        if kind is Kind.KB
        else [script_to_wire(script) for script in parse_scripts(records)]
    )
    _record_kind, model = DOCUMENTS[kind]
    errors: list[str] = []
    rows: dict[str, Any] = {}
    for record, item in zip(records, items, strict=True):
        key = item.pop("id")
        if len(key) > reference.MAX_KEY or not reference.KEY_ID.match(key):
            errors.append(f"line {record.line}: id: expected 1 to 64 printable characters, no /")
        try:
            rows[key] = model.model_validate(item).model_dump()
        except ValidationError as error:
            errors += [f"line {record.line}: {problem}" for problem in reference.problems(error)]
    if errors:
        raise ImportFailed(errors)
    return rows


def publish(url: str, kind: Kind, path: Path, fmt: Format | None = None) -> int:
    """Publish the file's rows; returns how many. Raises OSError, ValueError or ImportFailed."""
    fmt = fmt or format_for(path)
    if fmt is None:
        raise ValueError(f"cannot tell the format of {path.name}; pass --format jsonl or csv")
    now = datetime.now(UTC)
    rows = checked_rows(kind, path.read_bytes(), fmt, now=now)
    record_kind, _model = DOCUMENTS[kind]
    engine = create_server_engine(url)
    try:
        require_current_schema(engine, url)
        with engine.begin() as connection:
            reference.put_many(connection, record_kind, rows, actor=None, now=now)
    finally:
        engine.dispose()
    return len(rows)
