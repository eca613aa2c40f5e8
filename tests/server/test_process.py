"""`python -m agentdesk serve` as a real process: it starts, answers, documents itself, stops."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from agentdesk.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Served:
    base: str
    process: subprocess.Popen[bytes]
    stderr: bytes = b""  # filled in once the process has stopped


@contextmanager
def serve_process(
    database_url: str, args: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> Iterator[Served]:
    """`agentdesk serve` on a free loopback port, up and healthy; stopped (SIGTERM) after.

    `args` are added to the command line, `env` to the environment.
    """
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "agentdesk",
            "serve",
            "--database-url",
            database_url,
            "--port",
            str(port),
            *args,
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    served = Served(f"http://127.0.0.1:{port}", process)
    base = served.base
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.communicate()[1].decode()
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not come up in 20 s"
                time.sleep(0.1)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        served.stderr = process.communicate(timeout=20)[1]


def test_serve_runs_a_real_server(database_url: str, capsys: object) -> None:
    assert main(["server", "add-agent", "ann", "--database-url", database_url]) == 0
    token = capsys.readouterr().out.strip()  # type: ignore[attr-defined]
    with serve_process(database_url) as served:
        base = served.base
        assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
        assert "swagger" in httpx.get(f"{base}/docs").text.lower()
        assert "/tickets/claim-next" in httpx.get(f"{base}/openapi.json").json()["paths"]
        me = httpx.get(f"{base}/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["handle"] == "ann"
        claim = httpx.post(
            f"{base}/tickets/claim-next", headers={"Authorization": f"Bearer {token}"}
        )
        assert claim.status_code == 200 and claim.json() == {"claim": None}
    assert served.process.returncode in (0, -signal.SIGTERM)
    assert b"Traceback" not in served.stderr


def test_serve_refuses_a_rate_limit_that_is_not_a_positive_number(capsys: object) -> None:
    for bad in ("0", "-5", "fast"):
        assert main(["serve", "--rate-limit", bad, "--database-url", "sqlite:///x.db"]) != 0
        assert "--rate-limit" in capsys.readouterr().err  # type: ignore[attr-defined]
