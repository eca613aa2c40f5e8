"""Shared reference data on every store: pulled rows land without local ops; edits are pushed."""

from __future__ import annotations

from typing import Any

import pytest

from agentdesk.domain.model import Customer, KbArticle, Script
from agentdesk.domain.outbox import DeliveryState, initial_state
from agentdesk.domain.reference_sync import RuleDocument, script_to_wire
from agentdesk.domain.remote import page_from_wire
from agentdesk.domain.sync_ops import SyncKind, envelopes
from agentdesk.store.base import Scope, Store, TicketQuery
from tests.fixtures import NOW

# These hand the store made-up server answers (pulled pages, push results): the remote backend
# runs them with its link down, as a replica working offline (tests/store/remote_backend.py).
pytestmark = pytest.mark.offline_replica

SCRIPT = Script("s-remote", "Refund sent", "Hi {{Customer Name}}, your refund is on its way.")


def record(seq: int, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"server_seq": seq, "kind": kind, "ticket_id": None, "payload": payload}


def reference_page(cursor: int = 0) -> list[dict[str, Any]]:
    article = {
        "id": "kb-remote",
        "title": "Resetting a hardware token",
        "body": "Hold the zebracorn button for ten seconds.",
        "intent": "",
        "tags": ["token"],
        "version": 1,
        "updated_at": NOW.isoformat(),
        "updated_by": "someone",
    }
    return [
        record(cursor + 1, "script", {**script_to_wire(SCRIPT), "name": "first draft"}),
        record(cursor + 2, "kb_article", article),
        record(cursor + 3, "department", {"id": "vault", "name": "Vault"}),
        record(cursor + 4, "customer", {"id": "cu-remote", "name": "Remote Rita", "tier": "vip"}),
        record(cursor + 5, "rules", {"name": "transfer", "document": {"rules": []}, "version": 4}),
        record(cursor + 6, "hologram", {"from": "a newer server"}),
        # A later row of the same script wins.
        record(cursor + 7, "script", {**script_to_wire(SCRIPT), "version": 2}),
    ]


async def test_pulled_reference_rows_land_in_the_local_tables_and_log_nothing(
    store: Store,
) -> None:
    ops_before = await store.operations(limit=100_000)
    page = page_from_wire(reference_page(), cursor=0, epoch="lineage")
    assert (page.skipped, page.skipped_kinds, page.cursor) == (1, ("hologram",), 7)
    await store.apply_remote(page)

    assert await store.script("s-remote") == SCRIPT
    hits = await store.search_kb("zebracorn")
    assert [hit.article_id for hit in hits] == ["kb-remote"]
    assert (await store.article("kb-remote")).updated_at == NOW
    assert "vault" in {department.id for department in await store.departments()}
    rita = await store.customer("cu-remote")
    assert (rita.name, rita.tier.value) == ("Remote Rita", "vip")
    assert (await store.sync_status()).cursor == 7
    assert await store.pulled_rules() == [RuleDocument("transfer", {"rules": []}, 4)]
    assert await store.operations(limit=100_000) == ops_before


async def test_a_pulled_article_replaces_the_local_one_in_the_search(store: Store) -> None:
    await store.add_articles([KbArticle("kb-remote", "Old title", "mentions quokkas only")])
    await store.apply_remote(page_from_wire(reference_page(), cursor=0, epoch=None))
    assert await store.search_kb("quokkas") == []
    assert [hit.article_id for hit in await store.search_kb("zebracorn")] == ["kb-remote"]


async def test_a_pulled_customer_name_reaches_their_tickets_rows(store: Store) -> None:
    customer = (await store.ticket_by_number(1)).customer_id
    renamed = {"id": customer, "name": "Renamed Remotely", "email": "", "phone": ""}
    await store.apply_remote(page_from_wire([record(1, "customer", renamed)], cursor=0, epoch=None))
    assert await store.customer(customer) == Customer(customer, "Renamed Remotely")
    rows = await store.ticket_rows(TicketQuery(Scope.ALL, text="renamed remotely"), 0, 100)
    assert 1 in {row.number for row in rows}
    assert {row.customer_name for row in rows} == {"Renamed Remotely"}


async def test_a_script_edit_is_logged_with_the_whole_row_and_pushed(store: Store) -> None:
    edited = Script("s-edit", "Apology", "Sorry, {{name}}.", "complaint", ("apologise",), ("name",))
    await store.edit_script(edited, now=NOW)
    await store.edit_article(KbArticle("kb-edit", "Title", "Body text", tags=("a",)), now=NOW)
    assert await store.script("s-edit") == edited
    assert [hit.article_id for hit in await store.search_kb("body text")] == ["kb-edit"]
    script_op, article_op = (await store.operations(limit=100_000))[-2:]
    assert initial_state(script_op.kind) is DeliveryState.PENDING
    assert [op.op_id for op in await store.pending_operations(limit=100_000)][-2:] == [
        script_op.op_id,
        article_op.op_id,
    ]
    script_envelope, article_envelope = envelopes([script_op, article_op], site_id="site")
    assert script_envelope.kind is SyncKind.SCRIPT_UPSERT
    assert script_envelope.payload == script_to_wire(edited)
    assert script_envelope.ticket_id is None and script_envelope.claim_epoch is None
    assert article_envelope.kind is SyncKind.ARTICLE_UPSERT
    assert article_envelope.payload["tags"] == ["a"]


async def test_bulk_imports_stay_local(store: Store) -> None:
    await store.add_scripts([SCRIPT])
    op = (await store.operations(limit=100_000))[-1]
    assert op.kind == "script.upsert"
    assert envelopes([op], site_id="site") == []
