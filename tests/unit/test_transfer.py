"""Import/export: every kind of bad input names line and field and writes nothing; round trips."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from agentdesk.domain.model import Channel, CustomerTier, Priority, Ticket
from agentdesk.store.base import Scope, TicketQuery
from agentdesk.store.errors import ImportFailed
from agentdesk.store.memory import MemoryStore
from agentdesk.transfer import (
    Format,
    Kind,
    derived_customer_id,
    export,
    format_for,
    import_data,
    import_file,
)
from tests.fixtures import ARTICLES, DEPARTMENTS, NOW, SCRIPTS, seed


async def fresh_store() -> MemoryStore:
    store = MemoryStore()
    await store.add_departments(DEPARTMENTS)
    return store


async def seeded_store() -> MemoryStore:
    store = MemoryStore()
    await seed(store)
    return store


async def all_tickets(store: MemoryStore) -> list[Ticket]:
    return [ticket async for batch in store.iter_tickets() for ticket in batch]


async def import_fails(store: MemoryStore, kind: Kind, data: str | bytes, fmt: Format) -> list[str]:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    before = (
        len(await all_tickets(store)),
        len(await store.articles()),
        len(await store.scripts()),
    )
    ops_before = len(await store.operations())
    with pytest.raises(ImportFailed) as caught:
        await import_data(store, kind, raw, fmt, now=NOW)
    after = (len(await all_tickets(store)), len(await store.articles()), len(await store.scripts()))
    assert after == before, "a refused import must write nothing"
    assert len(await store.operations()) == ops_before
    return caught.value.errors


def jsonl(*records: dict[str, object]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def ticket(**fields: object) -> dict[str, object]:
    record: dict[str, object] = {
        "subject": "Where is my parcel",
        "body": "It has been a week.",
        "customer_name": "Ada Lovelace",
        "customer_email": "ada@example.com",
    }
    record.update(fields)
    return record


# -- file-level problems ----------------------------------------------------------------------
async def test_empty_file_is_refused() -> None:
    store = await fresh_store()
    for fmt in Format:
        assert await import_fails(store, Kind.TICKETS, "", fmt) == ["the file is empty"]
        assert await import_fails(store, Kind.KB, "\n  \n", fmt) == ["the file is empty"]


async def test_header_only_csv_has_no_records() -> None:
    store = await fresh_store()
    errors = await import_fails(store, Kind.KB, "title,body\n", Format.CSV)
    assert errors == ["the file has no records"]


async def test_wrong_encoding_names_line_and_byte() -> None:
    store = await fresh_store()
    data = "title,body\nCafé,ok\n".encode("latin-1")
    errors = await import_fails(store, Kind.KB, data, Format.CSV)
    assert len(errors) == 1
    assert errors[0].startswith("line 2: not UTF-8 text (byte 0xe9 at column 4)")


async def test_utf8_bom_is_accepted() -> None:
    store = await fresh_store()
    data = "\ufefftitle,body\nCafé,Open daily\n".encode()
    result = await import_data(store, Kind.KB, data, Format.CSV, now=NOW)
    assert result.count == 1
    assert (await store.articles())[0].title == "Café"


async def test_malformed_json_lines_are_all_reported() -> None:
    store = await fresh_store()
    text = '{"title": "A", "body": "x"}\n{"title": "B", "body"\n\n[1, 2]\n"just text"\n'
    errors = await import_fails(store, Kind.KB, text, Format.JSONL)
    assert errors == [
        "line 2: not valid JSON (Expecting ':' delimiter at column 22)",
        "line 4: expected a JSON object {...}, got an array",
        "line 5: expected a JSON object {...}, got a string",
    ]


async def test_a_json_array_file_is_explained() -> None:
    store = await fresh_store()
    errors = await import_fails(store, Kind.KB, '[{"title": "A", "body": "x"}]', Format.JSONL)
    assert errors == ["line 1: expected one JSON object per line (JSON Lines), not a JSON array"]


async def test_malformed_csv_names_the_line() -> None:
    store = await fresh_store()
    text = 'title,body\nA,"fine"\nB,"broken"quote\n'
    errors = await import_fails(store, Kind.KB, text, Format.CSV)
    assert len(errors) == 1
    assert errors[0].startswith("line 3: not valid CSV")


async def test_csv_row_with_wrong_cell_count() -> None:
    store = await fresh_store()
    errors = await import_fails(store, Kind.KB, "title,body\nA,x\nB,y,z\n", Format.CSV)
    assert errors == ["line 3: has 3 cells but the header has 2 columns"]


async def test_missing_required_and_unknown_columns() -> None:
    store = await fresh_store()
    errors = await import_fails(
        store, Kind.TICKETS, "subject,prority,customer_name\nHi,high,Ada\n", Format.CSV
    )
    assert errors == [
        "line 1: column 'prority' is not known (did you mean 'priority'?)",
        "line 1: missing required column(s): body",
    ]


async def test_tickets_csv_needs_a_customer_column() -> None:
    store = await fresh_store()
    errors = await import_fails(store, Kind.TICKETS, "subject,body\nHi,there\n", Format.CSV)
    assert errors == ["line 1: needs a customer_id, customer_name or customer_email column"]


async def test_unknown_json_field_is_named_on_its_line() -> None:
    store = await fresh_store()
    text = jsonl(ticket(), ticket(chanel="chat"))
    errors = await import_fails(store, Kind.TICKETS, text, Format.JSONL)
    assert errors == ["line 2: chanel: is not a known field (did you mean 'channel'?)"]


async def test_multi_line_csv_cells_report_the_line_the_row_starts_on() -> None:
    store = await fresh_store()
    text = 'subject,body,customer_name,priority\nA,"one\ntwo\nthree",Ada,high\nB,x,Bo,asap\n'
    errors = await import_fails(store, Kind.TICKETS, text, Format.CSV)
    assert errors == ["line 5: priority: 'asap' is not one of urgent, high, normal, low"]


# -- row-level problems -----------------------------------------------------------------------
async def test_every_bad_ticket_value_is_reported_with_line_and_field() -> None:
    store = await fresh_store()
    future = (NOW + timedelta(days=1)).isoformat()
    text = jsonl(
        ticket(),
        ticket(priority="asap", channel="fax"),
        ticket(subject="  ", department="sales"),
        ticket(created_at="yesterday", customer_email="not-an-address"),
        ticket(created_at=future, customer_tier="gold"),
        {"subject": "No customer", "body": "x"},
        ticket(body=None, subject=["a", "list"]),
    )
    errors = await import_fails(store, Kind.TICKETS, text, Format.JSONL)
    assert errors == [
        "line 2: priority: 'asap' is not one of urgent, high, normal, low",
        "line 2: channel: 'fax' is not one of email, chat, phone, web, social",
        "line 3: subject: must not be empty",
        "line 3: department: 'sales' is not one of billing, general, logistics, technical",
        "line 4: created_at: 'yesterday' is not an ISO 8601 time such as 2026-11-20T09:00:00Z",
        "line 4: customer_email: 'not-an-address' is not an e-mail address",
        f"line 5: created_at: {future} is in the future",
        "line 5: customer_tier: 'gold' is not one of standard, vip",
        "line 6: customer: give customer_id, customer_name or customer_email",
        "line 7: subject: expected text, got an array",
        "line 7: body: must not be empty",
    ]


async def test_missing_required_json_key_says_required() -> None:
    store = await fresh_store()
    errors = await import_fails(store, Kind.KB, jsonl({"title": "A"}), Format.JSONL)
    assert errors == ["line 1: body: is required"]


async def test_one_bad_row_among_many_imports_nothing() -> None:
    store = await fresh_store()
    rows = [ticket(subject=f"Ticket {n}") for n in range(50)]
    rows[37]["priority"] = "soon"
    errors = await import_fails(store, Kind.TICKETS, jsonl(*rows), Format.JSONL)
    assert errors == ["line 38: priority: 'soon' is not one of urgent, high, normal, low"]
    with pytest.raises(Exception, match="no customer"):
        await store.customer(derived_customer_id("ada@example.com", ""))


async def test_duplicate_and_existing_ticket_ids() -> None:
    store = await seeded_store()
    existing = (await all_tickets(store))[0].id
    text = jsonl(ticket(id="t-1"), ticket(id="t-1"), ticket(id=existing))
    errors = await import_fails(store, Kind.TICKETS, text, Format.JSONL)
    assert errors == [
        "line 2: id: 't-1' appears again (first on line 1)",
        f"line 3: id: ticket {existing!r} already exists",
    ]


async def test_unknown_customer_id_without_name() -> None:
    store = await fresh_store()
    text = jsonl({"subject": "A", "body": "b", "customer_id": "cu-nobody"})
    errors = await import_fails(store, Kind.TICKETS, text, Format.JSONL)
    assert errors == [
        "line 1: customer_id: no customer 'cu-nobody' (add customer_name to create one)"
    ]


async def test_script_required_slots_must_be_in_the_body() -> None:
    store = await fresh_store()
    text = 'name,body,required\nHello,Hi {{Customer First Name}},"Customer First Name, Order"\n'
    errors = await import_fails(store, Kind.SCRIPTS, text, Format.CSV)
    assert errors == ["line 2: required: 'Order' is not a {{placeholder}} in body"]


async def test_list_fields_must_hold_texts() -> None:
    store = await fresh_store()
    text = jsonl(
        {"title": "A", "body": "b", "tags": [1, 2]}, {"title": "B", "body": "b", "tags": 3}
    )
    errors = await import_fails(store, Kind.KB, text, Format.JSONL)
    assert errors == [
        "line 1: tags: expected a list of texts",
        "line 2: tags: expected a list of texts, got a number",
    ]


# -- what an import creates -------------------------------------------------------------------
async def test_import_creates_customers_once_and_matches_them_by_email() -> None:
    store = await fresh_store()
    text = jsonl(
        ticket(customer_email="Ada@Example.com", customer_tier="vip", priority="High"),
        ticket(customer_email="ada@example.com", customer_name="A. Lovelace"),
        {"subject": "Hi", "body": "x", "customer_name": "Bob Marley", "channel": "chat"},
    )
    result = await import_data(store, Kind.TICKETS, text.encode(), Format.JSONL, now=NOW)
    assert (result.count, result.customers_created) == (3, 2)
    tickets = await all_tickets(store)
    assert tickets[0].customer_id == tickets[1].customer_id
    ada = await store.customer(tickets[0].customer_id)
    assert (ada.name, ada.email, ada.tier) == ("Ada Lovelace", "Ada@Example.com", CustomerTier.VIP)
    assert tickets[0].priority is Priority.HIGH
    assert tickets[2].channel is Channel.CHAT
    assert tickets[2].created_at == NOW
    # A second import finds the customers the first one made.
    again = await import_data(store, Kind.TICKETS, jsonl(ticket()).encode(), Format.JSONL, now=NOW)
    assert again.customers_created == 0


async def test_naive_times_are_utc_and_z_is_accepted() -> None:
    store = await fresh_store()
    text = jsonl(
        ticket(created_at="2026-11-20T08:00:00"), ticket(created_at="2026-11-20T07:00:00Z")
    )
    await import_data(store, Kind.TICKETS, text.encode(), Format.JSONL, now=NOW)
    first, second = await all_tickets(store)
    assert first.created_at == NOW - timedelta(hours=1)
    assert second.created_at == NOW - timedelta(hours=2)


async def test_progress_is_reported_through_every_phase() -> None:
    store = await fresh_store()
    seen: list[str] = []
    rows = jsonl(*(ticket(subject=f"T{n}") for n in range(1200)))
    await import_data(
        store,
        Kind.TICKETS,
        rows.encode(),
        Format.JSONL,
        now=NOW,
        progress=lambda phase, done, total: seen.append(phase),
    )
    assert {"reading", "checking", "writing"} <= set(seen)
    assert await store.count_tickets(TicketQuery(scope=Scope.ALL)) == 1200


async def test_import_file_takes_the_format_from_the_extension(tmp_path) -> None:  # type: ignore[no-untyped-def]
    store = await fresh_store()
    path = tmp_path / "kb.CSV"
    path.write_text('title,body,tags\nA,b,"x, y"\n', encoding="utf-8")
    result = await import_file(store, Kind.KB, path, now=NOW)
    assert result.count == 1
    assert (await store.articles())[0].tags == ("x", "y")
    odd = tmp_path / "kb.txt"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="pass --format"):
        await import_file(store, Kind.KB, odd, now=NOW)
    assert format_for(tmp_path / "a.ndjson") is Format.JSONL


# -- round trips ------------------------------------------------------------------------------
IMPORTED_FIELDS = (
    "id",
    "subject",
    "customer_id",
    "department_id",
    "priority",
    "channel",
    "intent",
    "required_skill",
    "created_at",
    "first_response_due",
    "resolution_due",
)


@pytest.mark.parametrize("fmt", list(Format))
async def test_tickets_round_trip(fmt: Format) -> None:
    source = await seeded_store()
    out = io.StringIO()
    assert await export(source, Kind.TICKETS, out, fmt) == 6
    target = await fresh_store()
    result = await import_data(target, Kind.TICKETS, out.getvalue().encode(), fmt, now=NOW)
    assert result.count == 6
    before, after = await all_tickets(source), await all_tickets(target)
    for old, new in zip(before, after, strict=True):
        assert {f: getattr(new, f) for f in IMPORTED_FIELDS} == {
            f: getattr(old, f) for f in IMPORTED_FIELDS
        }
        assert (await target.messages(new.id))[0].body == (await source.messages(old.id))[0].body
        assert await target.customer(new.customer_id) == await source.customer(old.customer_id)


@pytest.mark.parametrize("fmt", list(Format))
async def test_articles_and_scripts_round_trip(fmt: Format) -> None:
    source = await fresh_store()
    articles = [replace(a, tags=("refunds", "money"), updated_at=NOW) for a in ARTICLES]
    articles.append(replace(articles[0], id="kb-trailing", body="Ends with a newline\n"))
    await source.add_articles(articles)
    await source.add_scripts(SCRIPTS)
    target = await fresh_store()
    for kind in (Kind.KB, Kind.SCRIPTS):
        out = io.StringIO()
        await export(source, kind, out, fmt)
        await import_data(target, kind, out.getvalue().encode(), fmt, now=NOW)
    assert await target.articles() == await source.articles()
    assert await target.scripts() == await source.scripts()


async def test_export_reads_like_the_documented_format() -> None:
    store = await seeded_store()
    first = await all_tickets(store)
    await store.assign(first[0].id, "ag-junior", actor_id="ag-lead", now=NOW)
    out = io.StringIO()
    await export(store, Kind.TICKETS, out, Format.CSV)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["number"] == "1"
    assert rows[0]["status"] == "open"
    assert rows[0]["assignee"] == "junior"
    assert rows[0]["customer_name"] == "Ada Lovelace"
    assert rows[1]["assignee"] == ""
    lines = io.StringIO()
    await export(store, Kind.SCRIPTS, lines, Format.JSONL)
    record = json.loads(lines.getvalue().splitlines()[0])
    assert isinstance(record["steps"], list)


@pytest.mark.parametrize("fmt", list(Format))
async def test_round_trip_through_sqlite(fmt: Format, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from agentdesk.store.sqlite import SqliteStore

    async with SqliteStore(tmp_path / "source.db", create=True) as source:
        await seed(source)
        exported = {}
        for kind in Kind:
            out = io.StringIO()
            await export(source, kind, out, fmt)
            exported[kind] = out.getvalue().encode()
        source_tickets = [t async for batch in source.iter_tickets() for t in batch]
        source_articles, source_scripts = await source.articles(), await source.scripts()
    async with SqliteStore(tmp_path / "target.db", create=True) as target:
        await target.add_departments(DEPARTMENTS)
        for kind in Kind:
            await import_data(target, kind, exported[kind], fmt, now=NOW)
        tickets = [t async for batch in target.iter_tickets() for t in batch]
        assert [{f: getattr(t, f) for f in IMPORTED_FIELDS} for t in tickets] == [
            {f: getattr(t, f) for f in IMPORTED_FIELDS} for t in source_tickets
        ]
        assert await target.scripts() == source_scripts
        # Articles carry the import time when the source had none.
        assert [replace(a, updated_at=None) for a in await target.articles()] == [
            replace(a, updated_at=None) for a in source_articles
        ]
