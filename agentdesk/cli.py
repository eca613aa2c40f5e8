"""The `agentdesk` command: open the workstation, try the demo, import and export data.

Startup stays light: Textual, SQLAlchemy, rich and the transfer code load only inside the
command that needs them.
Every failure ends as a short message on stderr and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from agentdesk import __version__, cli_login, cli_report, cli_route, cli_sync
from agentdesk.config import ConfigError, Settings
from agentdesk.config_reload import load_or_fall_back
from agentdesk.domain.errors import DomainError
from agentdesk.store.errors import ImportFailed, StoreError

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from agentdesk.credentials import ServerCredentials
    from agentdesk.store.base import Store
    from agentdesk.transfer import ImportResult, Kind

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEMO_AGENT = "junior"
DEMO_TICKETS = 400
# Show a progress bar on a terminal once a file is big enough for the wait to be noticed.
PROGRESS_MIN_BYTES = 256 * 1024
PROGRESS_MIN_RECORDS = 2000

Result = TypeVar("Result")

# The values of `transfer.Kind` and `transfer.Format`, spelled out so that parsing the command
# line does not load the transfer module, which only `import` and `export` need (a test keeps
# them equal).
KINDS = ("tickets", "kb", "scripts")
FORMATS = ("jsonl", "csv")


class CliError(Exception):
    """A problem the user can fix; the message is shown as is."""


# -- arguments ---------------------------------------------------------------------------------
def _ticket_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 100_000:
        raise argparse.ArgumentTypeError("choose between 1 and 100000 tickets")
    return value


def build_parser() -> argparse.ArgumentParser:
    # Shared options are given on the subcommand parsers with SUPPRESS defaults, so a value
    # given before the subcommand is not overwritten by the subcommand's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="PATH",
        type=Path,
        default=argparse.SUPPRESS,
        help="the database file (default: the config's, else <data dir>/agentdesk.db; demo.db for demo)",
    )
    common.add_argument(
        "--config",
        metavar="PATH",
        type=Path,
        default=argparse.SUPPRESS,
        help="the config file (default: $AGENTDESK_CONFIG or the user config dir)",
    )
    agent = argparse.ArgumentParser(add_help=False)
    agent.add_argument(
        "--agent", metavar="HANDLE", default=argparse.SUPPRESS, help="who is working"
    )
    kinds, formats = list(KINDS), list(FORMATS)

    parser = argparse.ArgumentParser(
        prog="agentdesk",
        description="A keyboard-first terminal workstation for customer-service agents.",
        parents=[common, agent],
        epilog="Run `agentdesk demo` to try it on sample data.",
    )
    parser.add_argument("--version", action="version", version=f"agentdesk {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        parents=[common, agent],
        help="open a demo contact centre (created on first use)",
        description="Open the demo database, creating it with sample data if it is missing "
        f"(default: <data dir>/demo.db, as agent {DEMO_AGENT!r}).",
    )
    demo.add_argument(
        "--tickets",
        metavar="N",
        type=_ticket_count,
        default=DEMO_TICKETS,
        help=f"how many tickets a new demo gets (default {DEMO_TICKETS})",
    )
    demo.add_argument(
        "--reset",
        action="store_true",
        help="throw the demo database away and create it anew (its SLA clocks start from "
        "the moment it is created)",
    )

    importer = commands.add_parser(
        "import",
        parents=[common],
        help="import tickets, KB articles or scripts from JSONL or CSV",
        description="Import a file; any invalid row refuses the whole file. The fields are "
        "described in the agentdesk.transfer module docs.",
    )
    importer.add_argument("kind", choices=kinds, help="what the file holds")
    importer.add_argument("file", help="the file to read (- for standard input)")
    importer.add_argument(
        "--format", choices=formats, help="file format (default: from the extension)"
    )

    exporter = commands.add_parser(
        "export",
        parents=[common],
        help="export tickets, KB articles or scripts as JSONL or CSV",
        description="Write every record of one kind to a file or standard output.",
    )
    exporter.add_argument("kind", choices=kinds, help="what to export")
    exporter.add_argument(
        "--format",
        choices=formats,
        help="file format (default: from the --output extension, else jsonl)",
    )
    exporter.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        type=Path,
        help="the file to write (default: standard output)",
    )
    cli_route.add_parser(commands, parents=[common, agent])
    cli_report.add_parser(commands, parents=[common])
    cli_login.add_parser(commands, parents=[common])
    cli_sync.add_parser(commands, parents=[common])
    from agentdesk import cli_intents

    cli_intents.add_parser(commands)
    from agentdesk import cli_server

    cli_server.add_parser(commands)
    return parser


# -- entry point -------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error already printed
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    try:
        if args.command == "intents":
            from agentdesk import cli_intents

            return cli_intents.run(args)
        if args.command in ("serve", "server"):
            from agentdesk import cli_server

            return cli_server.run(args)
        settings = _settings(args)
        for notice in settings.notices:
            _say(f"agentdesk: warning: {notice}")
        if args.command == "demo":
            return run_demo(args, settings)
        if args.command == "import":
            return run_import(args, settings)
        if args.command == "export":
            return run_export(args, settings)
        if args.command == "route":
            return cli_route.run(args, settings)
        if args.command == "report":
            return cli_report.run(args, settings)
        if args.command in ("login", "logout"):
            return cli_login.run(args, settings)
        if args.command == "sync":
            return cli_sync.run(args, settings)
        return run_app(args, settings)
    except (CliError, ConfigError, StoreError, DomainError) as error:
        return _fail(str(error))
    except OSError as error:
        return _fail(_os_message(error))
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)


def _fail(message: str, code: int = EXIT_FAILED) -> int:
    _say(f"agentdesk: {message}")
    return code


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _os_message(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def _settings(args: argparse.Namespace) -> Settings:
    config: Path | None = getattr(args, "config", None)
    if config is not None and not config.exists():
        raise CliError(f"no config file at {config}")
    return load_or_fall_back(config)


def _db_path(args: argparse.Namespace, default: Path) -> Path:
    path: Path | None = getattr(args, "db", None)
    return (path or default).expanduser()


def _run(work: Callable[[], Coroutine[Any, Any, Result]]) -> Result:
    return asyncio.run(work())


def open_sqlite(path: Path, *, create: bool = False) -> Store:
    """The store on `path`, not opened yet (the SQLite backend loads only now)."""
    from agentdesk.store.sqlite import SqliteStore

    return SqliteStore(path, create=create)


# -- the workstation ---------------------------------------------------------------------------
def run_app(args: argparse.Namespace, settings: Settings) -> int:
    path = _db_path(args, settings.db_path)
    if not path.exists():
        raise CliError(
            f"no database at {path}; run `agentdesk demo` to try agentdesk with sample data, "
            "or pass --db PATH"
        )
    handle: str | None = getattr(args, "agent", None) or settings.default_agent
    if not handle:
        raise CliError(
            f'who is working? pass --agent HANDLE or set agent = "HANDLE" in {settings.config_path}'
        )
    return launch(settings, path, handle)


def launch(settings: Settings, path: Path, handle: str) -> int:
    """Run the TUI on the database at `path`; returns the app's exit code."""
    # Starting up allocates some hundred thousand objects that live as long as the app
    # (modules, classes, widgets); the cyclic collector would walk them over and over, a tenth
    # of the time to the first queue, and find next to nothing (a few thousand objects once).
    # So it waits until the queue is up; what exists then is frozen, out of later collections.
    gc.disable()
    try:
        from agentdesk.app import AgentDeskApp
        from agentdesk.store.remote import ServerLink, SyncedStore

        # The remote backend over the local file: unlinked (purely local) until the server's
        # credentials are found, then writes are pushed as they are made.
        store = SyncedStore(open_sqlite(path))

        async def open_store() -> Store:
            await store.open()
            return store

        def find_server() -> ServerCredentials | None:
            # After the queue is up, on a thread: the keyring may take a while to answer.
            from agentdesk.credentials import server_credentials

            server = server_credentials(os.environ, settings)
            if server is not None:
                store.connect_server(ServerLink(server.url, server.token, timeout=2.0))
            return server

        async def sync_round(store: Store, server: ServerCredentials, now: datetime) -> object:
            # The app's settings, as reloaded: the reservation keys apply from the next round.
            return await cli_sync.background_round(store, server, now, app.settings.reserve)

        app = AgentDeskApp(
            settings=settings,
            open_store=open_store,
            agent_handle=handle,
            on_ready=resume_gc,
            find_server=find_server,
            sync_round=sync_round,
        )
        app.run()
    finally:
        gc.enable()  # if the app ended before it was ready
    code = app.return_code or EXIT_OK
    # The app hands its own reason to Textual, which prints it on exit; only fill the gap.
    if code and not getattr(app, "exit_message", None):
        _say(f"agentdesk: stopped with exit code {code}")
    return code


def resume_gc() -> None:
    """Freeze everything start-up made (it lives on) and let the collector run again."""
    gc.freeze()
    gc.enable()


# -- demo --------------------------------------------------------------------------------------
def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    path = _db_path(args, settings.data_dir / "demo.db")
    if args.reset:
        remove_database(path)
    if not path.exists():
        _say(f"Creating the demo database at {path} ({args.tickets} tickets)…")
        create_demo(path, tickets=args.tickets, now=datetime.now(UTC))
    return launch(settings, path, getattr(args, "agent", None) or DEMO_AGENT)


def database_files(path: Path) -> list[Path]:
    """The database and the companion files SQLite keeps next to it."""
    return [path, *(path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]


def remove_database(path: Path) -> None:
    for file in database_files(path):
        file.unlink(missing_ok=True)


def create_demo(path: Path, *, tickets: int, now: datetime) -> None:
    """Seed a new file beside `path` and move it into place, so a failure leaves no half demo."""
    from agentdesk.demo import seed_demo

    building = path.with_name(path.name + ".creating")
    remove_database(building)

    async def seed() -> None:
        async with open_sqlite(building, create=True) as store:
            await seed_demo(store, now=now, tickets=tickets)

    try:
        _run(seed)
        os.replace(building, path)
    finally:
        remove_database(building)


# -- import and export -------------------------------------------------------------------------
class ProgressBar:
    """A rich progress bar on stderr, started only when the work is big enough to wait for."""

    def __init__(self, enabled: bool, minimum: int) -> None:
        self.enabled = enabled
        self.minimum = minimum
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled or (self._progress is None and total < self.minimum):
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import Progress

            self._progress = Progress(transient=True, console=Console(stderr=True))
            self._progress.start()
        if phase not in self._tasks:
            self._tasks[phase] = self._progress.add_task(phase.capitalize(), total=total)
        self._progress.update(self._tasks[phase], completed=done, total=total)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def run_import(args: argparse.Namespace, settings: Settings) -> int:
    from agentdesk.transfer import Format, Kind, format_for, import_data

    kind = Kind(args.kind)
    name = "standard input" if args.file == "-" else args.file
    fmt = Format(args.format) if args.format else None
    if fmt is None:
        fmt = None if args.file == "-" else format_for(Path(args.file))
        if fmt is None:
            raise CliError(
                f"cannot tell the format of {name} from its extension; "
                "pass --format jsonl or --format csv"
            )
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    path = _db_path(args, settings.db_path)
    bar = ProgressBar(sys.stderr.isatty() and len(data) >= PROGRESS_MIN_BYTES, minimum=0)

    async def work() -> ImportResult:
        from agentdesk.config_transfer import check_departments
        from agentdesk.intake import ModelClassifier

        async with open_sqlite(path) as store:
            # Imported tickets arrive like any other: the configured SLA targets and routing.
            store.policies = settings.sla
            store.routing_policy = settings.routing
            known = {department.id for department in await store.departments()}
            store.transfer_rules, problems = check_departments(settings.transfer_rules, known)
            for problem in problems:
                _say(f"agentdesk: warning: {problem}")
            return await import_data(
                store,
                kind,
                data,
                fmt,
                now=datetime.now(UTC),
                progress=bar,
                classify=ModelClassifier(),
            )

    try:
        result = _run(work)
    except ImportFailed as error:
        raise CliError(f"{name}: {error}") from None
    finally:
        bar.stop()
    created = result.customers_created
    extra = f" and {created} new customer(s)" if created else ""
    noun = _noun(kind, result.count)
    _say(f"Imported {result.count} {noun}{extra} from {name} into {path}.")
    return EXIT_OK


def _noun(kind: Kind, count: int) -> str:
    singular = {"tickets": "ticket", "kb": "article", "scripts": "script"}[kind.value]
    return singular if count == 1 else f"{singular}s"


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from agentdesk.transfer import Format, Kind, export, format_for

    kind = Kind(args.kind)
    output: Path | None = args.output
    fmt = Format(args.format) if args.format else None
    if fmt is None:
        fmt = (format_for(output) if output else None) or Format.JSONL
    path = _db_path(args, settings.db_path)
    bar = ProgressBar(sys.stderr.isatty() and output is not None, minimum=PROGRESS_MIN_RECORDS)

    async def write(out: TextIO) -> int:
        async with open_sqlite(path) as store:
            return await export(store, kind, out, fmt, progress=bar)

    if output is None:
        try:
            _run(lambda: write(sys.stdout))
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): not an error; stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            bar.stop()
        return EXIT_OK
    # Write beside the target and move it into place: a failed export leaves no half file.
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            count = _run(lambda: write(out))
        os.replace(partial, output)
    finally:
        bar.stop()
        partial.unlink(missing_ok=True)
    _say(f"Exported {count} {_noun(kind, count)} to {output}.")
    return EXIT_OK
