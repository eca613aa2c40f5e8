"""POST /sync/push on SQLite and PostgreSQL: dedupe by client seq, gaps, rejections as results."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from agentdesk.domain.hlc import Hlc
from agentdesk.domain.ids import new_id
from agentdesk.domain.lifecycle import Action
from agentdesk.domain.sync_ops import OpEnvelope, SyncKind
from agentdesk.server import tables as t
from tests.server.conftest import Server

CLIENT = "client-a"


def op(
    seq: int,
    kind: SyncKind,
    ticket_id: str,
    payload: dict[str, Any],
    *,
    action: Action | None = None,
    base_version: int | None = None,
    client_id: str = CLIENT,
) -> dict[str, Any]:
    return OpEnvelope(
        op_id=new_id(),
        client_id=client_id,
        client_seq=seq,
        hlc=Hlc(1_700_000_000_000 + seq),
        site_id="site-a",
        kind=kind,
        ticket_id=ticket_id,
        base_version=base_version,
        claim_epoch=None,
        payload={"ticket_id": ticket_id, **payload},
        action=action,
    ).to_wire()


def create(seq: int, ticket_id: str) -> dict[str, Any]:
    payload = {
        "message_id": new_id(),
        "subject": "Offline ticket",
        "body": "Written with no network",
        "customer_id": "c-offline",
        "created_at": "2026-11-23T08:00:00+00:00",
    }
    return op(seq, SyncKind.CREATE, ticket_id, payload)


def reply(seq: int, ticket_id: str, *, note: bool = False) -> dict[str, Any]:
    kind = SyncKind.NOTE if note else SyncKind.REPLY
    return op(seq, kind, ticket_id, {"message_id": new_id(), "body": f"message {seq}"})


def push(server: Server, headers: dict[str, str], ops: list[dict[str, Any]]) -> Any:
    return server.client.post("/sync/push", json={"client_id": CLIENT, "ops": ops}, headers=headers)


def count(server: Server, table: Any) -> int:
    with server.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_an_offline_ticket_and_its_reply_apply_once_even_when_pushed_twice(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = new_id()
    batch = [create(1, ticket_id), reply(2, ticket_id), reply(3, ticket_id, note=True)]
    first = push(server, amy, batch)
    assert first.status_code == 200, first.text
    results = first.json()["results"]
    assert [r["outcome"] for r in results] == ["applied"] * 3
    seqs = [r["server_seq"] for r in results]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    messages = count(server, t.messages)
    log = count(server, t.change_log)
    again = push(server, amy, batch)
    assert again.status_code == 200 and again.json()["results"] == results
    assert (count(server, t.messages), count(server, t.change_log)) == (messages, log)
    changes = server.client.get("/sync/changes", params={"cursor": 0}, headers=amy).json()
    state = [c for c in changes["changes"] if c["kind"] == "ticket_state"][-1]["payload"]
    assert state["id"] == ticket_id and state["status"] == "open"
    bodies = [c["payload"]["message"]["body"] for c in changes["changes"] if c["kind"] == "event"]
    assert bodies == ["Written with no network", "message 2", "message 3"]


def test_a_gap_is_answered_with_the_seq_to_resend_from(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = new_id()
    gap = push(server, amy, [reply(2, ticket_id)])
    assert gap.status_code == 409
    assert (gap.json()["error"], gap.json()["expected_seq"]) == ("gap", 1)
    assert count(server, t.op_results) == 0
    # Seqs the client logged locally only may be skipped by naming the previous pushed op.
    skip = create(5, ticket_id)
    assert push(server, amy, [{**skip, "prev_seq": 0}]).json()["results"][0]["outcome"] == (
        "applied"
    )


def test_a_stale_transition_is_a_rejected_result_between_applied_ops(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = new_id()
    close = {"resolution": "fixed", "body": "Does this fix it?"}
    ops = [
        create(1, ticket_id),
        op(2, SyncKind.TRANSITION, ticket_id, close, action=Action.REQUEST_CONFIRMATION),
        op(3, SyncKind.SET_FIELD, ticket_id, {"csat": 5}),
        reply(4, ticket_id),
    ]
    ops[1]["base_version"] = 0  # the client saw an older ticket than the server has
    results = push(server, amy, ops).json()["results"]
    assert [(r["outcome"], r.get("reason")) for r in results] == [
        ("applied", None),
        ("rejected", "stale_transition"),
        ("applied", None),
        ("applied", None),
    ]
    ticket = server.client.get("/sync/changes", headers=amy).json()["changes"][-2]["payload"]
    fresh = op(
        5,
        SyncKind.TRANSITION,
        ticket_id,
        close,
        action=Action.REQUEST_CONFIRMATION,
        base_version=ticket["version"],
    )
    done = push(server, amy, [fresh]).json()["results"][0]
    assert done["outcome"] == "applied", done


def test_a_reply_to_a_missing_ticket_is_rejected_not_an_error(server: Server) -> None:
    result = push(server, server.agent("amy"), [reply(1, new_id())]).json()["results"][0]
    assert (result["outcome"], result["reason"]) == ("rejected", "not_found")


def test_another_agents_client_id_is_forbidden(server: Server) -> None:
    assert push(server, server.agent("amy"), [create(1, new_id())]).status_code == 200
    taken = push(server, server.agent("bob"), [create(2, new_id())])
    assert taken.status_code == 403 and taken.json()["error"] == "forbidden"


def test_bad_envelopes_are_refused_with_the_field_named(server: Server) -> None:
    bad = {**reply(1, new_id()), "hlc": "nope"}
    response = push(server, server.agent("amy"), [bad])
    assert response.status_code == 422 and "ops.0" in str(response.json()["detail"])
    other = push(server, server.agent("amy"), [reply(1, new_id()) | {"client_id": "zzz"}])
    assert other.status_code == 422


def test_a_pushed_op_with_a_nul_character_is_rejected_alone(server: Server) -> None:
    # PostgreSQL text cannot hold NUL; SQLite can, so a desk may have one in a reply. That op
    # must be refused on its own, not fail the batch (which would block the client's log).
    amy = server.agent("amy")
    ticket_id = new_id()
    bad = op(2, SyncKind.REPLY, ticket_id, {"message_id": new_id(), "body": "bad\x00byte"})
    response = push(server, amy, [create(1, ticket_id), bad, reply(3, ticket_id)])
    assert response.status_code == 200, response.text
    outcomes = [result["outcome"] for result in response.json()["results"]]
    assert outcomes[0] == "applied" and outcomes[2] == "applied"
    assert outcomes[1] == "rejected"
