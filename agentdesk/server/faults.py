"""Fault points for crash tests of real server processes; inert unless AGENTDESK_FAULT is set.

`AGENTDESK_FAULT=exit_after_commit:N` kills the process with SIGKILL right after the transaction
holding the N-th pushed op commits (ops commit in groups: `push.COMMIT_GROUP`), before any
answer is sent: the client sees a dropped connection for ops the server has applied, the case
the (client id, seq) dedupe exists for. Read once when the app is built; never set it on a real
deployment.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Mapping

FAULT_ENV = "AGENTDESK_FAULT"


class FaultPoints:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        spec = (os.environ if env is None else env).get(FAULT_ENV, "")
        self.kill_after_commits: int | None = None
        self._commits = 0
        self._lock = threading.Lock()
        if spec:
            name, _, count = spec.partition(":")
            if name != "exit_after_commit" or not count.isdigit() or int(count) < 1:
                raise ValueError(f"{FAULT_ENV}={spec!r}: expected exit_after_commit:N (N >= 1)")
            self.kill_after_commits = int(count)

    def op_committed(self) -> None:
        if self.kill_after_commits is None:
            return
        with self._lock:
            self._commits += 1
            if self._commits >= self.kill_after_commits:
                os.kill(os.getpid(), signal.SIGKILL)
