"""An admin deletes a ticket: desks drop it, and late work on it waits in the conflict list."""

from __future__ import annotations

import httpx

from agentdesk.domain.model import Role
from agentdesk.server.accounts import add_agent
from agentdesk.store.errors import NotFound
from tests.sync.test_round_trip import NOW, World, offline_ticket, world

__all__ = ["world"]


async def delete_on_server(world: World, ticket_id: str) -> None:
    with world.engine.begin() as connection:  # type: ignore[attr-defined]
        _root, token = add_agent(connection, "root", role=Role.ADMIN)
    transport = httpx.ASGITransport(app=world.app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as http:
        response = await http.delete(
            f"/tickets/{ticket_id}", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 200, response.text


async def test_a_deleted_ticket_leaves_every_desk_and_a_late_reply_is_kept_as_a_conflict(
    world: World,
) -> None:
    amy, bob = world.a.store, world.b.store
    ticket_id = await offline_ticket(amy)
    await world.a.sync()
    await world.b.sync()
    assert (await bob.ticket(ticket_id)).id == ticket_id
    # Offline, Amy writes more on it while an admin deletes it.
    await amy.reply(ticket_id, "Here is your refund", author_id="amy-local", now=NOW)
    await delete_on_server(world, ticket_id)

    await world.a.sync()
    await world.b.sync()

    for store in (amy, bob):
        try:
            await store.ticket(ticket_id)
        except NotFound:
            continue
        raise AssertionError("the deleted ticket is still on a desk")
    (conflict,) = await amy.conflicts()
    assert conflict.reason == "deleted"
    assert conflict.op.payload["body"] == "Here is your refund"
    assert (await amy.sync_status()).pending == 0
