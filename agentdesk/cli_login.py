"""`agentdesk login URL --agent HANDLE` and `agentdesk logout`.

The token is read from a hidden prompt on a terminal, or from standard input otherwise (so
`pass show agentdesk | agentdesk login ...` works), checked against the server's `/me` unless
`--no-verify`, and only then stored: a refused or unverifiable token leaves nothing behind.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from agentdesk.credentials import (
    CredentialsError,
    ServerLogin,
    TokenStore,
    load_login,
    normalise_url,
    open_token_store,
    save_login,
    server_file,
    verify_token,
)

if TYPE_CHECKING:
    import httpx

    from agentdesk.config import Settings

EXIT_OK = 0
EXIT_FAILED = 1


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: list[argparse.ArgumentParser],
) -> None:
    login = commands.add_parser(
        "login",
        parents=parents,
        help="store the token for a team server",
        description="Read a token (hidden prompt, or standard input when piped), check it with "
        "the server and keep it in the OS keyring. AGENTDESK_SERVER and AGENTDESK_TOKEN "
        "override what is stored.",
    )
    login.add_argument("url", help="the server, e.g. https://desk.example.com")
    login.add_argument("--agent", metavar="HANDLE", required=True, help="your agent handle")
    login.add_argument(
        "--no-verify", action="store_true", help="store the token without asking the server"
    )
    commands.add_parser(
        "logout",
        parents=parents,
        help="forget the stored server token",
        description="Remove the token of the server you logged in to, and the login itself.",
    )


def run(
    args: argparse.Namespace,
    settings: Settings,
    *,
    stdin: TextIO | None = None,
    tokens: TokenStore | None = None,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run login or logout; `tokens` and `transport` let tests stand in for keyring and network."""
    try:
        if args.command == "login":
            return _login(args, settings, stdin or sys.stdin, tokens, transport)
        return _logout(settings, tokens)
    except CredentialsError as error:
        return _fail(str(error))


def _token_store(settings: Settings, tokens: TokenStore | None, *, warn: bool) -> TokenStore:
    if tokens is not None:
        return tokens
    store, warning = open_token_store(settings.data_dir)
    if warning and warn:
        _say(f"agentdesk: warning: {warning}")
    return store


def _login(
    args: argparse.Namespace,
    settings: Settings,
    stdin: TextIO,
    tokens: TokenStore | None,
    transport: httpx.BaseTransport | None,
) -> int:
    login = ServerLogin(normalise_url(args.url), args.agent.strip())
    if not login.handle:
        raise CredentialsError("--agent needs a handle")
    token = _read_token(stdin, login)
    if not args.no_verify:
        verify_token(login.url, token, login.handle, transport)
    _token_store(settings, tokens, warn=True).put(login, token)
    save_login(server_file(settings.config_path), login)
    checked = "" if args.no_verify else " (token checked with the server)"
    _say(f"agentdesk: logged in to {login.url} as {login.handle}{checked}")
    return EXIT_OK


def _read_token(stdin: TextIO, login: ServerLogin) -> str:
    if stdin.isatty():
        import getpass

        token = getpass.getpass(f"Token for {login.handle} at {login.url}: ")
    else:
        token = stdin.readline()
    token = token.strip()
    if not token:
        raise CredentialsError("no token given (type it at the prompt or pipe it on stdin)")
    return token


def _logout(settings: Settings, tokens: TokenStore | None) -> int:
    path = server_file(settings.config_path)
    login = load_login(path)
    if login is None:
        _say("agentdesk: not logged in")
        return EXIT_OK
    # Forgetting a token needs no warning about where tokens are kept.
    removed = _token_store(settings, tokens, warn=False).delete(login)
    path.unlink()
    forgot = "and its token " if removed else ""
    _say(f"agentdesk: forgot the login {forgot}for {login.handle} at {login.url}")
    return EXIT_OK


def _fail(message: str) -> int:
    _say(f"agentdesk: {message}")
    return EXIT_FAILED


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
