"""Shared reference data on SQLite and PostgreSQL: the role matrix, validation, the change log."""

from __future__ import annotations

from typing import Any

import pytest

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.ids import new_id
from agentdesk.domain.model import Role
from agentdesk.domain.reference_sync import RecordKind
from agentdesk.domain.sync_ops import OpEnvelope, SyncKind
from agentdesk.server import reference
from agentdesk.server.app import ROLE_MATRIX
from tests.server.conftest import Server

SCRIPT = {
    "name": "Refund sent",
    "body": "Hi {{Customer Name}}, your refund of {{amount}} is on its way.",
    "intent": "get_refund",
    "steps": ["Check the payment", "Send the refund"],
    "required": ["amount"],
}
ARTICLE = {"title": "Refund timelines", "body": "Refunds take five days.", "tags": ["refund"]}
TRANSFER_RULES = {
    "rules": [{"name": "fraud", "department": "billing", "keywords": ["chargeback"]}],
}


def nested(depth: int, inner: dict[str, Any]) -> dict[str, Any]:
    for _ in range(depth):
        inner = {"a": inner}
    return inner


def changes(server: Server, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = server.client.get("/sync/changes", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["changes"]


def put(server: Server, path: str, body: object, headers: dict[str, str]) -> Any:
    return server.client.put(path, json=body, headers=headers)


# -- the role matrix ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "allowed"),
    [
        ("/scripts/s-1", SCRIPT, {Role.LEAD, Role.ADMIN}),
        ("/kb/articles/kb-1", ARTICLE, {Role.LEAD, Role.ADMIN}),
        ("/customers/cu-1", {"name": "Ann", "email": "ann@example.com"}, {Role.LEAD, Role.ADMIN}),
        ("/departments/billing", {"name": "Billing"}, {Role.ADMIN}),
        ("/rules/routing", {"document": {"push": True}}, {Role.ADMIN}),
    ],
)
def test_who_may_write_each_kind(
    server: Server, path: str, body: dict[str, Any], allowed: set[Role]
) -> None:
    for role in Role:
        response = put(server, path, body, server.agent(f"a-{role.value}", role))
        if role in allowed:
            assert response.status_code == 200, (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"] == "forbidden"
    # Everyone reads, agents included.
    read = server.client.get(path, headers=server.agent("a-agent"))
    assert read.status_code == 200, read.text


def test_an_agent_cannot_edit_scripts_but_a_lead_can_and_versions_count(server: Server) -> None:
    agent, lead = server.agent("amy"), server.agent("lee", Role.LEAD)
    assert put(server, "/scripts/s-1", SCRIPT, agent).status_code == 403
    first = put(server, "/scripts/s-1", SCRIPT, lead).json()
    second = put(server, "/scripts/s-1", {**SCRIPT, "name": "Refund on its way"}, lead).json()
    assert (first["version"], second["version"]) == (1, 2)
    assert second["name"] == "Refund on its way" and second["required"] == ["amount"]
    stored = server.client.get("/scripts/s-1", headers=agent).json()
    assert stored == second


def test_transfer_rules_only_name_known_departments(server: Server) -> None:
    admin = server.agent("ada", Role.ADMIN)
    refused = put(server, "/rules/transfer", {"document": TRANSFER_RULES}, admin)
    assert refused.status_code == 422
    assert "'billing'" in refused.json()["detail"][0]
    assert put(server, "/departments/billing", {"name": "Billing"}, admin).status_code == 200
    saved = put(server, "/rules/transfer", {"document": TRANSFER_RULES}, admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["document"] == TRANSFER_RULES
    names = [row["name"] for row in server.client.get("/rules", headers=admin).json()["items"]]
    assert names == ["transfer"]


def test_role_matrix_rows_and_pushed_edits_agree() -> None:
    for path in ("/scripts/{key}", "/kb/articles/{key}"):
        assert ROLE_MATRIX[("PUT", path)] == reference.EDITORS


# -- validation --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "body", "named"),
    [
        ("/scripts/s-1", {**SCRIPT, "body": ""}, "body.body"),
        ("/scripts/s-1", {**SCRIPT, "required": ["order"]}, "body.required"),
        ("/scripts/s-1", {**SCRIPT, "steps": "one step"}, "body.steps"),
        ("/scripts/s-1", {**SCRIPT, "colour": "red"}, "body.colour"),
        ("/scripts/s-1", {**SCRIPT, "name": "bad\x00name"}, "body.name"),
        ("/scripts/s-1", {"body": "x"}, "body.name"),
        ("/scripts/s-1", ["not", "an", "object"], "body"),
        ("/kb/articles/kb-1", {**ARTICLE, "title": " "}, "body.title"),
        ("/kb/articles/kb-1", {**ARTICLE, "tags": [1]}, "body.tags.0"),
        ("/kb/articles/" + "k" * 65, ARTICLE, "path.key"),
        ("/customers/cu-1", {"name": "Ann", "email": "not-an-address"}, "body.email"),
        ("/customers/cu-1", {"name": "Ann", "tier": "gold"}, "body.tier"),
        ("/departments/d-1", {"name": 7}, "body.name"),
        ("/rules/everything", {"document": {}}, "path.name"),
        ("/rules/routing", {"document": []}, "body.document"),
        ("/rules/routing", {"document": {"min_confidence": 3}}, "routing.min_confidence"),
        ("/rules/routing", {"document": {"colour": "red"}}, "routing.colour"),
        ("/rules/transfer", {"document": {"rules": [{"name": "x"}]}}, "transfer.rules[1]"),
        (
            "/rules/transfer",
            {"document": {"rules": [{"name": "x", "department": "d", "channels": ["fax"]}]}},
            "transfer.rules[1].channels",
        ),
        ("/rules/routing", {"document": {"intents": {"a\x00": {}}}}, "document"),
        ("/rules/routing", {"document": {"intents": nested(600, {"a\x00": 1})}}, "document"),
    ],
)
def test_bad_bodies_get_422_naming_the_field(
    server: Server, path: str, body: object, named: str
) -> None:
    admin = server.agent("ada", Role.ADMIN)
    response = put(server, path, body, admin)
    assert response.status_code == 422, response.text
    answer = response.json()
    assert answer["error"] == "invalid_request"
    assert any(problem.startswith(named) or named in problem for problem in answer["detail"]), (
        answer
    )
    # Nothing was written, so nothing reaches the log.
    assert changes(server, admin) == []


def test_missing_rows_are_404(server: Server) -> None:
    response = server.client.get("/kb/articles/nope", headers=server.agent("amy"))
    assert response.status_code == 404 and response.json()["error"] == "not_found"


# -- the change log and listing ----------------------------------------------------------------
def test_every_write_is_a_change_record_clients_pull(server: Server) -> None:
    lead, admin = server.agent("lee", Role.LEAD), server.agent("ada", Role.ADMIN)
    put(server, "/scripts/s-1", SCRIPT, lead)
    put(server, "/kb/articles/kb-1", ARTICLE, lead)
    put(server, "/departments/billing", {"name": "Billing"}, admin)
    put(server, "/customers/cu-1", {"name": "Ann", "tier": "vip"}, lead)
    put(server, "/rules/routing", {"document": {"push": True}}, admin)
    records = changes(server, server.agent("amy"))
    assert [(r["server_seq"], r["kind"]) for r in records] == [
        (1, RecordKind.SCRIPT.value),
        (2, RecordKind.ARTICLE.value),
        (3, RecordKind.DEPARTMENT.value),
        (4, RecordKind.CUSTOMER.value),
        (5, RecordKind.RULES.value),
    ]
    script = records[0]["payload"]
    assert (script["id"], script["body"], script["updated_by"]) == (
        "s-1",
        SCRIPT["body"],
        server.client.get("/me", headers=lead).json()["id"],
    )
    assert records[3]["payload"] == {
        "id": "cu-1",
        "name": "Ann",
        "email": "",
        "phone": "",
        "tier": "vip",
        "language": "en",
    }
    assert records[4]["payload"]["document"] == {"push": True}


def test_lists_page_in_key_order(server: Server) -> None:
    lead = server.agent("lee", Role.LEAD)
    for key in ("c", "a", "b"):
        assert put(server, f"/kb/articles/{key}", ARTICLE, lead).status_code == 200
    first = server.client.get("/kb/articles?limit=2", headers=lead).json()
    assert [item["id"] for item in first["items"]] == ["a", "b"]
    rest = server.client.get(f"/kb/articles?after={first['next_after']}", headers=lead).json()
    assert ([item["id"] for item in rest["items"]], rest["next_after"]) == (["c"], None)


# -- pushed edits ------------------------------------------------------------------------------
def pushed_edit(seq: int, kind: SyncKind, payload: dict[str, Any]) -> dict[str, Any]:
    return OpEnvelope(
        op_id=new_id(),
        client_id=f"desk-{seq}",
        client_seq=1,
        hlc=Hlc(1_700_000_000_000 + seq),
        site_id="desk",
        kind=kind,
        ticket_id=None,
        base_version=None,
        claim_epoch=None,
        payload=payload,
    ).to_wire()


def push_one(server: Server, headers: dict[str, str], op: dict[str, Any]) -> dict[str, Any]:
    body = {"client_id": op["client_id"], "ops": [op]}
    response = server.client.post("/sync/push", json=body, headers=headers)
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    return result


def test_a_pushed_script_edit_applies_for_a_lead_and_is_forbidden_for_an_agent(
    server: Server,
) -> None:
    agent, lead = server.agent("amy"), server.agent("lee", Role.LEAD)
    edit = {"id": "s-1", **SCRIPT}
    refused = push_one(server, agent, pushed_edit(1, SyncKind.SCRIPT_UPSERT, edit))
    assert (refused["outcome"], refused["reason"]) == ("rejected", "forbidden")
    assert server.client.get("/scripts/s-1", headers=agent).status_code == 404
    applied = push_one(server, lead, pushed_edit(2, SyncKind.SCRIPT_UPSERT, edit))
    assert applied["outcome"] == "applied" and applied["server_seq"] == 1
    assert server.client.get("/scripts/s-1", headers=agent).json()["updated_by"] is not None
    assert [r["kind"] for r in changes(server, agent)] == ["script"]


@pytest.mark.parametrize(
    ("payload", "named"),
    [
        ({"title": "t", "body": "b"}, "id:"),
        ({"id": "a/b", "title": "t", "body": "b"}, "id:"),
        ({"id": "kb-1", "title": "", "body": "b"}, "title:"),
        ({"id": "kb-1", "title": "t", "body": "b", "tags": "x"}, "tags:"),
    ],
)
def test_a_bad_pushed_article_is_rejected_naming_the_field(
    server: Server, payload: dict[str, Any], named: str
) -> None:
    lead = server.agent("lee", Role.LEAD)
    result = push_one(server, lead, pushed_edit(1, SyncKind.ARTICLE_UPSERT, payload))
    assert (result["outcome"], result["reason"]) == ("rejected", "invalid")
    assert named in result["detail"]
    assert changes(server, lead) == []
