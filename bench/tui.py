"""Terminal benchmarks of the real program in tmux, on a store built by make_store.py.

- launch: from starting `agentdesk` to queue rows painted (median of --launches runs);
- key-to-paint: one keypress (down / page down / end / home) to the changed screen, read with
  `capture-pane -e` so a moved highlight counts (p50/p95);
- memory: resident set of the agentdesk process after the navigation.

    python bench/tui.py --db /tmp/agentdesk-bench.db
    python bench/tui.py --floor     # the same measurement of a trivial Textual app

The floor is what tmux, the poll and Textual's own frame pacing cost before agentdesk does
anything: a Static that changes on each key. Subtract it to see what is ours.

The screen is read through one tmux control-mode client (`tmux -C`), not a `tmux` process per
poll: spawning a client every few milliseconds took CPU from the program being measured on a
two-core machine. The client also hears when the pane receives output, so the screen is read
right after each write from the program (and at least every 20 ms in case a notice is missed),
rather than in a busy loop. `--poll subprocess` keeps the old way for comparison. Either way the
time is from send-keys to a `capture-pane -e` that differs, as a user watching would see it.

Before each key the screen must have been still for --settle-ms (50), with no row still
loading: a keypress can paint in more than one frame (the highlight, then the subject line under
the table, a page of rows), and without the wait a late frame of the previous key was taken for
this key's paint (Down p50 read 5 ms, below the floor; Home after End 1 ms, the rows of the last
page landing). It also puts keys at a human pace: sent 1 ms after a paint, a key waits
for Textual's next 60 fps frame slot (the floor's Down p50 is 16 ms with --settle-ms 0, 4 ms
with it). Each run uses its own tmux server (`-L`), so other tmux users neither slow nor
disturb it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import select
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

QUEUE_ROW = re.compile(r"#\d+\s+(urgent|high|normal|low)\b")
# A row whose page is still being read (the table paints "···" cells until it lands).
PLACEHOLDER = re.compile("···")
WIDTH, HEIGHT = 130, 40
# A missed or merged output notice must not stall the measurement: read the screen this often.
CONTROL_POLL_SECONDS = 0.02


class Session:
    """One program in its own tmux server, driven with send-keys and read with capture-pane."""

    def __init__(self, command: str, poll: str) -> None:
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        self.socket = self.name
        self.poll = poll
        self.started = time.perf_counter()
        self.tmux(
            "new-session",
            "-d",
            "-s",
            self.name,
            "-x",
            str(WIDTH),
            "-y",
            str(HEIGHT),
            f"exec {command}",
        )
        self.control: Control | None = None
        if poll == "control":
            self.control = Control(["tmux", "-L", self.socket, "-C", "attach", "-t", self.name])
            size = self.control.command(
                f"display-message -p -t {self.name} '#{{window_width}}x#{{window_height}}'"
            )
            if size != [f"{WIDTH}x{HEIGHT}"]:
                raise RuntimeError(f"the control client resized the window to {size}")

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True
        ).stdout

    def screen(self, escapes: bool = False) -> str:
        flags = "-p -e" if escapes else "-p"
        if self.control is not None:
            return "\n".join(self.control.command(f"capture-pane {flags} -t {self.name}"))
        return self.tmux("capture-pane", *flags.split(), "-t", self.name)

    def send_key(self, key: str) -> None:
        if self.control is not None:
            self.control.command(f"send-keys -t {self.name} {key}")
        else:
            self.tmux("send-keys", "-t", self.name, key)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if pattern.search(self.screen()):
                return time.perf_counter() - self.started
            time.sleep(0.005)
        raise RuntimeError(f"never painted {pattern.pattern!r}:\n{self.screen()}")

    def settled_screen(self, quiet: float, timeout: float = 5) -> str:
        """The screen once it has not changed for `quiet` seconds and shows no row still
        loading (at once if `quiet` is 0)."""
        screen = self.screen(escapes=True)
        changed = started = time.perf_counter()
        while quiet > 0 and (time.perf_counter() - changed < quiet or PLACEHOLDER.search(screen)):
            if time.perf_counter() - started > timeout:
                raise RuntimeError("the screen never settled")
            if self.control is not None:
                self.control.wait_for_output(quiet - (time.perf_counter() - changed))
            else:
                time.sleep(0.005)
            now = self.screen(escapes=True)
            if now != screen:
                screen, changed = now, time.perf_counter()
        return screen

    def key_to_paint(self, key: str, settle: float, timeout: float = 5) -> float:
        before = self.settled_screen(settle)
        if self.control is not None:
            self.control.output_seen = False
        started = time.perf_counter()
        self.send_key(key)
        while time.perf_counter() - started < timeout:
            if self.control is not None:
                self.control.wait_for_output(CONTROL_POLL_SECONDS)
            if self.screen(escapes=True) != before:
                return time.perf_counter() - started
        raise RuntimeError(f"no repaint after {key}")

    def rss_mb(self) -> float:
        pid = self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        if self.control is not None:
            self.control.close()
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], check=False)


class Control:
    """A tmux control-mode client: commands in, `%begin`..`%end` blocks and `%output` out."""

    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._stdin = self.process.stdin
        self._fd = self.process.stdout.fileno()
        self._buffer = b""
        self.output_seen = False
        self._read_block()  # the reply to the attach itself

    def _line(self, timeout: float | None) -> bytes | None:
        while b"\n" not in self._buffer:
            ready, _, _ = select.select([self._fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                raise RuntimeError("tmux control client ended")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _notice(self, line: bytes) -> None:
        if line.startswith(b"%output ") or line.startswith(b"%extended-output "):
            self.output_seen = True

    def _read_block(self) -> list[str]:
        while True:
            line = self._line(None)
            assert line is not None
            if line.startswith(b"%begin "):
                break
            self._notice(line)
        lines: list[str] = []
        while True:
            line = self._line(None)
            assert line is not None
            if line.startswith(b"%end ") or line.startswith(b"%error "):
                if line.startswith(b"%error "):
                    raise RuntimeError(b"\n".join(lines).decode(errors="replace"))
                return lines
            lines.append(line.decode(errors="replace"))

    def command(self, command: str) -> list[str]:
        self._stdin.write(command.encode() + b"\n")
        return self._read_block()

    def wait_for_output(self, timeout: float) -> None:
        """Return once the pane has had output since the last call, or after `timeout`."""
        deadline = time.perf_counter() + timeout
        while not self.output_seen:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            line = self._line(left)
            if line is None:
                break
            self._notice(line)
        self.output_seen = False

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._stdin.close()  # end of input detaches the client
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
        "n": len(samples),
    }


def serve_floor() -> None:
    """The floor: a trivial Textual app whose one line changes on each benchmarked key."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Floor(App[None]):
        BINDINGS = [(key, "step", "Step") for key in ("down", "pagedown", "end", "home")]

        def __init__(self) -> None:
            super().__init__()
            self.steps = 1

        def compose(self) -> ComposeResult:
            yield Static("#1 normal", id="line")

        def action_step(self) -> None:
            self.steps += 1
            self.query_one(Static).update(f"#{self.steps} normal")

    Floor().run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--agent", default="junior")
    parser.add_argument(
        "--program",
        default="agentdesk",
        help="how to start agentdesk, e.g. 'env PYTHONPATH=/tmp/old python -m agentdesk' to "
        "compare two versions under the same conditions",
    )
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument(
        "--floor", action="store_true", help="measure a trivial Textual app instead"
    )
    parser.add_argument(
        "--poll",
        choices=("control", "subprocess"),
        default="control",
        help="read the screen through one control-mode client, or one tmux process per read",
    )
    parser.add_argument(
        "--settle-ms",
        type=float,
        default=50,
        help="before each key, wait until the screen has not changed for this long, so a late "
        "frame of the previous key is not taken for this key's paint (0: send at once)",
    )
    parser.add_argument("--serve-floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_floor:
        serve_floor()
        return
    if args.floor:
        command = f"{sys.executable} {Path(__file__).resolve()} --serve-floor"
    elif args.db is None:
        parser.error("--db is required (or --floor)")
    else:
        command = f"{args.program} --db {args.db} --agent {args.agent}"

    launches: list[float] = []
    for _ in range(args.launches):
        session = Session(command, args.poll)
        try:
            launches.append(session.wait_for(QUEUE_ROW))
        finally:
            session.close()
        time.sleep(0.3)

    session = Session(command, args.poll)
    try:
        session.wait_for(QUEUE_ROW)
        time.sleep(1.0)  # let the first pages and the status bar settle
        settle = args.settle_ms / 1000
        down = [session.key_to_paint("Down", settle) for _ in range(args.keys)]
        page = []
        for _ in range(args.keys // 4):
            page.append(session.key_to_paint("PageDown", settle))
            time.sleep(0.05)
        end = [session.key_to_paint("End", settle)]
        home = [session.key_to_paint("Home", settle)]
        time.sleep(0.5)
        rss = session.rss_mb()
    finally:
        session.close()

    result: dict[str, object] = {}
    if launches:
        result["launch_to_queue_median_s"] = round(statistics.median(launches), 3)
        result["launches_s"] = [round(x, 3) for x in launches]
    result |= {
        "poll": args.poll,
        "settle_ms": args.settle_ms,
        "key_down": summary(down),
        "key_page_down": summary(page),
        "key_end_ms": round(end[0] * 1000, 1),
        "key_home_ms": round(home[0] * 1000, 1),
        "rss_mb": round(rss, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
