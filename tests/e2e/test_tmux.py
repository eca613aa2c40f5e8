"""End-to-end: the installed `agentdesk` command in a real terminal (tmux), then the database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

if shutil.which("tmux") is None or shutil.which("agentdesk") is None:  # pragma: no cover
    pytest.fail("the e2e tests need tmux and the installed agentdesk command (see .ci/run)")


class Terminal:
    """One tmux session running a command, read with capture-pane."""

    def __init__(self, command: str, env: dict[str, str], width: int = 130, height: int = 36):
        self.name = f"agentdesk-e2e-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{key}={value}" for key, value in env.items())
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                str(width),
                "-y",
                str(height),
                f"env {exports} {command}; echo EXITED=$?; sleep 60",
            ],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        command = ["tmux", "send-keys", "-t", self.name]
        if literal:
            command.append("-l")
        subprocess.run([*command, *keys], check=True)

    def wait_for(self, predicate: Callable[[str], bool], what: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; the screen shows:\n{screen}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "data").mkdir()
    return tmp_path


@pytest.fixture
def env(workdir: Path) -> dict[str, str]:
    return {
        "AGENTDESK_DATA_DIR": str(workdir / "data"),
        "AGENTDESK_CONFIG": str(workdir / "config.toml"),
        "TERM": "xterm-256color",
        "PATH": os.environ["PATH"],
    }


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    opened: list[Terminal] = []
    yield opened
    for terminal in opened:
        terminal.close()


def test_pull_reply_and_quit_are_in_the_database(
    workdir: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    db = workdir / "demo.db"
    term = Terminal(f"agentdesk demo --db {db} --agent junior", env)
    terminals.append(term)
    term.wait_for(lambda s: "junior" in s and "urgent" in s, "the demo queue")

    term.keys("n")
    # The conversation is painted once the ticket has loaded and its keys apply.
    header = term.wait_for(lambda s: "· customer" in s, "the pulled ticket")
    number = next(
        line.split()[0].lstrip("#") for line in header.splitlines() if line.strip().startswith("#")
    )

    term.keys("r")
    term.wait_for(lambda s: "Reply to" in s, "the reply composer")
    term.keys("Thanks for writing, we are on it (e2e).", literal=True)
    term.keys("C-s")
    term.wait_for(lambda s: "(e2e)" in s and "Reply to" not in s, "the sent reply")

    term.keys("Escape")
    term.wait_for(lambda s: "Pull next" in s, "the queue again")
    term.keys("q")
    term.wait_for(lambda s: "EXITED=0" in s, "a clean exit")

    with sqlite3.connect(db) as connection:
        ticket_id, status, assignee = connection.execute(
            "SELECT t.id, t.status, a.handle FROM tickets t JOIN agents a ON a.id = t.assignee_id"
            " WHERE t.number = ?",
            (int(number),),
        ).fetchone()
        bodies = [
            row[0]
            for row in connection.execute(
                "SELECT body FROM messages WHERE ticket_id = ? AND kind = 'reply'", (ticket_id,)
            )
        ]
        operations = [
            (kind, json.loads(payload))
            for kind, payload in connection.execute(
                "SELECT kind, payload FROM operations ORDER BY seq"
            )
        ]
    assert assignee == "junior"
    assert status == "open"
    assert bodies == ["Thanks for writing, we are on it (e2e)."]
    mine = [payload for kind, payload in operations if payload.get("ticket_id") == ticket_id]
    assert [op for op, payload in operations if payload.get("ticket_id") == ticket_id][-2:] == [
        "ticket.assign",
        "ticket.reply",
    ]
    assert mine[-1]["body"] == "Thanks for writing, we are on it (e2e)."


def test_unknown_agent_and_missing_database_exit_with_a_message(
    workdir: Path, env: dict[str, str], terminals: list[Terminal]
) -> None:
    missing = workdir / "nowhere.db"
    term = Terminal(f"agentdesk --db {missing} --agent junior", env)
    terminals.append(term)
    screen = term.wait_for(lambda s: "EXITED=" in s, "the exit")
    assert "EXITED=0" not in screen
    assert "Traceback" not in screen
    assert str(missing) in screen
    assert not missing.exists()
