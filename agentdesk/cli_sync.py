"""`agentdesk sync`: one sync round with the team server you logged in to.

Exit codes: 0 done; 1 not logged in or no database; 3 the server could not be reached (the
pending ops stay pending: run it again later); 4 the server refused the token; 5 the server
answered something this client cannot use.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from agentdesk.config import Settings
    from agentdesk.credentials import ServerCredentials
    from agentdesk.domain.held_claims import ReservePolicy
    from agentdesk.store.base import Store
    from agentdesk.sync import SyncReport

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREACHABLE = 3
EXIT_TOKEN_REFUSED = 4
EXIT_PROTOCOL = 5


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    commands.add_parser(
        "sync",
        parents=parents,
        help="push pending work to the team server and pull what changed",
        description="Run one sync round: push the outbox in order, then pull the change log. "
        "Rejected operations are listed as conflicts in the app.",
    )


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    env: Mapping[str, str] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> int:
    from agentdesk.credentials import server_credentials

    credentials = server_credentials(os.environ if env is None else env, settings)
    if credentials is None:
        return _fail("not logged in: run `agentdesk login URL --agent HANDLE` first")
    db: Path | None = getattr(args, "db", None)
    path = (db or settings.db_path).expanduser()
    if not path.exists():
        return _fail(f"no database at {path}; pass --db PATH")
    from agentdesk.sync import ProtocolFailure, TokenRefused, Unreachable

    try:
        report, reserved = asyncio.run(
            _round(
                path,
                credentials.url,
                credentials.token,
                transport,
                now or datetime.now(UTC),
                settings.reserve,
            )
        )
    except Unreachable as failure:
        return _fail(f"{credentials.url}: {failure}; pending work stays queued", EXIT_UNREACHABLE)
    except TokenRefused as failure:
        return _fail(f"{failure}; run `agentdesk login` again", EXIT_TOKEN_REFUSED)
    except ProtocolFailure as failure:
        return _fail(f"{credentials.url}: {failure}", EXIT_PROTOCOL)
    sys.stdout.write(_summary(report) + "\n")
    if reserved:
        sys.stdout.write(f"{reserved} reserved for you to pull offline\n")
    return EXIT_OK


async def _round(
    path: Path,
    url: str,
    token: str,
    transport: httpx.AsyncBaseTransport | None,
    now: datetime,
    reserve: ReservePolicy,
) -> tuple[SyncReport, int]:
    """The round's report, and how many tickets are now reserved for pull-next offline."""
    from agentdesk.domain.held_claims import reserved_count
    from agentdesk.store.sqlite import SqliteStore
    from agentdesk.sync import sync_once

    store = SqliteStore(path)
    await store.open()
    try:
        client_id = store.info().client_id
        report = await sync_once(
            store, url, token, client_id, now=now, transport=transport, reserve=reserve
        )
        status = await store.sync_status()
        return report, reserved_count(status.reserved_until, now)
    finally:
        await store.close()


async def background_round(
    store: Store, server: ServerCredentials, now: datetime, reserve: ReservePolicy | None = None
) -> SyncReport:
    """The app's background round: the same as `agentdesk sync`, on the app's open store.

    A linked remote store runs it itself, so it never overlaps the pushes its writes make.
    """
    from agentdesk.store.remote import SyncedStore
    from agentdesk.sync import sync_once
    from agentdesk.sync.engine import BACKGROUND_PULL_PAGE

    if isinstance(store, SyncedStore) and store.server is not None:
        return await store.sync(now=now, reserve=reserve, pull_page=BACKGROUND_PULL_PAGE)
    client_id = store.info().client_id
    return await sync_once(
        store,
        server.url,
        server.token,
        client_id,
        now=now,
        reserve=reserve,
        pull_page=BACKGROUND_PULL_PAGE,
    )


def _summary(report: SyncReport) -> str:
    text = (
        f"synced: pushed {report.pushed} (applied {report.applied}, rejected {report.rejected}), "
        f"pulled {report.pulled} changes, cursor {report.cursor}"
    )
    if report.rejected:
        text += f"\n{report.rejected} rejected: see the conflicts screen in the app"
    return text


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    sys.stderr.write(f"agentdesk: {message}\n")
    return code
