"""DELETE /tickets/{id} on SQLite and PostgreSQL: admins only, a tombstone, delete wins."""

from __future__ import annotations

from agentdesk.domain.model import Role
from agentdesk.domain.sync_ops import SyncKind
from agentdesk.server import tables as t
from tests.server.conftest import Server
from tests.server.test_push import count, create, op, push, reply


def test_only_an_admin_deletes_and_the_log_carries_a_tombstone(server: Server) -> None:
    amy, lead = server.agent("amy"), server.agent("lee", Role.LEAD)
    root = server.agent("root", Role.ADMIN)
    ticket_id = str(server.new_ticket(amy)["id"])
    for headers in (amy, lead):
        assert server.client.delete(f"/tickets/{ticket_id}", headers=headers).status_code == 403
    deleted = server.client.delete(f"/tickets/{ticket_id}", headers=root)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["tombstone"]["ticket_id"] == ticket_id
    assert server.client.get(f"/tickets/{ticket_id}", headers=amy).status_code == 404
    assert count(server, t.tickets) == count(server, t.messages) == 0
    log = server.client.get("/sync/changes?cursor=0", headers=amy).json()["changes"]
    assert log[-1]["kind"] == "tombstone" and log[-1]["ticket_id"] == ticket_id
    # Deleting again answers the same tombstone and logs nothing more.
    again = server.client.delete(f"/tickets/{ticket_id}", headers=root)
    assert again.json() == deleted.json()
    assert len(server.client.get("/sync/changes?cursor=0", headers=amy).json()["changes"]) == len(
        log
    )
    assert server.client.delete("/tickets/no-such", headers=root).status_code == 404


def test_late_ops_on_a_deleted_ticket_are_refused_as_deleted_never_applied(
    server: Server,
) -> None:
    amy, root = server.agent("amy"), server.agent("root", Role.ADMIN)
    ticket_id = "t-offline"
    assert push(server, amy, [create(1, ticket_id)]).json()["results"][0]["outcome"] == "applied"
    assert server.client.delete(f"/tickets/{ticket_id}", headers=root).status_code == 200
    late = [
        reply(2, ticket_id),
        op(3, SyncKind.SET_FIELD, ticket_id, {"priority": "urgent"}),
        create(4, ticket_id),  # a create cannot bring it back
    ]
    results = push(server, amy, late).json()["results"]
    assert [(r["outcome"], r.get("reason")) for r in results] == [("rejected", "deleted")] * 3
    assert count(server, t.tickets) == count(server, t.messages) == 0
