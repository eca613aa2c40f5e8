"""Forced resync on the server: a cursor that cannot continue the log is answered 410."""

from __future__ import annotations

from sqlalchemy import update

from agentdesk.server import tables as t
from tests.server.conftest import Server


def test_a_cursor_of_another_lineage_or_past_the_head_must_resync(server: Server) -> None:
    amy = server.agent("amy")
    server.new_ticket(amy)
    first = server.client.get("/sync/changes?cursor=0", headers=amy).json()
    lineage, head = first["server_epoch"], first["up_to_seq"]
    same = server.client.get(f"/sync/changes?cursor={head}&epoch={lineage}", headers=amy)
    assert same.status_code == 200 and same.json()["changes"] == []
    ahead = server.client.get(f"/sync/changes?cursor={head + 1}", headers=amy)
    assert ahead.status_code == 410 and ahead.json()["error"] == "must_resync"
    # As if restored from a backup: the log's lineage is new.
    with server.engine.begin() as connection:
        connection.execute(update(t.log_head).values(lineage="restored"))
    other = server.client.get(f"/sync/changes?cursor={head}&epoch={lineage}", headers=amy)
    assert other.status_code == 410
    assert "lineage" in other.json()["detail"]
    fresh = server.client.get("/sync/changes?cursor=0", headers=amy).json()
    assert fresh["server_epoch"] == "restored" and len(fresh["changes"]) == head
