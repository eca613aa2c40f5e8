"""`agentdesk route simulate`: replay historical tickets through the routing rules.

The history uses the ticket import format (see `agentdesk.transfer`) with `created_at`
required (it is the arrival time) and an optional `handle_minutes` per ticket; without it a
ticket takes the default for its intent's complexity. Agents come from `--agents FILE` (see
`agentdesk.roster`) or, without one, the demo roster. Nothing is written anywhere: the tickets
are loaded into an in-memory store, so their SLA targets come from the configured policies.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from agentdesk.config import Settings
from agentdesk.domain.model import Agent, Complexity, Customer, Department
from agentdesk.domain.simulation import RoutingRules, SimTicket, SimulationResult, simulate
from agentdesk.store.errors import ImportFailed

if TYPE_CHECKING:
    from agentdesk.transfer import Format, Record

# A working guess at handle time by complexity when the history has none.
DEFAULT_HANDLE_MINUTES: dict[Complexity, float] = {
    Complexity.SIMPLE: 6.0,
    Complexity.STANDARD: 12.0,
    Complexity.COMPLEX: 25.0,
}
MAX_HANDLE_MINUTES = 7 * 24 * 60


class SimulationInputError(Exception):
    """The history or roster cannot be used; the message says which line and why."""


def add_simulate_parser(
    route_commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser] = (),
) -> None:
    simulate_parser = route_commands.add_parser(
        "simulate",
        parents=list(parents),
        help="replay historical tickets through the routing rules (a dry run)",
        description="Replay tickets (import format, created_at required, optional "
        "handle_minutes) through the current routing rules and report per-agent load, "
        "per-queue wait and SLA breaches. Nothing is written.",
    )
    simulate_parser.add_argument("file", type=Path, help="the history (JSONL or CSV)")
    simulate_parser.add_argument(
        "--agents", type=Path, metavar="FILE", help="the roster (JSONL or CSV; default: demo)"
    )
    simulate_parser.add_argument(
        "--push", action="store_true", help="assign arriving tickets (push mode) instead of pull"
    )
    simulate_parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_simulate(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    from agentdesk.cli import CliError

    out = out or sys.stdout

    started = time.perf_counter()
    try:
        history, agents = asyncio.run(load_inputs(args.file, args.agents, settings))
    except ImportFailed as error:
        problems = "\n".join(error.errors[:20])
        more = f"\n… and {len(error.errors) - 20} more" if len(error.errors) > 20 else ""
        raise CliError(
            f"cannot replay: {len(error.errors)} problem(s):\n{problems}{more}"
        ) from None
    except SimulationInputError as error:
        raise CliError(str(error)) from None
    simulated = time.perf_counter()
    result = simulate_history(history, agents, settings, push=args.push)
    elapsed = time.perf_counter() - simulated
    if args.json:
        out.write(json.dumps(result_json(result, elapsed, push=args.push)) + "\n")
    else:
        out.write(result_text(result, elapsed, load_seconds=simulated - started, push=args.push))
    return 0


async def load_inputs(
    history_path: Path, agents_path: Path | None, settings: Settings
) -> tuple[list[SimTicket], list[Agent]]:
    from agentdesk import transfer
    from agentdesk.demo import AGENTS, DEPARTMENTS
    from agentdesk.intake import receive
    from agentdesk.roster import read_agents
    from agentdesk.store.memory import MemoryStore

    agents = list(AGENTS)
    if agents_path is not None:
        agents = read_agents(_read(agents_path), _format(agents_path))
    fmt = _format(history_path)
    extra = (transfer.Field("handle_minutes"),)
    records = transfer.read_records(_read(history_path), fmt, transfer.Kind.TICKETS, None, extra)
    handle_times = _handle_times(records)
    store = MemoryStore()
    store.policies = settings.sla
    await store.open()
    known = {department.id for department in DEPARTMENTS}
    wanted = {str(record.raw.get("department") or "general").strip() for record in records}
    await store.add_departments(
        [*DEPARTMENTS, *(Department(name, name.title()) for name in sorted(wanted - known))]
    )
    latest = max(
        (t for record in records if (t := _arrival(record)) is not None),
        default=None,
    )
    if latest is None:
        raise SimulationInputError(f"{history_path}: no ticket has a created_at (arrival) time")
    parsed = await transfer.parse_tickets(store, records, now=latest + timedelta(days=1))
    await store.add_customers(parsed.new_customers)
    store.routing_policy = settings.routing
    store.transfer_rules = settings.transfer_rules
    # The history goes through intake like arriving tickets: classified where it has no
    # intent, routed by intent, moved by the transfer rules under test.
    classify = None
    if any(not arrival.ticket.intent for arrival in parsed.tickets):
        from agentdesk.intake import ModelClassifier

        classify = ModelClassifier()
    tickets = await receive(store, parsed.tickets, now=latest, classify=classify)
    customers: dict[str, Customer] = {}
    history: list[SimTicket] = []
    for ticket, handle in zip(tickets, handle_times, strict=True):
        if ticket.customer_id not in customers:
            customers[ticket.customer_id] = await store.customer(ticket.customer_id)
        minutes = handle if handle is not None else DEFAULT_HANDLE_MINUTES[ticket.complexity]
        history.append(SimTicket(ticket, customers[ticket.customer_id], timedelta(minutes=minutes)))
    return history, agents


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise SimulationInputError(f"{path}: {error.strerror or error}") from None


def _format(path: Path) -> Format:
    from agentdesk.transfer import format_for

    fmt = format_for(path)
    if fmt is None:
        raise SimulationInputError(f"{path}: name it .jsonl or .csv so its format is known")
    return fmt


def _arrival(record: Record) -> datetime | None:
    raw = record.raw.get("created_at")
    if not raw or not isinstance(raw, str):
        return None
    try:
        arrival = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None  # parse_tickets reports it by line
    return arrival.replace(tzinfo=UTC) if arrival.tzinfo is None else arrival


def _handle_times(records: Sequence[Record]) -> list[float | None]:
    errors: list[str] = []
    times: list[float | None] = []
    for record in records:
        raw, line = record.raw, record.line
        if not raw.get("created_at"):
            errors.append(f"line {line}: created_at: needed to replay the ticket's arrival")
        value = raw.get("handle_minutes")
        if value is None or value == "":
            times.append(None)
            continue
        try:
            minutes = float(value)
        except (TypeError, ValueError):
            minutes = -1.0
        if not 0 < minutes <= MAX_HANDLE_MINUTES:
            errors.append(
                f"line {line}: handle_minutes: {value!r} is not a number of minutes "
                f"above 0 and at most {MAX_HANDLE_MINUTES}"
            )
        times.append(minutes)
    if errors:
        raise ImportFailed(errors)
    return times


def simulate_history(
    history: Sequence[SimTicket], agents: Sequence[Agent], settings: Settings, *, push: bool
) -> SimulationResult:
    return simulate(history, agents, rules=RoutingRules(settings.routing), push=push)


def _minutes(delta: timedelta) -> float:
    return round(delta.total_seconds() / 60, 1)


def result_json(result: SimulationResult, seconds: float, *, push: bool) -> dict[str, object]:
    return {
        "mode": "push" if push else "pull",
        "tickets": result.tickets,
        "span_hours": round(result.span.total_seconds() / 3600, 2),
        "first_response_breaches": result.first_response_breaches,
        "resolution_breaches": result.resolution_breaches,
        "never_picked": result.never_picked,
        "simulated_tickets_per_second": round(result.tickets / seconds) if seconds else None,
        "agents": [
            {
                "handle": load.handle,
                "handled": load.handled,
                "busy_hours": round(load.busy.total_seconds() / 3600, 2),
                "utilisation": round(load.utilisation, 3),
                "peak_load": load.peak_load,
            }
            for load in result.agents
        ],
        "queues": [
            {
                "department": queue.department,
                "tickets": queue.tickets,
                "mean_wait_minutes": _minutes(queue.mean_wait),
                "p90_wait_minutes": _minutes(queue.p90_wait),
                "max_wait_minutes": _minutes(queue.max_wait),
                "never_picked": queue.never_picked,
            }
            for queue in result.queues
        ],
    }


def result_text(
    result: SimulationResult, seconds: float, *, load_seconds: float, push: bool
) -> str:
    lines = [
        f"Replayed {result.tickets} tickets over {result.span.total_seconds() / 3600:.1f} h "
        f"({'push' if push else 'pull'} mode; loaded in {load_seconds:.1f} s, "
        f"simulated in {seconds:.2f} s)",
        f"SLA breaches: {result.first_response_breaches} first response, "
        f"{result.resolution_breaches} resolution; never picked up: {result.never_picked}",
        "",
        f"{'agent':<16}{'handled':>8}{'busy h':>8}{'util':>7}{'peak':>6}",
    ]
    for load in result.agents:
        lines.append(
            f"{load.handle:<16}{load.handled:>8}{load.busy.total_seconds() / 3600:>8.1f}"
            f"{load.utilisation:>7.0%}{load.peak_load:>6}"
        )
    lines += ["", f"{'queue':<16}{'tickets':>8}{'mean min':>10}{'p90 min':>9}{'max min':>9}"]
    for queue in result.queues:
        lines.append(
            f"{queue.department:<16}{queue.tickets:>8}{_minutes(queue.mean_wait):>10}"
            f"{_minutes(queue.p90_wait):>9}{_minutes(queue.max_wait):>9}"
        )
    return "\n".join(lines) + "\n"
