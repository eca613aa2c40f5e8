"""What the team-server benches share: a throwaway PostgreSQL database, real `agentdesk serve`
processes, and a lean HTTP client.

The client is one asyncio process (uvloop when installed) in which each simulated client is a
coroutine with its own keep-alive HTTP/1.1 connection that sends a request, waits for the whole
answer, and only then sends the next: N clients means at most N requests in flight, as with N
separate programs, but without N Python threads and http.client competing with the servers
for the machine's cores.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import Engine, select
from sqlalchemy.engine import make_url

from agentdesk.domain.model import Role
from agentdesk.server import tables as t
from agentdesk.server.accounts import add_agent

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"
# The benches measure the server, not its per-agent rate limit (50 requests/s by default):
# the servers they start allow each agent this many requests a second.
BENCH_RATE_LIMIT = 100_000
server_pids: list[int] = []


@contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A fresh database beside `admin_url`'s, dropped (even with connections open) at the end."""
    admin = make_url(admin_url)
    name = f"agentdesk_bench_{secrets.token_hex(4)}"
    conninfo = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_bench_agents(engine: Engine, count: int) -> list[str]:
    """One agent per client (in department general); returns their tokens."""
    with engine.begin() as connection:
        return [
            add_agent(connection, f"bench{index}", role=Role.AGENT)[1] for index in range(count)
        ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU a local process has used (Linux /proc), or None when unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_backends(url: str) -> list[int]:
    """The pids of the PostgreSQL backends connected to `url`'s database."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(pid) for (pid,) in rows]


@dataclass
class CpuMeter:
    """CPU seconds used during a run by the servers, the database backends and this client."""

    url: str
    server_pids: list[int]
    start: dict[str, dict[int, float]] = field(default_factory=dict)
    client_start: float = 0.0
    used: dict[str, float] = field(default_factory=dict)

    def _sample(self) -> dict[str, dict[int, float]]:
        groups = {"servers": self.server_pids, "postgres": database_backends(self.url)}
        return {
            name: {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}
            for name, pids in groups.items()
        }

    def __enter__(self) -> CpuMeter:
        self.start = self._sample()
        self.client_start = time.process_time()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.used["client"] = time.process_time() - self.client_start
        for name, now in self._sample().items():
            before = self.start.get(name, {})
            self.used[name] = sum(cpu - before.get(pid, 0.0) for pid, cpu in now.items())

    def line(self, operations: int, what: str) -> str:
        if not operations or not self.used:
            return "cpu: n/a"
        parts = [f"{name} {1000 * seconds / operations:.2f}" for name, seconds in self.used.items()]
        return f"cpu ms per {what}: " + ", ".join(parts)


@contextmanager
def servers(url: str, instances: int) -> Iterator[list[int]]:
    """`instances` real `agentdesk serve` processes on one database; yields their ports.

    `server_pids` (below) lists their process ids while they run."""
    started: list[subprocess.Popen[bytes]] = []
    try:
        ports = []
        for _ in range(instances):
            port = _free_port()
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "agentdesk",
                        "serve",
                        "--database-url",
                        url,
                        "--port",
                        str(port),
                        "--rate-limit",
                        str(BENCH_RATE_LIMIT),
                    ],
                    cwd=REPO_ROOT,
                    env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            ports.append(port)
        for port, process in zip(ports, started, strict=True):
            asyncio.run(_wait_until_up(port, process))
        server_pids[:] = [process.pid for process in started]
        yield ports
    finally:
        server_pids.clear()
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            process.wait(timeout=20)


async def _wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            connection = await Connection.open(port, b"")
        except OSError:
            await asyncio.sleep(0.1)
            continue
        status, _body = await connection.request(b"GET", b"/healthz")
        connection.close()
        if status == 200:
            return
        await asyncio.sleep(0.1)
    raise SystemExit(f"the server on port {port} did not start")


class Connection:
    """One keep-alive HTTP/1.1 connection; a request waits for its whole answer."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, headers: bytes
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._headers = headers

    @classmethod
    async def open(cls, port: int, token: bytes) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        headers = b"Host: 127.0.0.1\r\n"
        if token:
            headers += b"Authorization: Bearer " + token + b"\r\n"
        return cls(reader, writer, headers)

    async def request(self, method: bytes, path: bytes, body: bytes = b"") -> tuple[int, bytes]:
        content = b"Content-Type: application/json\r\n" if body else b""
        self._writer.write(
            b"%s %s HTTP/1.1\r\n%s%sContent-Length: %d\r\n\r\n%s"
            % (method, path, self._headers, content, len(body), body)
        )
        head = await self._reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if length is None:
            raise SystemExit(f"an answer without Content-Length: {head!r}")
        return status, await self._reader.readexactly(length)

    def close(self) -> None:
        self._writer.close()


@dataclass
class Run:
    """Latencies (seconds) of the requests that succeeded, and the wall time of the run."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0


Work = Callable[[int, Connection], Awaitable[bool]]


def run_clients(ports: list[int], tokens: list[str], seconds: float, work: Work) -> Run:
    """Client i (on ports[i % len(ports)]) repeats `work(i, connection)` until `seconds` pass
    or it returns False; each call is timed. Any exception stops the run."""
    try:
        import uvloop
    except ImportError:  # the plain asyncio loop is slower, but measures the same thing
        return asyncio.run(_run(ports, tokens, seconds, work))
    return uvloop.run(_run(ports, tokens, seconds, work))


async def _run(ports: list[int], tokens: list[str], seconds: float, work: Work) -> Run:
    connections = [
        await Connection.open(ports[index % len(ports)], token.encode())
        for index, token in enumerate(tokens)
    ]
    run = Run()
    until = time.monotonic() + seconds

    async def client(index: int) -> None:
        connection = connections[index]
        while time.monotonic() < until:
            started = time.perf_counter()
            more = await work(index, connection)
            run.latencies.append(time.perf_counter() - started)
            if not more:
                return

    started = time.perf_counter()
    await asyncio.gather(*(client(index) for index in range(len(tokens))))
    run.wall = time.perf_counter() - started
    for connection in connections:
        connection.close()
    return run


def latency_line(latencies: list[float]) -> str:
    ms = [value * 1000 for value in latencies]
    cuts = statistics.quantiles(ms, n=100)
    return (
        f"latency ms: p50 {statistics.median(ms):.2f}, p95 {cuts[94]:.2f}, "
        f"p99 {cuts[98]:.2f}, max {max(ms):.2f}"
    )


def log_is_gap_free(engine: Engine) -> tuple[bool, int]:
    with engine.connect() as connection:
        seqs = list(
            connection.execute(
                select(t.change_log.c.server_seq).order_by(t.change_log.c.server_seq)
            ).scalars()
        )
    return seqs == list(range(1, len(seqs) + 1)), len(seqs)
