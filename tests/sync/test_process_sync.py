"""`agentdesk sync` as a process against `agentdesk serve` as a process, over loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agentdesk.cli import main
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.model import Customer
from agentdesk.store.sqlite import SqliteStore
from tests.server.test_process import REPO_ROOT, serve_process
from tests.sync.test_round_trip import NOW


def client_database(path: Path) -> None:
    async def make() -> None:
        store = SqliteStore(path, create=True)
        await store.open()
        await store.add_customers([Customer("c1", "Ann")])
        ticket = await store.create_ticket(
            NewTicket(subject="Offline", body="Made on the train", customer_id="c1"), now=NOW
        )
        await store.reply(ticket.id, "Noted", author_id="ann-local", now=NOW, internal=True)
        await store.close()

    asyncio.run(make())


def sync_process(db: Path, tmp_path: Path, url: str, token: str) -> subprocess.Popen[str]:
    """`agentdesk sync --db DB` as its own process, logged in to `url` through the environment."""
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "AGENTDESK_SERVER": url,
        "AGENTDESK_TOKEN": token,
        "AGENTDESK_CONFIG": str(tmp_path / "config.toml"),
        "AGENTDESK_DATA_DIR": str(tmp_path / "data"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "agentdesk", "sync", "--db", str(db)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def sync(db: Path, tmp_path: Path, url: str, token: str) -> subprocess.CompletedProcess[str]:
    process = sync_process(db, tmp_path, url, token)
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_sync_against_a_served_database_then_a_killed_server(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "add-agent", "ann", "--database-url", database_url]) == 0
    token = capsys.readouterr().out.strip()
    db = tmp_path / "site.db"
    client_database(db)
    with serve_process(database_url) as served:
        done = sync(db, tmp_path, served.base, token)
        assert done.returncode == 0, done.stderr
        assert "pushed 2 (applied 2, rejected 0)" in done.stdout
        # The agent record `server add-agent` published, two ticket states, two messages.
        assert "pulled 5 changes, cursor 5" in done.stdout
        served.process.send_signal(signal.SIGKILL)
        served.process.wait(timeout=20)
        down = sync(db, tmp_path, served.base, token)
    assert down.returncode == 3 and "unreachable" in down.stderr
    assert "Traceback" not in down.stderr + done.stderr
