"""A workstation process the kill tests SIGKILL: `python -m tests.reliability.kill_client ...`.

`notes DB URL TOKEN COUNT KILL_AT`: a `SyncedStore` on DB linked to URL makes a ticket and COUNT
notes on it, each pushed as soon as it is committed (write-through), except that note number
KILL_AT is committed locally and the process then kills itself with SIGKILL before pushing it:
the crash between the local commit and the push.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Customer
from agentdesk.store.remote import ServerLink, SyncedStore
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import NOW


async def notes(db: Path, url: str, token: str, count: int, kill_at: int) -> None:
    store = SyncedStore(SqliteStore(db, create=True), ServerLink(url, token))
    await store.open()
    await store.add_customers([Customer("c1", "Ann")])
    ticket = await store.create_ticket(
        NewTicket(subject="Crash", body="Made before the crash", customer_id="c1"), now=NOW
    )
    for number in range(1, count + 1):
        at = NOW + timedelta(seconds=number)
        if number == kill_at:
            # Committed locally (with its outbox entry), never pushed: die right here.
            await store.replica.reply(
                ticket.id, f"note {number}", author_id="me", now=at, internal=True
            )
            os.kill(os.getpid(), signal.SIGKILL)
        await store.reply(ticket.id, f"note {number}", author_id="me", now=at, internal=True)
        assert store.online, store.last_failure
    await store.close()


if __name__ == "__main__":
    command, db, url, token, count, kill_at = sys.argv[1:]
    assert command == "notes", command
    asyncio.run(notes(Path(db), url, token, int(count), int(kill_at)))
