"""`agentdesk route explain TICKET [--agent HANDLE] [--json]`: why routing chose a ticket.

Shows the explanation recorded when routing assigned the ticket (pull-next or push mode):
the score's parts and the eligibility rules as they stood then. With `--agent`, or for a ticket
routing did not assign, it works out now how pull-next weighs the ticket for that agent
(the config's `agent` if none is given); nothing is written either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentdesk.config import Settings
    from agentdesk.domain.route_explain import RouteExplanation
    from agentdesk.store.base import Store


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    route = commands.add_parser(
        "route",
        parents=list(parents),
        help="routing: why a ticket went to an agent",
        description="Look into routing decisions.",
    )
    verbs = route.add_subparsers(dest="route_command", metavar="VERB", required=True)
    explain = verbs.add_parser(
        "explain",
        parents=list(parents),
        help="show the score and the rules behind a ticket's assignment",
        description="Show why routing gave TICKET to its agent (as recorded then), or, with "
        "--agent or for a ticket routing did not assign, how pull-next weighs it for an agent "
        "now.",
    )
    explain.add_argument("ticket", metavar="TICKET", help="ticket number (#123 or 123) or id")
    explain.add_argument("--json", action="store_true", help="print the explanation as JSON")
    from agentdesk.cli_simulate import add_simulate_parser

    add_simulate_parser(verbs, parents)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from agentdesk import cli

    if args.route_command == "simulate":
        from agentdesk.cli_simulate import run_simulate

        return run_simulate(args, settings)

    path: Path = (getattr(args, "db", None) or settings.db_path).expanduser()
    if not path.exists():
        raise cli.CliError(f"no database at {path}; pass --db PATH")
    handle: str | None = getattr(args, "agent", None)

    async def work() -> tuple[RouteExplanation, bool]:
        async with cli.open_sqlite(path) as store:
            store.routing_policy = settings.routing
            return await _explanation(store, args.ticket, handle, settings)

    explanation, recorded = asyncio.run(work())
    if args.json:
        sys.stdout.write(json.dumps(explanation.to_detail(), indent=2, ensure_ascii=False) + "\n")
        return cli.EXIT_OK
    when = explanation.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = explanation.lines()
    lines.append(f"Recorded {when}, when it was assigned." if recorded else f"As of {when}.")
    sys.stdout.write("\n".join(lines) + "\n")
    return cli.EXIT_OK


async def _explanation(
    store: Store, ticket_ref: str, handle: str | None, settings: Settings
) -> tuple[RouteExplanation, bool]:
    """The explanation to show, and whether it was recorded (rather than worked out now)."""
    from agentdesk.cli import CliError

    ticket_id = await _ticket_id(store, ticket_ref)
    if handle is None:
        recorded = await store.route_explanation(ticket_id)
        if recorded is not None:
            return recorded, True
        handle = settings.default_agent
        if handle is None:
            raise CliError(
                f"routing did not assign {ticket_ref}; pass --agent HANDLE to see how "
                "pull-next weighs it for that agent"
            )
    agent = await store.agent_by_handle(handle)
    return await store.explain_route(ticket_id, agent, datetime.now(UTC)), False


async def _ticket_id(store: Store, ticket_ref: str) -> str:
    digits = ticket_ref.strip().lstrip("#")
    if digits.isdecimal():
        return (await store.ticket_by_number(int(digits))).id
    return (await store.ticket(ticket_ref.strip())).id
