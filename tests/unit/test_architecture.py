"""The layer boundaries, checked mechanically.

import-linter checks direct imports against the contracts in pyproject.toml. Those contracts allow
indirect imports, so a second test imports every domain module in a fresh interpreter and looks at
what actually got loaded.
"""

from __future__ import annotations

import json
import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import agentdesk.domain

REPO_ROOT = Path(__file__).resolve().parents[2]
DOMAIN_CONTRACT = "domain is pure Python"
# Named here as well as in pyproject so that emptying the contract does not pass silently.
FRAMEWORKS = {"textual", "sqlmodel", "sqlalchemy", "alembic", "httpx", "keyring", "rich"}


def _contracts() -> list[dict[str, object]]:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["importlinter"]["contracts"]


def _lint_imports() -> str:
    beside_python = Path(sys.executable).with_name("lint-imports")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("lint-imports")
    assert found, "lint-imports is not installed (pip install import-linter)"
    return found


def test_import_linter_contracts_are_kept() -> None:
    result = subprocess.run(
        [_lint_imports(), "--no-cache", "--no-logo"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout  # the summary line, e.g. "3 kept, 0 broken"


def test_domain_contract_forbids_the_frameworks() -> None:
    (contract,) = [c for c in _contracts() if c["name"] == DOMAIN_CONTRACT]
    assert contract["type"] == "forbidden"
    assert contract["source_modules"] == ["agentdesk.domain"]
    assert set(contract["forbidden_modules"]) >= FRAMEWORKS  # type: ignore[arg-type]


def test_importing_the_domain_loads_no_framework() -> None:
    modules = sorted(
        f"agentdesk.domain.{info.name}" for info in pkgutil.iter_modules(agentdesk.domain.__path__)
    )
    assert "agentdesk.domain.actions" in modules
    program = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted({name.split('.')[0] for name in sys.modules})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(json.loads(result.stdout))
    assert "agentdesk" in loaded
    assert loaded.isdisjoint(FRAMEWORKS), sorted(loaded & FRAMEWORKS)
