"""HTTP routes of the shared reference data: list, read and upsert (who may: app.ROLE_MATRIX).

No `from __future__ import annotations` here: the routes are closures, and FastAPI reads their
parameter annotations as objects (string annotations would be looked up in module globals).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import FastAPI, Path, Query
from pydantic import BaseModel
from sqlalchemy import Engine

from agentdesk.domain.reference_sync import RecordKind
from agentdesk.server import reference
from agentdesk.server.database import reading
from agentdesk.server.reference import (
    KEY_PATTERN,
    MAX_KEY,
    ArticleDoc,
    CustomerDoc,
    DepartmentDoc,
    RulesDoc,
    RuleSet,
    ScriptDoc,
)

KeyPath = Annotated[str, Path(min_length=1, max_length=MAX_KEY, pattern=KEY_PATTERN)]
After = Annotated[
    str,
    Query(max_length=MAX_KEY, pattern=r"^[^\x00-\x1f]*$", description="the last key seen"),
]
Limit = Annotated[int, Query(ge=1, le=1000)]

# URL prefix -> what it holds, its body model and its path parameter's name.
ROUTES: tuple[tuple[str, RecordKind, type[BaseModel]], ...] = (
    ("/scripts", RecordKind.SCRIPT, ScriptDoc),
    ("/kb/articles", RecordKind.ARTICLE, ArticleDoc),
    ("/departments", RecordKind.DEPARTMENT, DepartmentDoc),
    ("/customers", RecordKind.CUSTOMER, CustomerDoc),
)
READ_PATHS = (
    *(path for prefix, _kind, _model in ROUTES for path in (prefix, prefix + "/{key}")),
    "/rules",
    "/rules/{name}",
)


def install(app: FastAPI, engine: Engine, now: Callable[[], datetime], caller: Any) -> None:
    """Add the routes; `caller` is the authenticating dependency (app.Caller)."""
    from agentdesk.server.app import ApiError  # app imports this module

    def listed(kind: RecordKind, after: str, limit: int) -> dict[str, Any]:
        with reading(engine) as connection:
            items = reference.listing(connection, kind, after, limit)
        key = reference.SHELVES[kind].key
        return {"items": items, "next_after": items[-1][key] if len(items) == limit else None}

    def found(kind: RecordKind, key: str) -> dict[str, Any]:
        with reading(engine) as connection:
            row = reference.get(connection, kind, key)
        if row is None:
            raise ApiError(404, "not_found", f"no {kind.value} {key!r}")
        return row

    for prefix, kind, model in ROUTES:
        _install_kind(app, prefix, kind, model, listed, found, engine, now, caller)

    @app.get("/rules", tags=["reference"])
    def list_rules(account: caller) -> dict[str, Any]:
        with reading(engine) as connection:
            return {"items": reference.listing(connection, RecordKind.RULES, "", len(RuleSet))}

    @app.get("/rules/{name}", tags=["reference"])
    def get_rules(name: RuleSet, account: caller) -> dict[str, Any]:
        return found(RecordKind.RULES, name.value)

    @app.put("/rules/{name}", tags=["reference"])
    def put_rules(name: RuleSet, body: RulesDoc, account: caller) -> dict[str, Any]:
        """Replace the transfer rules or the routing table (admins); checked like the config."""
        with engine.begin() as connection:
            try:
                reference.check_rules(connection, name, body.document)
            except reference.InvalidRules as error:
                raise ApiError(422, "invalid_request", [f"body.{error}"]) from None
            return reference.put(
                connection,
                RecordKind.RULES,
                name.value,
                {"document": body.document},
                actor=account.id,
                now=now(),
            )


def _install_kind(
    app: FastAPI,
    prefix: str,
    kind: RecordKind,
    model: type[BaseModel],
    listed: Callable[[RecordKind, str, int], dict[str, Any]],
    found: Callable[[RecordKind, str], dict[str, Any]],
    engine: Engine,
    now: Callable[[], datetime],
    caller: Any,
) -> None:
    noun = kind.value.replace("_", " ")

    @app.get(prefix, tags=["reference"], summary=f"List {noun}s")
    def list_rows(account: caller, after: After = "", limit: Limit = 100) -> dict[str, Any]:
        """Rows in key order after `after`; `next_after` continues the list, null at its end."""
        return listed(kind, after, limit)

    @app.get(prefix + "/{key}", tags=["reference"], summary=f"Read one {noun}")
    def get_row(key: KeyPath, account: caller) -> dict[str, Any]:
        return found(kind, key)

    @app.put(prefix + "/{key}", tags=["reference"], summary=f"Create or replace a {noun}")
    def put_row(key: KeyPath, body: model, account: caller) -> dict[str, Any]:  # type: ignore[valid-type]
        """Every desk pulls the new row through /sync/changes."""
        with engine.begin() as connection:
            return reference.put(
                connection, kind, key, body.model_dump(), actor=account.id, now=now()
            )
