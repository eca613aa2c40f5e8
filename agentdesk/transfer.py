"""Import and export of tickets, knowledge-base articles and scripts, as JSON Lines or CSV.

Both formats carry the same fields. JSONL: one JSON object per line, lists as JSON arrays,
missing values as `null` or left out. CSV: UTF-8, a header row naming the columns (any
order), lists joined as described below, missing values empty. Files must be UTF-8 (a BOM is
fine). Times are ISO 8601 (`2026-11-20T09:00:00+00:00`); a time without an offset is UTC.

Tickets (`tickets`)
    subject*, body* (the customer's first message),
    customer_id | customer_name | customer_email (at least one),
    customer_phone, customer_tier (standard|vip), customer_language (e.g. `en`),
    department (a department id), priority (urgent|high|normal|low), channel
    (email|chat|phone|web|social; default email), intent, required_skill, created_at
    (default: the time of import), id (kept if given).
    Tickets go through intake (`agentdesk.intake.receive`): a row without an intent is
    classified when the intent model is installed; a row without a department is routed by
    its intent (to triage when unsure, out of scope or unrouted) and the transfer rules
    apply to it. A row naming its department keeps it, with its required_skill, and no rule
    moves it; a row naming its priority keeps it (else the intent's route sets it, else
    normal).
    Customers: a known `customer_id` is used as is; an unknown one is created from the
    customer_* fields (customer_name then required). Without an id, the customer is found or
    created by e-mail address (case-insensitive), else by name.
    Export adds read-only fields that import accepts and ignores, because imported tickets
    always start as `new`: number, status, assignee (agent handle), updated_at,
    first_response_due, resolution_due, first_response_at, closed_at, resolution, csat,
    follow_up_of.

Knowledge-base articles (`kb`)
    title*, body* (markdown), intent, tags (CSV: comma-separated), updated_at, id.
    An article with the id of an existing one replaces it.

Scripts (`scripts`)
    name*, body* (a template with `{{Placeholder}}` slots), intent,
    steps (CSV: one per line), required (placeholders to fill before sending; CSV:
    comma-separated; each must occur in body), id. A script with an existing id replaces it.

(* = required.) Import is all-or-nothing: every row is checked first and any problem (each
named by line and field) refuses the whole file with `ImportFailed`.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.ids import new_id
from agentdesk.domain.intake import Arrival
from agentdesk.domain.model import (
    Channel,
    Customer,
    CustomerTier,
    KbArticle,
    MessageKind,
    Priority,
    Script,
    Ticket,
)
from agentdesk.domain.scripts import placeholder_key, placeholders
from agentdesk.intake import Classify, receive
from agentdesk.store.base import Scope, Store, TicketQuery
from agentdesk.store.errors import ImportFailed, NotFound


class Kind(StrEnum):
    TICKETS = "tickets"
    KB = "kb"
    SCRIPTS = "scripts"


class Format(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


EXTENSIONS: dict[str, Format] = {
    ".jsonl": Format.JSONL,
    ".ndjson": Format.JSONL,
    ".csv": Format.CSV,
}

# phase ("reading", "checking", "writing", "exporting"), done, total
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 500

# A customer id derived from an e-mail address or name, so importing the same person twice
# (in one file or over several imports) finds the customer created the first time.
CUSTOMER_NAMESPACE = uuid.UUID("0b6f1c1e-6a43-4c1e-9a51-3a7d1f0c2a10")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class ImportResult:
    kind: Kind
    count: int
    customers_created: int = 0


def format_for(path: Path) -> Format | None:
    return EXTENSIONS.get(path.suffix.lower())


# -- fields ------------------------------------------------------------------------------------
class FieldType(StrEnum):
    TEXT = "text"
    TIME = "time"
    CHOICE = "choice"
    COMMA_LIST = "comma list"
    LINE_LIST = "line list"
    EXPORT_ONLY = "export only"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    # Long texts keep their whitespace (markdown, sign-offs); short values are trimmed.
    keep_whitespace: bool = False


def _choices(enum: Iterable[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


TICKET_FIELDS = (
    Field("id"),
    Field("subject", required=True),
    Field("body", required=True, keep_whitespace=True),
    Field("customer_id"),
    Field("customer_name"),
    Field("customer_email"),
    Field("customer_phone"),
    Field("customer_tier", FieldType.CHOICE, choices=_choices(CustomerTier)),
    Field("customer_language"),
    Field("department"),
    Field("priority", FieldType.CHOICE, choices=_choices(Priority)),
    Field("channel", FieldType.CHOICE, choices=_choices(Channel)),
    Field("intent"),
    Field("required_skill"),
    Field("created_at", FieldType.TIME),
    *(
        Field(name, FieldType.EXPORT_ONLY)
        for name in (
            "number",
            "status",
            "assignee",
            "updated_at",
            "first_response_due",
            "resolution_due",
            "first_response_at",
            "closed_at",
            "resolution",
            "csat",
            "follow_up_of",
        )
    ),
)
ARTICLE_FIELDS = (
    Field("id"),
    Field("title", required=True),
    Field("body", required=True, keep_whitespace=True),
    Field("intent"),
    Field("tags", FieldType.COMMA_LIST),
    Field("updated_at", FieldType.TIME),
)
SCRIPT_FIELDS = (
    Field("id"),
    Field("name", required=True),
    Field("body", required=True, keep_whitespace=True),
    Field("intent"),
    Field("steps", FieldType.LINE_LIST),
    Field("required", FieldType.COMMA_LIST),
)
FIELDS: dict[Kind, tuple[Field, ...]] = {
    Kind.TICKETS: TICKET_FIELDS,
    Kind.KB: ARTICLE_FIELDS,
    Kind.SCRIPTS: SCRIPT_FIELDS,
}


@dataclass(slots=True)
class Record:
    """One row of the file as read: its first line number and raw values."""

    line: int
    raw: dict[str, object]


@dataclass(slots=True)
class Checker:
    """Collects every problem, each naming the line and field."""

    errors: list[str] = field(default_factory=list)

    def add(self, line: int, field_name: str, message: str) -> None:
        self.errors.append(
            f"line {line}: {field_name}: {message}" if field_name else f"line {line}: {message}"
        )

    def fail_if_any(self) -> None:
        if self.errors:
            raise ImportFailed(self.errors)


# -- reading files -----------------------------------------------------------------------------
def decode(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ImportFailed(
            [
                f"line {line}: not UTF-8 text (byte 0x{data[error.start]:02x} at column "
                f"{column}); save the file as UTF-8"
            ]
        ) from None
    if not text.strip():
        raise ImportFailed(["the file is empty"])
    return text


def read_jsonl(text: str, progress: Progress | None = None) -> list[Record]:
    lines = text.split("\n")
    checker = Checker()
    records: list[Record] = []
    for number, line in enumerate(lines, start=1):
        if progress and number % PROGRESS_EVERY == 0:
            progress("reading", number, len(lines))
        stripped = line.strip()
        if not stripped:
            continue
        if number == 1 and stripped.startswith("["):
            raise ImportFailed(
                ["line 1: expected one JSON object per line (JSON Lines), not a JSON array"]
            )
        try:
            value = json.loads(stripped)
        except json.JSONDecodeError as error:
            checker.add(number, "", f"not valid JSON ({error.msg} at column {error.colno})")
            continue
        if not isinstance(value, dict):
            checker.add(number, "", f"expected a JSON object {{...}}, got {_json_type(value)}")
            continue
        records.append(Record(number, value))
    checker.fail_if_any()
    return records


def _json_type(value: object) -> str:
    names = {list: "an array", str: "a string", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def read_csv(text: str, progress: Progress | None = None) -> tuple[list[str], list[Record]]:
    total = text.count("\n") + 1
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[Record] = []
    columns: list[str] = []
    checker = Checker()
    try:
        header = next(reader)
        columns = [name.strip() for name in header]
        for name in sorted({c for c in columns if columns.count(c) > 1}):
            checker.add(1, "", f"column {name!r} appears more than once")
        start = reader.line_num + 1
        for row in reader:
            if progress and len(records) % PROGRESS_EVERY == 0:
                progress("reading", reader.line_num, total)
            if not any(cell.strip() for cell in row):
                start = reader.line_num + 1
                continue
            if len(row) != len(columns):
                checker.add(
                    start, "", f"has {len(row)} cells but the header has {len(columns)} columns"
                )
            else:
                records.append(Record(start, dict(zip(columns, row, strict=True))))
            start = reader.line_num + 1
    except csv.Error as error:
        checker.add(reader.line_num, "", f"not valid CSV ({error})")
    checker.fail_if_any()
    return columns, records


def read_records(
    data: bytes,
    fmt: Format,
    kind: Kind,
    progress: Progress | None = None,
    extra_fields: tuple[Field, ...] = (),
) -> list[Record]:
    """Decode and parse the file; file-level problems (encoding, syntax, columns) raise.

    `extra_fields` are accepted beside the kind's own, for commands that read more than an
    import does (a simulation's handle times).
    """
    text = decode(data)
    known = {f.name: f for f in (*FIELDS[kind], *extra_fields)}
    checker = Checker()
    if fmt is Format.CSV:
        columns, records = read_csv(text, progress)
        for column in columns:
            if column not in known:
                checker.add(1, "", f"column {column!r} is not known{_suggest(column, known)}")
        missing = [f.name for f in FIELDS[kind] if f.required and f.name not in columns]
        if missing:
            checker.add(1, "", f"missing required column(s): {', '.join(missing)}")
        if kind is Kind.TICKETS and not {"customer_id", "customer_name", "customer_email"} & set(
            columns
        ):
            checker.add(1, "", "needs a customer_id, customer_name or customer_email column")
    else:
        records = read_jsonl(text, progress)
        for record in records:
            for key in record.raw:
                if key not in known:
                    checker.add(record.line, key, f"is not a known field{_suggest(key, known)}")
    checker.fail_if_any()
    if not records:
        raise ImportFailed(["the file has no records"])
    return records


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"


# -- checking values ---------------------------------------------------------------------------
class Values:
    """Typed access to one record's fields; every bad value is reported to the checker."""

    def __init__(self, record: Record, fields: tuple[Field, ...], checker: Checker) -> None:
        self.line = record.line
        self.raw = record.raw
        self.fields = {f.name: f for f in fields}
        self.checker = checker

    def error(self, name: str, message: str) -> None:
        self.checker.add(self.line, name, message)

    def text(self, name: str) -> str:
        value = self.raw.get(name)
        spec = self.fields[name]
        if value is None:
            value = ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.error(name, f"expected text, got {_json_type(value)}")
            return ""
        if not spec.keep_whitespace:
            value = value.strip()
        if spec.required and not value.strip():
            self.error(name, "is required" if name not in self.raw else "must not be empty")
        return value

    def choice(self, name: str, default: str) -> str:
        value = self.text(name).lower() or default
        choices = self.fields[name].choices
        if value not in choices:
            self.error(name, f"{self.raw.get(name)!r} is not one of {', '.join(choices)}")
            return default
        return value

    def time(self, name: str) -> datetime | None:
        value = self.text(name)
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            self.error(name, f"{value!r} is not an ISO 8601 time such as 2026-11-20T09:00:00Z")
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

    def items(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None or value == "":
            return ()
        if isinstance(value, list):
            if not all(isinstance(item, str) for item in value):
                self.error(name, "expected a list of texts")
                return ()
            parts = value
        elif isinstance(value, str):
            separator = "\n" if self.fields[name].type is FieldType.LINE_LIST else ","
            parts = value.split(separator)
        else:
            self.error(name, f"expected a list of texts, got {_json_type(value)}")
            return ()
        return tuple(part.strip() for part in parts if part.strip())


def _check_unique_ids(records: list[Record], checker: Checker) -> None:
    first_seen: dict[str, int] = {}
    for record in records:
        value = record.raw.get("id")
        if isinstance(value, str) and value.strip():
            key = value.strip()
            if key in first_seen:
                checker.add(
                    record.line, "id", f"{key!r} appears again (first on line {first_seen[key]})"
                )
            else:
                first_seen[key] = record.line


def parse_articles(records: list[Record], *, now: datetime) -> list[KbArticle]:
    checker = Checker()
    _check_unique_ids(records, checker)
    articles: list[KbArticle] = []
    for record in records:
        values = Values(record, ARTICLE_FIELDS, checker)
        articles.append(
            KbArticle(
                id=values.text("id") or new_id(),
                title=values.text("title"),
                body=values.text("body"),
                intent=values.text("intent"),
                tags=values.items("tags"),
                updated_at=values.time("updated_at") or now,
            )
        )
    checker.fail_if_any()
    return articles


def parse_scripts(records: list[Record]) -> list[Script]:
    checker = Checker()
    _check_unique_ids(records, checker)
    scripts: list[Script] = []
    for record in records:
        values = Values(record, SCRIPT_FIELDS, checker)
        body = values.text("body")
        required = values.items("required")
        slots = {placeholder_key(name) for name in placeholders(body)}
        for name in required:
            if placeholder_key(name) not in slots:
                values.error("required", f"{name!r} is not a {{{{placeholder}}}} in body")
        scripts.append(
            Script(
                id=values.text("id") or new_id(),
                name=values.text("name"),
                body=body,
                intent=values.text("intent"),
                steps=values.items("steps"),
                required=required,
            )
        )
    checker.fail_if_any()
    return scripts


@dataclass(slots=True)
class ParsedTickets:
    tickets: list[Arrival]
    new_customers: list[Customer]


def derived_customer_id(email: str, name: str) -> str:
    key = f"email:{email.lower()}" if email else f"name:{' '.join(name.lower().split())}"
    return f"cu-{uuid.uuid5(CUSTOMER_NAMESPACE, key)}"


async def parse_tickets(
    store: Store, records: list[Record], *, now: datetime, progress: Progress | None = None
) -> ParsedTickets:
    checker = Checker()
    _check_unique_ids(records, checker)
    departments = sorted(d.id for d in await store.departments())
    existing_ids = await _ticket_ids(store)
    known_customers: dict[str, bool] = {}  # id -> exists in the store
    new_customers: dict[str, Customer] = {}
    tickets: list[Arrival] = []

    async def customer_exists(customer_id: str) -> bool:
        if customer_id not in known_customers:
            try:
                await store.customer(customer_id)
                known_customers[customer_id] = True
            except NotFound:
                known_customers[customer_id] = False
        return known_customers[customer_id]

    for index, record in enumerate(records):
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking", index, len(records))
        values = Values(record, TICKET_FIELDS, checker)
        subject, body = values.text("subject"), values.text("body")
        ticket_id = values.text("id") or None
        if ticket_id and ticket_id in existing_ids:
            values.error("id", f"ticket {ticket_id!r} already exists")
        department = values.text("department")
        if department and department not in departments:
            values.error(
                "department", f"{department!r} is not one of {', '.join(departments) or '(none)'}"
            )
        created_at = values.time("created_at")
        if created_at and created_at > now + FUTURE_TOLERANCE:
            values.error("created_at", f"{created_at.isoformat()} is in the future")
        customer_id = await _customer_for(values, customer_exists, new_customers)
        skill = values.text("required_skill") or None
        new = NewTicket(
            subject=subject,
            body=body,
            customer_id=customer_id,
            department_id=department or "general",
            priority=Priority(values.choice("priority", Priority.NORMAL.value)),
            channel=Channel(values.choice("channel", Channel.EMAIL.value)),
            intent=values.text("intent"),
            required_skill=skill,
            created_at=created_at,
            id=ticket_id,
        )
        tickets.append(
            Arrival(
                new, department_given=bool(department), priority_given=_given(record, "priority")
            )
        )
    checker.fail_if_any()
    return ParsedTickets(tickets, list(new_customers.values()))


def _given(record: Record, name: str) -> bool:
    value = record.raw.get(name)
    return isinstance(value, str) and bool(value.strip())


async def _customer_for(
    values: Values,
    exists: Callable[[str], Awaitable[bool]],
    new_customers: dict[str, Customer],
) -> str:
    given_id = values.text("customer_id")
    name = values.text("customer_name")
    email = values.text("customer_email")
    tier = values.choice("customer_tier", CustomerTier.STANDARD.value)
    if email and not EMAIL.match(email):
        values.error("customer_email", f"{email!r} is not an e-mail address")
    if not (given_id or name or email):
        values.error("customer", "give customer_id, customer_name or customer_email")
        return ""
    customer_id = given_id or derived_customer_id(email, name)
    if customer_id in new_customers or await exists(customer_id):
        return customer_id
    if given_id and not name:
        values.error("customer_id", f"no customer {given_id!r} (add customer_name to create one)")
        return customer_id
    new_customers[customer_id] = Customer(
        id=customer_id,
        name=name or email.split("@")[0],
        email=email,
        phone=values.text("customer_phone"),
        tier=CustomerTier(tier),
        language=values.text("customer_language") or "en",
    )
    return customer_id


async def _ticket_ids(store: Store) -> set[str]:
    ids: set[str] = set()
    async for batch in store.iter_tickets():
        ids.update(ticket.id for ticket in batch)
    return ids


# -- import ------------------------------------------------------------------------------------
async def import_data(
    store: Store,
    kind: Kind,
    data: bytes,
    fmt: Format,
    *,
    now: datetime,
    progress: Progress | None = None,
    classify: Classify | None = None,
) -> ImportResult:
    """Check every record, then write them all; any problem raises ImportFailed, writing nothing.

    Tickets go through intake with the store's routing policy and transfer rules; `classify`
    gives an intent to rows without one.
    """
    records = read_records(data, fmt, kind, progress)
    if kind is Kind.KB:
        articles = parse_articles(records, now=now)
        _report(progress, "writing", 0, 1)
        await store.add_articles(articles)
        _report(progress, "writing", 1, 1)
        return ImportResult(kind, len(articles))
    if kind is Kind.SCRIPTS:
        scripts = parse_scripts(records)
        _report(progress, "writing", 0, 1)
        await store.add_scripts(scripts)
        _report(progress, "writing", 1, 1)
        return ImportResult(kind, len(scripts))
    parsed = await parse_tickets(store, records, now=now, progress=progress)
    _report(progress, "writing", 0, 1)
    if parsed.new_customers:
        await store.add_customers(parsed.new_customers)
    await receive(store, parsed.tickets, now=now, classify=classify)
    _report(progress, "writing", 1, 1)
    return ImportResult(kind, len(parsed.tickets), len(parsed.new_customers))


async def import_file(
    store: Store,
    kind: Kind,
    path: Path,
    fmt: Format | None = None,
    *,
    now: datetime,
    progress: Progress | None = None,
) -> ImportResult:
    """Raises OSError if the file cannot be read, ValueError if the format is unknown."""
    fmt = fmt or format_for(path)
    if fmt is None:
        raise ValueError(
            f"cannot tell the format of {path.name} from its extension; "
            "pass --format jsonl or --format csv"
        )
    return await import_data(store, kind, path.read_bytes(), fmt, now=now, progress=progress)


def _report(progress: Progress | None, phase: str, done: int, total: int) -> None:
    if progress:
        progress(phase, done, total)


# -- export ------------------------------------------------------------------------------------
def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _ticket_batches(
    store: Store, progress: Progress | None
) -> AsyncIterator[list[dict[str, object]]]:
    total = await store.count_tickets(TicketQuery(scope=Scope.ALL))
    handles = {agent.id: agent.handle for agent in await store.agents()}
    customers: dict[str, Customer | None] = {}
    done = 0
    async for batch in store.iter_tickets():
        rows: list[dict[str, object]] = []
        for ticket in batch:
            if ticket.customer_id not in customers:
                try:
                    customers[ticket.customer_id] = await store.customer(ticket.customer_id)
                except NotFound:
                    customers[ticket.customer_id] = None
            rows.append(
                _ticket_record(
                    ticket,
                    await _first_customer_message(store, ticket),
                    customers[ticket.customer_id],
                    handles,
                )
            )
        done += len(batch)
        _report(progress, "exporting", done, total)
        yield rows


async def _first_customer_message(store: Store, ticket: Ticket) -> str:
    for message in await store.messages(ticket.id):
        if message.kind is MessageKind.CUSTOMER:
            return message.body
    return ""


def _ticket_record(
    ticket: Ticket, body: str, customer: Customer | None, handles: Mapping[str, str]
) -> dict[str, object]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "subject": ticket.subject,
        "body": body,
        "customer_id": ticket.customer_id,
        "customer_name": customer.name if customer else None,
        "customer_email": (customer.email or None) if customer else None,
        "customer_phone": (customer.phone or None) if customer else None,
        "customer_tier": customer.tier.value if customer else None,
        "customer_language": customer.language if customer else None,
        "department": ticket.department_id,
        "priority": ticket.priority.value,
        "channel": ticket.channel.value,
        "intent": ticket.intent or None,
        "required_skill": ticket.required_skill,
        "created_at": _time(ticket.created_at),
        "status": ticket.status.value,
        "assignee": handles.get(ticket.assignee_id, ticket.assignee_id)
        if ticket.assignee_id
        else None,
        "updated_at": _time(ticket.updated_at),
        "first_response_due": _time(ticket.first_response_due),
        "resolution_due": _time(ticket.resolution_due),
        "first_response_at": _time(ticket.first_response_at),
        "closed_at": _time(ticket.closed_at),
        "resolution": ticket.resolution or None,
        "csat": ticket.csat,
        "follow_up_of": ticket.follow_up_of,
    }


def _article_record(article: KbArticle) -> dict[str, object]:
    return {
        "id": article.id,
        "title": article.title,
        "body": article.body,
        "intent": article.intent or None,
        "tags": list(article.tags),
        "updated_at": _time(article.updated_at),
    }


def _script_record(script: Script) -> dict[str, object]:
    return {
        "id": script.id,
        "name": script.name,
        "body": script.body,
        "intent": script.intent or None,
        "steps": list(script.steps),
        "required": list(script.required),
    }


class _Writer:
    def __init__(self, out: TextIO, fmt: Format, fields: tuple[Field, ...]) -> None:
        self.out = out
        self.fmt = fmt
        self.fields = fields
        self.count = 0
        self.csv = csv.writer(out, lineterminator="\n") if fmt is Format.CSV else None
        if self.csv:
            self.csv.writerow([f.name for f in fields])

    def write(self, record: Mapping[str, object]) -> None:
        self.count += 1
        if self.csv is None:
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        self.csv.writerow([self._cell(spec, record.get(spec.name)) for spec in self.fields])

    @staticmethod
    def _cell(spec: Field, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            separator = "\n" if spec.type is FieldType.LINE_LIST else ", "
            return separator.join(str(item) for item in value)
        return str(value)


async def export(
    store: Store, kind: Kind, out: TextIO, fmt: Format, *, progress: Progress | None = None
) -> int:
    """Write every record of `kind` to `out`; returns how many were written."""
    writer = _Writer(out, fmt, FIELDS[kind])
    if kind is Kind.TICKETS:
        async for rows in _ticket_batches(store, progress):
            for row in rows:
                writer.write(row)
    elif kind is Kind.KB:
        articles = await store.articles()
        for article in articles:
            writer.write(_article_record(article))
        _report(progress, "exporting", len(articles), len(articles))
    else:
        scripts = await store.scripts()
        for script in scripts:
            writer.write(_script_record(script))
        _report(progress, "exporting", len(scripts), len(scripts))
    return writer.count
