"""A push group applied in runs (push.push_group): writes held back until the run's flush must
still log each op in order under its own seq, reject ops alone and leave no hole in numbers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from agentdesk.domain.ids import new_id
from agentdesk.domain.sync_ops import SyncKind
from agentdesk.server import tables as t
from tests.server.conftest import Server
from tests.server.test_push import create, op, push, reply


def log(server: Server) -> dict[int, Any]:
    with server.engine.connect() as connection:
        rows = connection.execute(select(t.change_log).order_by(t.change_log.c.server_seq))
        return {row.server_seq: row for row in rows}


def ticket_row(server: Server, ticket_id: str) -> Any:
    with server.engine.connect() as connection:
        return connection.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).one()


def ticket_number_counter(server: Server) -> int:
    with server.engine.connect() as connection:
        return int(
            connection.execute(
                select(t.counters.c.value).where(t.counters.c.name == "ticket_number")
            ).scalar_one()
        )


def test_each_op_of_a_group_logs_in_order_under_its_own_seq(server: Server) -> None:
    amy = server.agent("amy")
    first, second = new_id(), new_id()
    empty_subject = create(3, new_id())
    empty_subject["payload"]["subject"] = "  "
    ops = [
        create(1, first),
        reply(2, first),
        empty_subject,  # refused after taking a number: it must give it back
        reply(4, new_id()),  # no such ticket
        create(5, second),
        reply(6, second, note=True),
        reply(7, first, note=True),
    ]
    results = push(server, amy, ops).json()["results"]
    assert [(r["outcome"], r.get("reason")) for r in results] == [
        ("applied", None),
        ("applied", None),
        ("rejected", "invalid"),
        ("rejected", "not_found"),
        ("applied", None),
        ("applied", None),
        ("applied", None),
    ]
    records = log(server)
    applied = [(sent, r) for sent, r in zip(ops, results, strict=True) if "server_seq" in r]
    seqs = [r["server_seq"] for _, r in applied]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # An op's seq is its own last record: the event of the message it wrote.
    for sent, result in applied:
        last = records[result["server_seq"]]
        assert last.kind == "event" and last.ticket_id == sent["payload"]["ticket_id"]
        assert last.payload["message"]["id"] == sent["payload"]["message_id"]
    # The first ticket's states are logged in op order, each version once.
    versions = [
        row.payload["version"]
        for row in records.values()
        if row.kind == "ticket_state" and row.ticket_id == first
    ]
    assert versions == [1, 2, 3]
    assert ticket_row(server, first).version == 3
    # The refused creation took no number for good.
    numbers = ticket_row(server, first).number, ticket_row(server, second).number
    assert numbers[1] == numbers[0] + 1 == ticket_number_counter(server)


def test_a_reply_to_a_closed_ticket_amid_a_run_goes_alone_between_its_neighbours(
    server: Server,
) -> None:
    amy = server.agent("amy")
    closed = str(server.new_ticket(amy)["id"])
    with server.engine.begin() as connection:
        connection.execute(
            update(t.tickets).where(t.tickets.c.id == closed).values(status="closed")
        )
    ticket_id = new_id()
    ops = [create(1, ticket_id), reply(2, ticket_id), reply(3, closed), reply(4, ticket_id)]
    results = push(server, amy, ops).json()["results"]
    assert [r["outcome"] for r in results] == ["applied"] * 4
    follow_up = results[2]["follow_up_ticket_id"]
    seqs = [r["server_seq"] for r in results]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    records = log(server)
    assert records[seqs[2]].ticket_id == follow_up
    # The run after the lone op read the ticket as the run before it left it.
    assert ticket_row(server, ticket_id).version == 3
    assert [
        row.payload["version"]
        for row in records.values()
        if row.ticket_id == ticket_id and row.kind == "ticket_state"
    ] == [1, 2, 3]


def test_a_group_repeating_an_op_answers_it_once(server: Server) -> None:
    amy = server.agent("amy")
    ticket_id = new_id()
    made = create(1, ticket_id)
    note = reply(2, ticket_id, note=True)
    results = push(server, amy, [made, note, note]).json()["results"]
    assert results[2] == results[1] and results[1]["outcome"] == "applied"
    assert ticket_row(server, ticket_id).version == 2


def test_a_transition_in_a_run_sees_the_ticket_its_run_changed(server: Server) -> None:
    from agentdesk.domain.lifecycle import Action

    amy = server.agent("amy")
    ticket_id = new_id()
    close = {"resolution": "fixed", "body": "Does this fix it?"}
    ask = op(3, SyncKind.TRANSITION, ticket_id, close, action=Action.REQUEST_CONFIRMATION)
    ask["base_version"] = 2  # the version the reply before it made, not yet written
    results = push(server, amy, [create(1, ticket_id), reply(2, ticket_id), ask]).json()
    assert [r["outcome"] for r in results["results"]] == ["applied"] * 3, results
    assert ticket_row(server, ticket_id).status == "awaiting_confirmation"


def test_tickets_changed_together_are_stored_as_their_last_logged_state(server: Server) -> None:
    from agentdesk.server.tickets import ticket_from_row, ticket_json

    amy = server.agent("amy")
    first, second = new_id(), new_id()
    assert push(server, amy, [create(1, first), create(2, second)]).status_code == 200
    later = [reply(3, first), reply(4, second), reply(5, first, note=True), reply(6, second)]
    results = push(server, amy, later).json()["results"]
    assert [r["outcome"] for r in results] == ["applied"] * 4
    records = log(server)
    for ticket_id, version in ((first, 3), (second, 3)):
        logged = [
            row.payload
            for row in records.values()
            if row.kind == "ticket_state" and row.ticket_id == ticket_id
        ][-1]
        stored = ticket_json(ticket_from_row(ticket_row(server, ticket_id)))
        assert stored == logged and stored["version"] == version
        assert stored["first_response_at"] is not None and stored["status"] == "open"
