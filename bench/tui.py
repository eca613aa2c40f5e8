"""Terminal benchmarks of the real program in tmux, on a store built by make_store.py.

- launch: from starting `agentdesk` to queue rows painted (median of --launches runs);
- key-to-paint: one keypress (down / page down) to the changed screen, read with
  `capture-pane -e` so a moved highlight counts (p50/p95);
- memory: resident set of the agentdesk process after the navigation.

    python bench/tui.py --db /tmp/agentdesk-bench.db
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import time
import uuid
from pathlib import Path

QUEUE_ROW = re.compile(r"#\d+\s+(urgent|high|normal|low)\b")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


class Session:
    def __init__(self, db: Path, agent: str) -> None:
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        self.started = time.perf_counter()
        tmux(
            "new-session", "-d", "-s", self.name, "-x", "130", "-y", "40",
            f"exec agentdesk --db {db} --agent {agent}",
        )

    def screen(self, escapes: bool = False) -> str:
        return tmux("capture-pane", "-p", *(["-e"] if escapes else []), "-t", self.name)

    def wait_for_queue(self, timeout: float = 30) -> float:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if QUEUE_ROW.search(self.screen()):
                return time.perf_counter() - self.started
            time.sleep(0.005)
        raise RuntimeError(f"queue never painted:\n{self.screen()}")

    def key_to_paint(self, key: str, timeout: float = 5) -> float:
        before = self.screen(escapes=True)
        started = time.perf_counter()
        tmux("send-keys", "-t", self.name, key)
        while time.perf_counter() - started < timeout:
            if self.screen(escapes=True) != before:
                return time.perf_counter() - started
        raise RuntimeError(f"no repaint after {key}")

    def rss_mb(self) -> float:
        pid = tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip()
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--agent", default="junior")
    parser.add_argument("--launches", type=int, default=5)
    parser.add_argument("--keys", type=int, default=200)
    args = parser.parse_args()

    launches: list[float] = []
    for _ in range(args.launches):
        session = Session(args.db, args.agent)
        try:
            launches.append(session.wait_for_queue())
        finally:
            session.close()
        time.sleep(0.3)

    session = Session(args.db, args.agent)
    try:
        session.wait_for_queue()
        time.sleep(1.0)  # let the first pages and the status bar settle
        down = [session.key_to_paint("Down") for _ in range(args.keys)]
        page = []
        for _ in range(args.keys // 4):
            page.append(session.key_to_paint("PageDown"))
            time.sleep(0.05)
        end = [session.key_to_paint("End")]
        home = [session.key_to_paint("Home")]
        time.sleep(0.5)
        rss = session.rss_mb()
    finally:
        session.close()

    print(
        json.dumps(
            {
                "launch_to_queue_median_s": round(statistics.median(launches), 3),
                "launches_s": [round(x, 3) for x in launches],
                "key_down": summary(down),
                "key_page_down": summary(page),
                "key_end_ms": round(end[0] * 1000, 1),
                "key_home_ms": round(home[0] * 1000, 1),
                "rss_mb": round(rss, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
