"""Server login: token storage (keyring or warned file), env overrides, verification, the CLI."""

from __future__ import annotations

import io
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from agentdesk import cli, cli_login
from agentdesk.config import Settings, load_settings
from agentdesk.credentials import (
    FALLBACK_FILE,
    CredentialsError,
    ServerCredentials,
    ServerLogin,
    is_os_keyring,
    load_login,
    normalise_url,
    save_login,
    server_credentials,
    server_file,
    verify_token,
)

URL = "https://desk.example.com"


class MemoryKeyring(KeyringBackend):
    """Stands in for an OS keyring (priority 1 and not a keyrings.alt file)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class RefusingStore:
    """A token store that must not be consulted."""

    def get(self, login: ServerLogin) -> str | None:
        raise AssertionError("the keyring was read although the environment had everything")

    def put(self, login: ServerLogin, token: str) -> None:
        raise AssertionError("unexpected write")

    def delete(self, login: ServerLogin) -> bool:
        raise AssertionError("unexpected delete")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("AGENTDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AGENTDESK_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.delenv("AGENTDESK_SERVER", raising=False)
    monkeypatch.delenv("AGENTDESK_TOKEN", raising=False)
    before = keyring.get_keyring()
    yield tmp_path
    keyring.set_keyring(before)


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    return backend


@pytest.fixture
def settings(isolated: Path) -> Settings:
    return load_settings(
        isolated / "config.toml",
        {"AGENTDESK_DATA_DIR": str(isolated / "data")},
    )


def _stdin(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _me(status: int, body: object) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/me"
        if request.headers.get("Authorization") != "Bearer s3cret":
            return httpx.Response(401, json={"detail": "bad token"})
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


# -- URLs and server.toml ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://desk.example.com/", URL),
        ("  http://127.0.0.1:8000  ", "http://127.0.0.1:8000"),
        ("https://example.com/desk/", "https://example.com/desk"),
    ],
)
def test_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_url(given) == expected


@pytest.mark.parametrize(
    "bad", ["desk.example.com", "ftp://x", "https://", "http://h:99999", "https://h/?a=1"]
)
def test_bad_urls_are_refused(bad: str) -> None:
    with pytest.raises(CredentialsError):
        normalise_url(bad)


def test_login_file_round_trips_with_awkward_characters(tmp_path: Path) -> None:
    login = ServerLogin("https://h.example/a", 'we"ird\\handle')
    save_login(tmp_path / "server.toml", login)
    assert load_login(tmp_path / "server.toml") == login


def test_a_broken_login_file_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "server.toml"
    path.write_text("url = 3\n")
    with pytest.raises(CredentialsError, match=r"server\.toml"):
        load_login(path)


# -- server_credentials --------------------------------------------------------------------------
def test_nothing_stored_means_not_logged_in(settings: Settings) -> None:
    assert server_credentials({}, settings, RefusingStore()) is None


def test_environment_overrides_both_without_touching_the_keyring(settings: Settings) -> None:
    save_login(server_file(settings.config_path), ServerLogin(URL, "ana"))
    env = {"AGENTDESK_SERVER": "http://ci.local:9000/", "AGENTDESK_TOKEN": "ci-token"}
    assert server_credentials(env, settings, RefusingStore()) == ServerCredentials(
        "http://ci.local:9000", "ana", "ci-token"
    )


def test_environment_token_alone_needs_no_login_file_handle(settings: Settings) -> None:
    env = {"AGENTDESK_SERVER": URL, "AGENTDESK_TOKEN": "t"}
    assert server_credentials(env, settings, RefusingStore()) == ServerCredentials(URL, None, "t")


def test_stored_login_reads_the_keyring(settings: Settings, memory_keyring: MemoryKeyring) -> None:
    save_login(server_file(settings.config_path), ServerLogin(URL, "ana"))
    memory_keyring.set_password("agentdesk", f"ana@{URL}", "from-keyring")
    assert server_credentials({}, settings) == ServerCredentials(URL, "ana", "from-keyring")
    # An overriding server URL looks up the token stored for that server, not the other one.
    assert server_credentials({"AGENTDESK_SERVER": "https://other.example"}, settings) is None


# -- verification ---------------------------------------------------------------------------------
def test_verify_accepts_the_agents_own_token() -> None:
    verify_token(URL, "s3cret", "ana", _me(200, {"handle": "ana"}))


def test_verify_reports_a_refused_token() -> None:
    with pytest.raises(CredentialsError, match="refused the token"):
        verify_token(URL, "wrong", "ana", _me(200, {"handle": "ana"}))


def test_verify_reports_someone_elses_token() -> None:
    with pytest.raises(CredentialsError, match="belongs to agent 'bob'"):
        verify_token(URL, "s3cret", "ana", _me(200, {"handle": "bob"}))


def test_verify_reports_a_server_that_is_not_agentdesk() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, text="<html>"))
    with pytest.raises(CredentialsError, match="did not answer JSON"):
        verify_token(URL, "s3cret", "ana", transport)


def test_verify_reports_an_unreachable_server() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(CredentialsError, match="cannot reach"):
        verify_token(URL, "s3cret", "ana", httpx.MockTransport(refuse))


# -- the CLI --------------------------------------------------------------------------------------
def _run_login(settings: Settings, transport: httpx.BaseTransport, *extra: str) -> int:
    args = cli.build_parser().parse_args(["login", URL, "--agent", "ana", *extra])
    return cli_login.run(args, settings, transport=transport)


def test_login_from_stdin_verifies_then_stores(
    settings: Settings,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stdin("s3cret\n", monkeypatch)
    assert _run_login(settings, _me(200, {"handle": "ana"})) == 0
    assert memory_keyring.secrets == {("agentdesk", f"ana@{URL}"): "s3cret"}
    assert load_login(server_file(settings.config_path)) == ServerLogin(URL, "ana")
    assert "logged in to" in capsys.readouterr().err
    assert server_credentials({}, settings) == ServerCredentials(URL, "ana", "s3cret")


def test_a_refused_token_stores_nothing(
    settings: Settings,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stdin("wrong\n", monkeypatch)
    assert _run_login(settings, _me(200, {"handle": "ana"})) == 1
    err = capsys.readouterr().err
    assert "refused the token" in err and "Traceback" not in err
    assert memory_keyring.secrets == {}
    assert not server_file(settings.config_path).exists()


def test_login_prompts_without_echo_on_a_terminal(
    settings: Settings, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    terminal = io.StringIO()
    monkeypatch.setattr(terminal, "isatty", lambda: True)
    monkeypatch.setattr(sys, "stdin", terminal)
    prompts: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or "typed")
    assert _run_login(settings, _me(200, {}), "--no-verify") == 0
    assert prompts == [f"Token for ana at {URL}: "]
    assert memory_keyring.secrets[("agentdesk", f"ana@{URL}")] == "typed"


def test_unreachable_server_through_main_stores_nothing(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    isolated: Path,
) -> None:
    _stdin("s3cret\n", monkeypatch)
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    assert cli.main(["login", "http://127.0.0.1:1", "--agent", "ana"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("agentdesk: cannot reach http://127.0.0.1:1") and "Traceback" not in err
    assert memory_keyring.secrets == {}
    assert not (isolated / "server.toml").exists()


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["login", "desk.example.com", "--agent", "ana"], "t\n", "not a server URL"),
        (["login", URL, "--agent", "ana", "--no-verify"], "\n", "no token given"),
        (["login", URL, "--agent", "  ", "--no-verify"], "t\n", "--agent needs a handle"),
    ],
)
def test_bad_login_input_is_one_clear_line(
    argv: list[str],
    stdin: str,
    message: str,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _stdin(stdin, monkeypatch)
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert memory_keyring.secrets == {}


def test_login_needs_an_agent(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["login", URL]) == 2
    assert "--agent" in capsys.readouterr().err


def test_without_an_os_keyring_the_token_goes_to_a_private_file_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], isolated: Path
) -> None:
    keyring.set_keyring(fail.Keyring())
    _stdin("s3cret\n", monkeypatch)
    assert cli.main(["login", URL, "--agent", "ana", "--no-verify"]) == 0
    err = capsys.readouterr().err
    path = isolated / "data" / FALLBACK_FILE
    assert (
        f"warning: no OS keyring is available, so the token is stored unencrypted in {path}" in err
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings = load_settings(
        isolated / "config.toml", {"AGENTDESK_DATA_DIR": str(isolated / "data")}
    )
    assert server_credentials({}, settings) == ServerCredentials(URL, "ana", "s3cret")


def test_logout_forgets_the_token_and_the_login(
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    isolated: Path,
) -> None:
    _stdin("s3cret\n", monkeypatch)
    assert cli.main(["login", URL, "--agent", "ana", "--no-verify"]) == 0
    assert cli.main(["logout"]) == 0
    assert memory_keyring.secrets == {}
    assert not (isolated / "server.toml").exists()
    assert cli.main(["logout"]) == 0
    assert capsys.readouterr().err.rstrip().endswith("not logged in")


def test_keyrings_alt_files_and_the_fail_backend_are_not_os_keyrings() -> None:
    from keyrings.alt.file import PlaintextKeyring

    assert not is_os_keyring(PlaintextKeyring())
    assert not is_os_keyring(fail.Keyring())
    assert is_os_keyring(MemoryKeyring())


def test_importing_the_cli_loads_neither_keyring_nor_httpx() -> None:
    code = (
        "import sys, agentdesk.cli\n"
        "agentdesk.cli.build_parser().parse_args(['login', 'http://x', '--agent', 'a'])\n"
        "print(','.join(m for m in ('keyring', 'httpx') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_a_locked_keyring_is_reported_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class LockedKeyring(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise KeyringLocked("the login keyring is locked")

    keyring.set_keyring(LockedKeyring())
    _stdin("s3cret\n", monkeypatch)
    assert cli.main(["login", URL, "--agent", "ana", "--no-verify"]) == 1
    err = capsys.readouterr().err
    assert "the keyring failed: the login keyring is locked" in err and "Traceback" not in err
