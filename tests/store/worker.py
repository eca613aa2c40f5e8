"""Processes the SQLite tests start: `python -m tests.store.worker <command> <db> [...]`.

`claim DB HANDLE GO_FILE`: wait for GO_FILE, claim tickets until none is left, print the
numbers as JSON. `reply DB`: reply to the open tickets round-robin until killed.
Both print `ready` once the store is open.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

from agentdesk.domain.model import TicketStatus
from agentdesk.store.sqlite import SqliteStore
from tests.fixtures import NOW


async def claim(db: Path, handle: str, go_file: Path) -> None:
    store = SqliteStore(db)
    await store.open()
    agent = await store.agent_by_handle(handle)
    print("ready", flush=True)
    while not go_file.exists():
        await asyncio.sleep(0.002)
    claimed: list[int] = []
    while (ticket := await store.claim_next(agent, NOW)) is not None:
        claimed.append(ticket.number)
    await store.close()
    print(json.dumps(claimed), flush=True)


async def reply_forever(db: Path) -> None:
    store = SqliteStore(db)
    await store.open()
    ids = [
        ticket.id
        async for batch in store.iter_tickets()
        for ticket in batch
        if ticket.status is not TicketStatus.CLOSED
    ]
    print("ready", flush=True)
    count = 0
    while True:
        ticket_id = ids[count % len(ids)]
        when = NOW + timedelta(seconds=count)
        await store.reply(ticket_id, f"reply {count}", author_id="ag-senior", now=when)
        count += 1


def main(argv: list[str]) -> None:
    command, db, *rest = argv
    if command == "claim":
        asyncio.run(claim(Path(db), rest[0], Path(rest[1])))
    elif command == "reply":
        asyncio.run(reply_forever(Path(db)))
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
