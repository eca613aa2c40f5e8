"""`agentdesk report`: per-queue and per-agent KPIs over a period, as CSV or JSONL.

    agentdesk report [--period 7d|today|shift|30d] [--format csv|jsonl] [--by agent|queue|both]
                     [--output FILE] [--at ISO-TIME]

The measures are those of `agentdesk.domain.metrics` (its docstring defines each), counted in
the configured SLA calendar's time zone; the rows are `domain.metrics_report`'s. Nothing is
written to the database.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from agentdesk.domain.metrics import Period, UnknownPeriod, parse_period, period_window
from agentdesk.domain.metrics_report import COLUMNS, ReportBy, Row, report_rows

if TYPE_CHECKING:
    from agentdesk.config import Settings

FORMATS = ("csv", "jsonl")


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except UnknownPeriod as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a time such as 2026-11-23T17:00+01:00, got {text!r}"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; add one, e.g. +00:00")
    return moment.astimezone(UTC)


def add_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    parents: Sequence[argparse.ArgumentParser],
) -> None:
    report = commands.add_parser(
        "report",
        parents=list(parents),
        help="export per-queue and per-agent KPIs as CSV or JSONL",
        description="Write KPIs (arrivals, first response time, SLA attainment, first-contact "
        "resolution, reopen rate, CSAT, handle time, queue waits) per queue and per agent "
        "for a period ending now.",
    )
    report.add_argument(
        "--period",
        type=_period,
        default=Period.WEEK,
        metavar="|".join(period.value for period in Period),
        help="today (from local midnight), this shift (the calendar's current or last "
        "opening), or the last 7 or 30 days (default 7d)",
    )
    report.add_argument(
        "--format",
        choices=FORMATS,
        help="file format (default: from the --output extension, else csv)",
    )
    report.add_argument(
        "--by",
        choices=[by.value for by in ReportBy],
        default=ReportBy.BOTH.value,
        help="rows per agent, per queue, or both (default); a total row always ends it",
    )
    report.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        type=Path,
        help="the file to write (default: standard output)",
    )
    report.add_argument(
        "--at",
        type=_moment,
        metavar="TIME",
        help="end the period at this moment (ISO 8601 with offset; default: now)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    from agentdesk import cli

    fmt: str | None = args.format
    output: Path | None = args.output
    if fmt is None:
        fmt = "jsonl" if output is not None and output.suffix.lower() == ".jsonl" else "csv"
    path = (getattr(args, "db", None) or settings.db_path).expanduser()
    if not path.exists():
        raise cli.CliError(f"no database at {path}; pass --db PATH")
    now: datetime = args.at or datetime.now(UTC)
    period: Period = args.period
    window = period_window(period, now, settings.sla.calendar)

    async def read() -> list[Row]:
        async with cli.open_sqlite(path) as store:
            snapshot = await store.metrics_snapshot([window], now=now)
            return report_rows(
                snapshot,
                period,
                by=ReportBy(args.by),
                agents=await store.agents(),
                departments=await store.departments(),
            )

    rows = asyncio.run(read())
    if output is None:
        try:
            write(rows, sys.stdout, fmt)
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): not an error; stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return cli.EXIT_OK
    # Beside the target, then moved into place: a failed report leaves no half file.
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            write(rows, out, fmt)
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
    sys.stderr.write(f"Wrote {len(rows)} rows ({period.value}) to {output}.\n")
    return cli.EXIT_OK


def write(rows: Sequence[Row], out: TextIO, fmt: str) -> None:
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
