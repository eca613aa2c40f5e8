"""Shared reference data on the server: scripts, KB articles, departments, customers and rules.

Every write upserts one row and appends its change record in the caller's transaction, so each
client pulls the edit in commit order: the record's kind is a `RecordKind` and its payload the
whole row (a later record of the same id replaces an earlier one on the client). Bodies are
checked by pydantic models whose errors name the field; rule documents are checked by the same
readers as the config file, whose errors name the key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from sqlalchemy import Connection, Table, select

from agentdesk.config import ConfigError
from agentdesk.config_routing import parse_routing
from agentdesk.config_transfer import check_departments, transfer_rules
from agentdesk.domain.model import CustomerTier, Role
from agentdesk.domain.reference_sync import RecordKind
from agentdesk.domain.scripts import placeholder_key, placeholders
from agentdesk.domain.sync_ops import OpEnvelope, SyncKind
from agentdesk.server import changelog
from agentdesk.server import tables as t
from agentdesk.server.changelog import ChangeRecord
from agentdesk.server.database import dialect_insert
from agentdesk.server.op_writes import Pusher, Rejection
from agentdesk.server.tickets import requeue_customer

# Who edits scripts, KB articles and customers (over HTTP or by a pushed op); departments and
# rules shape routing for everyone, so only admins change them.
EDITORS = frozenset({Role.LEAD, Role.ADMIN})
MAX_KEY = 64
KEY_PATTERN = r"^[^\x00-\x1f/]+$"
KEY_ID = re.compile(KEY_PATTERN)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps the error a 422 naming the field.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _text(longest: int, *, required: bool = True) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=int(required), max_length=longest),
        AfterValidator(_no_nul),
    ]


Key = Annotated[str, Field(min_length=1, max_length=MAX_KEY, pattern=KEY_PATTERN)]
ShortText = _text(200)
OptionalShortText = _text(200, required=False)
ScriptBody = _text(20_000)
Step = _text(2_000)
Title = _text(500)
ArticleBody = _text(200_000)
Tag = _text(100)
Email = _text(320, required=False)
Phone = _text(64, required=False)
Language = _text(16)


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ScriptDoc(Document):
    name: ShortText
    body: ScriptBody
    intent: OptionalShortText = ""
    steps: list[Step] = Field(default=[], max_length=50)
    required: list[ShortText] = Field(default=[], max_length=50)

    @field_validator("required")
    @classmethod
    def _slots_are_in_the_body(cls, required: list[str], info: ValidationInfo) -> list[str]:
        slots = {placeholder_key(name) for name in placeholders(info.data.get("body", ""))}
        missing = [name for name in required if placeholder_key(name) not in slots]
        if "body" in info.data and missing:
            raise ValueError(f"{', '.join(missing)}: not a {{{{placeholder}}}} of the body")
        return required


class ArticleDoc(Document):
    title: Title
    body: ArticleBody
    intent: OptionalShortText = ""
    tags: list[Tag] = Field(default=[], max_length=50)


class DepartmentDoc(Document):
    name: ShortText


class CustomerDoc(Document):
    name: ShortText
    email: Email = ""
    phone: Phone = ""
    tier: CustomerTier = Field(default=CustomerTier.STANDARD, strict=False)
    language: Language = "en"

    @field_validator("email")
    @classmethod
    def _looks_like_an_email(cls, email: str) -> str:
        if email and not EMAIL.match(email):
            raise ValueError("expected an address such as ann@example.com")
        return email


class RuleSet(StrEnum):
    TRANSFER = "transfer"
    ROUTING = "routing"


class RulesDoc(Document):
    document: dict[str, Any] = Field(
        description="the config file's [transfer] table ({'rules': [...]}) or [routing] table"
    )


class InvalidRules(ValueError):
    """A rule document the config readers refuse; the message names the key."""


def check_rules(connection: Connection, name: RuleSet, document: Mapping[str, Any]) -> None:
    """Raise InvalidRules naming the first bad key of `document`."""
    try:
        json.dumps(document, allow_nan=False)
    except ValueError:
        raise InvalidRules("document: numbers must be finite") from None
    if _holds_nul(document):
        raise InvalidRules("document: must not contain NUL characters")
    try:
        if name is RuleSet.ROUTING:
            parse_routing(dict(document))
            return
        rules = transfer_rules(dict(document))
    except ConfigError as error:
        raise InvalidRules(f"document: {error}") from None
    known = set(connection.execute(select(t.departments.c.id)).scalars())
    _kept, problems = check_departments(rules, known)
    if problems:
        raise InvalidRules(f"document: {problems[0]}")


def _holds_nul(document: object) -> bool:
    # A loop, not recursion: a body may nest as deep as the JSON parser allows.
    waiting = [document]
    while waiting:
        value = waiting.pop()
        if isinstance(value, str) and "\x00" in value:
            return True
        if isinstance(value, Mapping):
            waiting += [*value.keys(), *value.values()]
        elif isinstance(value, list):
            waiting += value
    return False


# -- storage -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Shelf:
    """Where one kind of reference row lives, and whether it counts versions."""

    table: Table
    key: str = "id"
    versioned: bool = True


SHELVES: Mapping[RecordKind, Shelf] = {
    RecordKind.SCRIPT: Shelf(t.scripts),
    RecordKind.ARTICLE: Shelf(t.kb_articles),
    RecordKind.DEPARTMENT: Shelf(t.departments, versioned=False),
    RecordKind.CUSTOMER: Shelf(t.customers, versioned=False),
    RecordKind.RULES: Shelf(t.rule_documents, key="name"),
}


def row_json(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in row.items()
    }


def put(
    connection: Connection,
    kind: RecordKind,
    key: str,
    values: Mapping[str, Any],
    *,
    actor: str | None,
    now: datetime,
) -> dict[str, Any]:
    """Insert or replace one row and log it; returns the stored row as JSON."""
    return put_many(connection, kind, {key: values}, actor=actor, now=now)[0]


def put_many(
    connection: Connection,
    kind: RecordKind,
    rows: Mapping[str, Mapping[str, Any]],
    *,
    actor: str | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Upsert rows by key in one transaction, one change record each (an import lands whole)."""
    shelf = SHELVES[kind]
    stored: list[dict[str, Any]] = []
    for key, values in rows.items():
        row: dict[str, Any] = {shelf.key: key, **values}
        if shelf.versioned:
            row.update(version=1, updated_at=now, updated_by=actor)
        statement = dialect_insert(connection, shelf.table).values(row)
        changes = {name: statement.excluded[name] for name in row if name != shelf.key}
        if shelf.versioned:
            changes["version"] = shelf.table.c.version + 1
        statement = statement.on_conflict_do_update(
            index_elements=[shelf.key], set_=changes
        ).returning(*shelf.table.c)
        stored.append(row_json(connection.execute(statement).one()._mapping))
        if kind is RecordKind.CUSTOMER:
            customer = stored[-1]
            requeue_customer(connection, key, customer["tier"], customer["language"])
    changelog.append(
        connection, [ChangeRecord(kind.value, None, payload) for payload in stored], now=now
    )
    return stored


def publish_agent(connection: Connection, agent_id: str, *, now: datetime) -> dict[str, Any]:
    """Log the agent's row as an `agent` change record, so desks add it to their roster.

    Every column but the token hash goes out, whatever columns the table has by now (skills,
    languages, tier...): a desk reads the ones it knows.
    """
    row = connection.execute(select(t.agents).where(t.agents.c.id == agent_id)).one()
    payload = row_json({k: v for k, v in row._mapping.items() if k != "token_hash"})
    changelog.append(connection, [ChangeRecord(RecordKind.AGENT.value, None, payload)], now=now)
    return payload


def get(connection: Connection, kind: RecordKind, key: str) -> dict[str, Any] | None:
    shelf = SHELVES[kind]
    row = connection.execute(
        select(shelf.table).where(shelf.table.c[shelf.key] == key)
    ).one_or_none()
    return None if row is None else row_json(row._mapping)


def listing(
    connection: Connection, kind: RecordKind, after: str, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` rows with keys after `after`, in key order."""
    shelf = SHELVES[kind]
    column = shelf.table.c[shelf.key]
    rows = connection.execute(
        select(shelf.table).where(column > after).order_by(column).limit(limit)
    )
    return [row_json(row._mapping) for row in rows]


# -- pushed edits ------------------------------------------------------------------------------
PUSHED: Mapping[SyncKind, tuple[RecordKind, type[Document], str]] = {
    SyncKind.SCRIPT_UPSERT: (RecordKind.SCRIPT, ScriptDoc, "scripts"),
    SyncKind.ARTICLE_UPSERT: (RecordKind.ARTICLE, ArticleDoc, "KB articles"),
}


def problems(error: ValidationError, prefix: str = "") -> list[str]:
    """`field.path: message` for each problem pydantic found."""
    return [
        f"{prefix}{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
        for problem in error.errors()
    ]


def apply_pushed(
    connection: Connection, pusher: Pusher, op: OpEnvelope, *, now: datetime
) -> dict[str, Any]:
    """A lead's script or article edit from a workstation; agents get `forbidden`."""
    kind, model, noun = PUSHED[op.kind]
    if pusher.role not in EDITORS:
        raise Rejection("forbidden", f"a {pusher.role.value} may not edit {noun}")
    values = dict(op.payload)
    key = values.pop("id", None)
    if not isinstance(key, str) or not KEY_ID.match(key) or len(key) > MAX_KEY:
        raise Rejection("invalid", f"id: expected 1 to {MAX_KEY} printable characters")
    try:
        document = model.model_validate(values)
    except ValidationError as error:
        raise Rejection("invalid", "; ".join(problems(error))) from None
    put(connection, kind, key, document.model_dump(), actor=pusher.agent_id, now=now)
    return {}
