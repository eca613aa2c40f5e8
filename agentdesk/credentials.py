"""Where the team server's address and the agent's token live.

- The server URL and agent handle are not secret: they go in `server.toml` beside the config
  file, so `agentdesk login` never rewrites the user's hand-edited config.toml.
- The token goes in the OS keyring (service "agentdesk", user "HANDLE@URL"). On a machine without
  one (a headless Linux box), it falls back to a keyrings.alt plain-text file in the agentdesk data
  dir, created with mode 0600, and says so: that file is only as safe as the account's files.
- `AGENTDESK_SERVER` and `AGENTDESK_TOKEN` override both, for scripts and CI.

keyring and httpx are imported inside the functions that need them, so `import agentdesk.cli`
stays light.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx
    from keyring.backend import KeyringBackend

    from agentdesk.config import Settings

SERVICE = "agentdesk"
SERVER_FILE = "server.toml"
FALLBACK_FILE = "credentials.cfg"
ENV_SERVER = "AGENTDESK_SERVER"
ENV_TOKEN = "AGENTDESK_TOKEN"
VERIFY_TIMEOUT_S = 10.0
# Module prefixes of backends that are not an OS keyring: keyrings.alt's files, and keyring's
# placeholders for "nothing available".
_NOT_OS_KEYRINGS = ("keyrings.alt", "keyring.backends.fail", "keyring.backends.null")


class CredentialsError(Exception):
    """A problem the user can fix; the message is shown as is."""


@dataclass(frozen=True, slots=True)
class ServerLogin:
    url: str
    handle: str


@dataclass(frozen=True, slots=True)
class ServerCredentials:
    url: str
    handle: str | None
    token: str


class TokenStore(Protocol):
    """The tiny secret interface tests replace."""

    def get(self, login: ServerLogin) -> str | None: ...
    def put(self, login: ServerLogin, token: str) -> None: ...
    def delete(self, login: ServerLogin) -> bool: ...


def normalise_url(url: str) -> str:
    """`https://host[:port][/path]` without a trailing slash, or CredentialsError."""
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CredentialsError(f"not a server URL: {url!r} (expected http://HOST or https://HOST)")
    if parts.query or parts.fragment:
        raise CredentialsError(f"a server URL has no query or fragment: {url!r}")
    try:
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise CredentialsError(f"bad port in server URL {url!r}") from None
    return text.rstrip("/")


# -- the non-secret half: server.toml ---------------------------------------------------------
def server_file(config_path: Path) -> Path:
    return config_path.with_name(SERVER_FILE)


def load_login(path: Path) -> ServerLogin | None:
    if not path.exists():
        return None
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise CredentialsError(f"{path}: {error}") from None
    url, handle = raw.get("url"), raw.get("agent")
    if not isinstance(url, str) or not isinstance(handle, str):
        raise CredentialsError(f"{path}: expected string keys 'url' and 'agent'")
    return ServerLogin(normalise_url(url), handle)


def save_login(path: Path, login: ServerLogin) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON string escapes are valid TOML basic strings.
    text = f"url = {json.dumps(login.url)}\nagent = {json.dumps(login.handle)}\n"
    path.write_text("# Written by `agentdesk login`.\n" + text, encoding="utf-8")


# -- the secret half: the keyring --------------------------------------------------------------
def _username(login: ServerLogin) -> str:
    return f"{login.handle}@{login.url}"


class KeyringTokenStore:
    def __init__(self, backend: KeyringBackend) -> None:
        self.backend = backend

    def get(self, login: ServerLogin) -> str | None:
        with _keyring_errors():
            token: str | None = self.backend.get_password(SERVICE, _username(login))
        return token

    def put(self, login: ServerLogin, token: str) -> None:
        with _keyring_errors():
            self.backend.set_password(SERVICE, _username(login), token)

    def delete(self, login: ServerLogin) -> bool:
        from keyring.errors import PasswordDeleteError

        try:
            with _keyring_errors(allow=PasswordDeleteError):
                self.backend.delete_password(SERVICE, _username(login))
        except PasswordDeleteError:
            return False
        return True


@contextmanager
def _keyring_errors(allow: type[Exception] | None = None) -> Iterator[None]:
    """A locked or broken keyring becomes a message, not a traceback."""
    from keyring.errors import KeyringError

    try:
        yield
    except KeyringError as error:
        if allow is not None and isinstance(error, allow):
            raise
        raise CredentialsError(f"the keyring failed: {error or type(error).__name__}") from None


class FileTokenStore(KeyringTokenStore):
    """keyrings.alt's plain-text file, kept at mode 0600 in the agentdesk data dir."""

    def __init__(self, path: Path) -> None:
        from keyrings.alt.file import PlaintextKeyring

        backend = PlaintextKeyring()
        backend.file_path = str(path)
        super().__init__(backend)
        self.path = path

    def put(self, login: ServerLogin, token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Create it private before a token is ever written; keyrings.alt keeps the mode.
        os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        self.path.chmod(0o600)
        super().put(login, token)
        self.path.chmod(0o600)


def is_os_keyring(backend: Any) -> bool:
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return any(is_os_keyring(member) for member in backend.backends)
    module = type(backend).__module__
    try:
        priority = float(backend.priority)
    except Exception:  # a backend that cannot say is not one to trust with a token
        return False
    return priority >= 1 and not module.startswith(_NOT_OS_KEYRINGS)


def open_token_store(data_dir: Path) -> tuple[TokenStore, str | None]:
    """The OS keyring, else the file fallback and a warning that says where the token sits."""
    import keyring

    backend = keyring.get_keyring()
    if is_os_keyring(backend):
        return KeyringTokenStore(backend), None
    path = data_dir / FALLBACK_FILE
    warning = (
        f"no OS keyring is available, so the token is stored unencrypted in {path} "
        "(readable only by you, mode 0600)"
    )
    return FileTokenStore(path), warning


# -- putting it together -----------------------------------------------------------------------
def server_credentials(
    env: Mapping[str, str], settings: Settings, tokens: TokenStore | None = None
) -> ServerCredentials | None:
    """The server to sync with, or None when not logged in.

    `AGENTDESK_SERVER` replaces the stored URL and `AGENTDESK_TOKEN` the stored token; with both
    set nothing is read from disk or the keyring.
    """
    env_url, env_token = env.get(ENV_SERVER, "").strip(), env.get(ENV_TOKEN, "").strip()
    stored = load_login(server_file(settings.config_path))
    url = normalise_url(env_url) if env_url else stored.url if stored else None
    if url is None:
        return None
    handle = stored.handle if stored else None
    if env_token:
        return ServerCredentials(url, handle, env_token)
    if handle is None:
        return None
    store = tokens if tokens is not None else open_token_store(settings.data_dir)[0]
    token = store.get(ServerLogin(url, handle))
    return ServerCredentials(url, handle, token) if token else None


def verify_token(
    url: str, token: str, handle: str, transport: httpx.BaseTransport | None = None
) -> None:
    """Ask the server who the token belongs to; CredentialsError unless it is `handle`."""
    import httpx

    try:
        with httpx.Client(transport=transport, timeout=VERIFY_TIMEOUT_S) as client:
            response = client.get(f"{url}/me", headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as error:
        raise CredentialsError(f"cannot reach {url}: {error or type(error).__name__}") from None
    if response.status_code in (401, 403):
        raise CredentialsError(f"{url} refused the token (HTTP {response.status_code})")
    if response.status_code != 200:
        raise CredentialsError(f"{url}/me answered HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        raise CredentialsError(
            f"{url}/me did not answer JSON; is this an agentdesk server?"
        ) from None
    owner = body.get("handle") if isinstance(body, dict) else None
    if isinstance(owner, str) and owner != handle:
        raise CredentialsError(f"the token belongs to agent {owner!r}, not {handle!r}")
