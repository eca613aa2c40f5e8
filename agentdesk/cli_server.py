"""`agentdesk serve` and `agentdesk server …`: run the team server and look after its database.

FastAPI, uvicorn and SQLAlchemy load only once one of these commands runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agentdesk.cli import EXIT_OK, CliError

URL_ENV = "AGENTDESK_DATABASE_URL"
ROLES = ("agent", "lead", "admin")
# verb, what it publishes, the file's fields (as `agentdesk import kb|scripts` reads them)
PUBLISHED = (
    ("import-kb", "KB articles", "id, title, body, intent, tags"),
    ("import-scripts", "scripts", "id, name, body, intent, steps, required"),
)


def add_parser(commands: Any) -> None:
    """Add `serve` and `server` (migrate, add-agent, set-agent, …) to the subcommands."""
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        metavar="URL",
        default=None,
        help=f"postgresql://user@host/db or sqlite:///path (default: ${URL_ENV})",
    )
    serve = commands.add_parser(
        "serve",
        parents=[database],
        help="run the team server (HTTP API; OpenAPI docs at /docs)",
        description="Serve the team API on a migrated database. Several instances can share "
        "one PostgreSQL database behind a load balancer.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=_port, default=8765, help="port to listen on (default 8765)")
    serve.add_argument(
        "--rate-limit",
        type=_rate,
        default=50.0,
        metavar="PER_SECOND",
        help="requests a second each agent may make, in bursts of up to twice that (default 50)",
    )

    server = commands.add_parser(
        "server",
        help="manage the team server's database: migrate it, add agents, publish KB and scripts",
        description="Look after the team server's database.",
    )
    verbs = server.add_subparsers(dest="server_command", metavar="COMMAND", required=True)
    verbs.add_parser(
        "migrate",
        parents=[database],
        help="create or upgrade the schema",
        description="Bring the database schema up to this version of agentdesk.",
    )
    add_agent = verbs.add_parser(
        "add-agent",
        parents=[database],
        help="create an agent account and print its API token (shown once)",
        description="Create an agent account. Its token is printed once; only its hash is kept.",
    )
    add_agent.add_argument("handle", metavar="HANDLE", help="the agent's login handle")
    add_agent.add_argument("--role", choices=ROLES, default="agent", help="agent, lead or admin")
    add_agent.add_argument("--name", help="display name (default: the handle)")
    add_agent.add_argument(
        "--department",
        action="append",
        dest="departments",
        metavar="ID",
        help="a department whose tickets the agent takes (repeatable; default: general)",
    )
    _profile_options(add_agent, adding=True)
    set_agent = verbs.add_parser(
        "set-agent",
        parents=[database],
        help="change an agent's tier, skill levels or languages (claim-next routes by them)",
        description="Change what routing knows of an agent. Skills are merged into the agent's "
        "(level 0 removes one); a tier or languages given replace the old. The server's "
        "claim-next and reservations follow within seconds.",
    )
    set_agent.add_argument("handle", metavar="HANDLE", help="the agent's login handle")
    _profile_options(set_agent, adding=False)

    for verb, noun, fields in PUBLISHED:
        publish = verbs.add_parser(
            verb,
            parents=[database],
            help=f"publish {noun} from a JSONL or CSV file to every desk (upsert by id)",
            description=f"Check the file as `agentdesk import` does ({fields}), then upsert "
            f"its {noun} on the server in one transaction; every desk pulls them on its next "
            "sync. Any problem refuses the whole file.",
        )
        publish.add_argument("file", metavar="FILE", type=Path, help="a .jsonl or .csv file")
        publish.add_argument(
            "--format", choices=("jsonl", "csv"), help="the file's format (default: by extension)"
        )


def _profile_options(parser: argparse.ArgumentParser, *, adding: bool) -> None:
    tiers = ("junior", "senior", "expert")
    parser.add_argument(
        "--tier",
        choices=tiers,
        default="junior" if adding else None,
        help="seniority: complex work and VIP customers need a senior"
        + (" (default junior)" if adding else ""),
    )
    lowest = 1 if adding else 0
    parser.add_argument(
        "--skills",
        type=_skills if adding else _skill_changes,
        metavar="SKILL:LEVEL,…",
        help=f"skill levels {lowest}-5, e.g. faq:2,complaints:4 (a bare name means level 1"
        + ("" if adding else "; level 0 removes the skill")
        + ")",
    )
    parser.add_argument(
        "--languages",
        type=_languages,
        metavar="CODE,…",
        help="languages the agent answers in, e.g. en,fr" + (" (default en)" if adding else ""),
    )


def _skill_changes(text: str) -> dict[str, int]:
    """`faq:2,complaints:0` as {skill: level}; a bare name is level 1."""
    skills: dict[str, int] = {}
    for part in (part.strip() for part in text.split(",")):
        if not part:
            continue
        name, _, level = part.partition(":")
        level = level.strip() or "1"
        if not name.strip() or not level.isdigit() or int(level) > 5:
            raise argparse.ArgumentTypeError(f"{part!r}: expected SKILL:LEVEL with a level 0-5")
        skills[name.strip()] = int(level)
    return skills


def _skills(text: str) -> dict[str, int]:
    skills = _skill_changes(text)
    if 0 in skills.values():
        raise argparse.ArgumentTypeError("a new agent's skill levels are 1-5")
    return skills


def _languages(text: str) -> tuple[str, ...]:
    codes = tuple(code.strip() for code in text.split(",") if code.strip())
    if not codes:
        raise argparse.ArgumentTypeError("name at least one language, e.g. en")
    return codes


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("choose a port between 1 and 65535")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected requests per second, got {text!r}") from None
    if not 0 < value <= 1_000_000:
        raise argparse.ArgumentTypeError("choose above 0 and at most 1000000 requests per second")
    return value


def run(args: argparse.Namespace) -> int:
    from agentdesk.server.accounts import AccountError
    from agentdesk.server.database import DatabaseError

    url = args.database_url or os.environ.get(URL_ENV)
    if not url:
        raise CliError(f"which database? pass --database-url URL or set ${URL_ENV}")
    try:
        if args.command == "serve":
            return run_serve(url, args.host, args.port, args.rate_limit)
        if args.server_command == "migrate":
            return run_migrate(url)
        if args.server_command in ("import-kb", "import-scripts"):
            return run_publish(url, args.server_command, args.file, args.format)
        if args.server_command == "set-agent":
            return run_set_agent(url, args)
        return run_add_agent(url, args)
    except (DatabaseError, AccountError) as error:
        raise CliError(str(error)) from None


def run_publish(url: str, verb: str, path: Path, fmt: str | None) -> int:
    from agentdesk.server_publish import publish
    from agentdesk.store.errors import ImportFailed
    from agentdesk.transfer import Format, Kind

    kind = Kind.KB if verb == "import-kb" else Kind.SCRIPTS
    try:
        count = publish(url, kind, path, Format(fmt) if fmt else None)
    except ImportFailed as error:
        raise CliError(f"{path.name}: {error}") from None
    except (OSError, ValueError) as error:
        raise CliError(f"{path}: {error}") from None
    noun = "KB article(s)" if kind is Kind.KB else "script(s)"
    _say(f"agentdesk: published {count} {noun} from {path.name}; desks get them on their next sync")
    return EXIT_OK


def run_serve(url: str, host: str, port: int, rate_limit: float = 50.0) -> int:
    import uvicorn

    from agentdesk.server.app import Limits, create_app
    from agentdesk.server.database import create_server_engine, require_current_schema
    from agentdesk.server.faults import FaultPoints

    try:
        FaultPoints()  # a crash-test setting that cannot be read is refused before serving
    except ValueError as error:
        raise CliError(str(error)) from None
    engine = create_server_engine(url)
    try:
        require_current_schema(engine, url)
    finally:
        engine.dispose()
    _say(f"agentdesk: serving on http://{host}:{port} (API docs at /docs)")
    limits = Limits(requests_per_second=rate_limit, burst=max(1, int(2 * rate_limit)))
    # No access log (a log record per request is CPU the hot routes can use); uvloop and
    # httptools are used when installed ("auto").
    uvicorn.run(
        create_app(url, limits=limits),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        loop="auto",
        http="auto",
    )
    return EXIT_OK


def run_migrate(url: str) -> int:
    from agentdesk.server.database import create_server_engine, schema_status, upgrade

    engine = create_server_engine(url)
    try:
        before = schema_status(engine)
        after = upgrade(engine)
    finally:
        engine.dispose()
    if before.revision == after.revision:
        _say(f"agentdesk: the schema is up to date (revision {after.revision})")
    else:
        _say(
            f"agentdesk: migrated the schema from {before.revision or 'nothing'} to {after.revision}"
        )
    return EXIT_OK


def run_add_agent(url: str, args: argparse.Namespace) -> int:
    from agentdesk.domain.model import AgentTier, Role
    from agentdesk.server.accounts import DEFAULT_LANGUAGES, Profile, add_agent
    from agentdesk.server.database import create_server_engine, require_current_schema
    from agentdesk.server.reference import publish_agent

    profile = Profile(AgentTier(args.tier), args.skills or {}, args.languages or DEFAULT_LANGUAGES)
    engine = create_server_engine(url)
    try:
        require_current_schema(engine, url)
        with engine.begin() as connection:
            account, token = add_agent(
                connection,
                args.handle,
                role=Role(args.role),
                name=args.name,
                departments=tuple(args.departments or ["general"]),
                profile=profile,
            )
            # Desks learn of the new agent from the change log (leads may assign to them).
            publish_agent(connection, account.id, now=datetime.now(UTC))
    finally:
        engine.dispose()
    _say(f"agentdesk: created {account.role.value} {account.handle!r}; its token (shown once):")
    sys.stdout.write(token + "\n")
    return EXIT_OK


def run_set_agent(url: str, args: argparse.Namespace) -> int:
    from agentdesk.domain.model import AgentTier
    from agentdesk.server.accounts import set_agent
    from agentdesk.server.database import create_server_engine, require_current_schema
    from agentdesk.server.reference import publish_agent

    if args.tier is None and args.skills is None and args.languages is None:
        raise CliError("nothing to change: give --tier, --skills or --languages")
    engine = create_server_engine(url)
    try:
        require_current_schema(engine, url)
        with engine.begin() as connection:
            agent = set_agent(
                connection,
                args.handle,
                tier=AgentTier(args.tier) if args.tier else None,
                skills=args.skills,
                languages=args.languages,
            )
            publish_agent(connection, agent.id, now=datetime.now(UTC))
    finally:
        engine.dispose()
    skills = ", ".join(f"{name} {level}" for name, level in agent.skills.items()) or "no skills"
    _say(
        f"agentdesk: {agent.handle} is {agent.tier.value}; {skills}; "
        f"languages {', '.join(agent.languages) or 'any'}"
    )
    return EXIT_OK


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
