"""The crash-test fault point is inert unless set, and a bad setting is refused, not ignored."""

from __future__ import annotations

import pytest

from agentdesk.cli import main
from agentdesk.server.faults import FAULT_ENV, FaultPoints


def test_unset_means_no_fault() -> None:
    faults = FaultPoints({})
    assert faults.kill_after_commits is None
    for _ in range(5):
        faults.op_committed()  # nothing happens: this process is still here


def test_the_setting_is_read_and_a_bad_one_is_refused() -> None:
    assert FaultPoints({FAULT_ENV: "exit_after_commit:3"}).kill_after_commits == 3
    for bad in ("exit_after_commit:0", "exit_after_commit:x", "crash", "exit_after_commit"):
        with pytest.raises(ValueError, match=FAULT_ENV):
            FaultPoints({FAULT_ENV: bad})


@pytest.mark.parametrize("rate", ["0", "lots", "-5"])
def test_serve_refuses_a_bad_rate_limit(rate: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--database-url", "sqlite:///x.db", "--rate-limit", rate]) == 2
    assert "requests per second" in capsys.readouterr().err


def test_serve_refuses_a_bad_fault_setting_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(FAULT_ENV, "crash")
    assert main(["serve", "--database-url", "sqlite:///never-opened.db"]) != 0
    error = capsys.readouterr().err
    assert FAULT_ENV in error and "Traceback" not in error
