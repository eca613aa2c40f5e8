"""What the ticket screen writes for the agent: placeholder values, excerpts, quotes, timers.

Pure functions over domain objects so the screen stays thin and every rule here is unit-tested.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from agentdesk.domain.model import (
    Agent,
    Customer,
    CustomerTier,
    LinkKind,
    Message,
    MessageKind,
    Ticket,
    TicketLink,
    TicketStatus,
)
from agentdesk.domain.scripts import ticket_values
from agentdesk.domain.sla import (
    FIRST_RESPONSE,
    RESOLUTION,
    SlaClock,
    SlaRules,
    SlaState,
    as_policies,
    format_remaining,
    running_clock,
)

QUOTE_LIMIT = 280
EXCERPT_LIMIT = 600

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_SNIPPET_TAG = re.compile(r"\[(/?)b\]")
_SPACES = re.compile(r"\s+")


# -- script placeholders ----------------------------------------------------------------------
def placeholder_values(
    ticket: Ticket,
    customer: Customer | None,
    agent: Agent,
    *,
    department_name: str = "",
) -> dict[str, str]:
    """Every `{{slot}}` value the ticket screen can fill from what it knows."""
    customer_name = customer.name if customer else ""
    agent_first = agent.name.split()[0] if agent.name.strip() else ""
    return ticket_values(
        customer_name=customer_name,
        ticket_number=ticket.number,
        agent_name=agent.name,
        subject=ticket.subject,
        agent_first_name=agent_first,
        customer_email=customer.email if customer else "",
        customer_phone=customer.phone if customer else "",
        department=department_name,
        intent=ticket.intent,
    )


# -- closing ----------------------------------------------------------------------------------
def confirmation_request(
    *,
    customer_name: str,
    ticket_number: int,
    subject: str,
    resolution: str,
    agent_name: str,
) -> str:
    """The message that asks the customer to confirm the fix; the agent may edit it."""
    first = customer_name.split()[0] if customer_name.strip() else ""
    lines = [f"Hello {first}," if first else "Hello,", ""]
    lines.append(f"We believe your request #{ticket_number} ({subject}) is now solved.")
    what = _SPACES.sub(" ", resolution).strip()
    if what:
        lines += ["", f"What we did: {what}"]
    lines += [
        "",
        "Could you confirm that everything works for you now? If anything is still wrong, "
        "just reply to this message and we will carry on.",
        "",
        "Best regards,",
        agent_name,
    ]
    return "\n".join(lines)


def latest_customer_message(messages: Sequence[Message]) -> Message | None:
    customer = [m for m in messages if m.kind is MessageKind.CUSTOMER]
    return max(customer, key=lambda m: m.created_at, default=None)


def quote_customer(message: Message, limit: int = QUOTE_LIMIT) -> str:
    """Evidence for a confirmed close: when the customer wrote and what, on one line."""
    text = _SPACES.sub(" ", message.body).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f'Customer wrote on {message.created_at:%Y-%m-%d %H:%M}: "{text}"'


# -- knowledge base ---------------------------------------------------------------------------
def article_excerpt(body: str, limit: int = EXCERPT_LIMIT) -> str:
    """The part of an article worth pasting into a reply: its steps, else its first paragraph.

    Headings are skipped; a list (bulleted or numbered) is taken whole because steps make sense
    only together.
    """
    paragraphs = [p.strip("\n") for p in re.split(r"\n\s*\n", body) if p.strip()]
    paragraphs = [p for p in paragraphs if not _is_heading_only(p)]
    chosen = next((p for p in paragraphs if _is_list(p)), None)
    if chosen is None:
        chosen = paragraphs[0] if paragraphs else ""
        chosen = _SPACES.sub(" ", chosen).strip()
    else:
        chosen = "\n".join(line.rstrip() for line in chosen.splitlines() if line.strip())
    if len(chosen) > limit:
        chosen = chosen[: limit - 1].rstrip() + "…"
    return chosen


def _is_heading_only(paragraph: str) -> bool:
    return all(_HEADING.match(line) for line in paragraph.splitlines() if line.strip())


def _is_list(paragraph: str) -> bool:
    lines = [line for line in paragraph.splitlines() if line.strip()]
    return bool(lines) and all(_LIST_ITEM.match(line) for line in lines)


def article_reference(title: str, article_id: str) -> str:
    """The line a reply carries to point the customer at an article."""
    return f'See our help article "{title}" (ref. {article_id}).'


def flat_snippet(snippet: str) -> str:
    """A search snippet as one line of prose: no Markdown heading marks, single spaces."""
    lines = [_HEADING.sub("", line) for line in snippet.splitlines()]
    return _SPACES.sub(" ", " ".join(lines)).strip()


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """Split a search snippet with `[b]..[/b]` marks into (text, matched) runs.

    Any other bracket stays literal text, so a snippet can never inject markup into the UI;
    an unclosed `[b]` highlights to the end.
    """
    parts: list[tuple[str, bool]] = []
    bold = False
    position = 0
    for match in _SNIPPET_TAG.finditer(snippet):
        if match.start() > position:
            parts.append((snippet[position : match.start()], bold))
        bold = match.group(1) != "/"
        position = match.end()
    if position < len(snippet):
        parts.append((snippet[position:], bold))
    merged: list[tuple[str, bool]] = []
    for text, matched in parts:
        if merged and merged[-1][1] == matched:
            merged[-1] = (merged[-1][0] + text, matched)
        else:
            merged.append((text, matched))
    return merged


# -- links ------------------------------------------------------------------------------------
def merge_links(*groups: Iterable[TicketLink]) -> tuple[TicketLink, ...]:
    """All links in order of first appearance, one per (kind, ref_id)."""
    seen: set[tuple[LinkKind, str]] = set()
    merged: list[TicketLink] = []
    for group in groups:
        for link in group:
            key = (link.kind, link.ref_id)
            if key not in seen:
                seen.add(key)
                merged.append(link)
    return tuple(merged)


# -- conversation -----------------------------------------------------------------------------
def message_author(message: Message, *, customer_name: str, agent_names: Mapping[str, str]) -> str:
    if message.kind is MessageKind.CUSTOMER:
        return customer_name or "Customer"
    if message.author_id is None:
        return "System"
    return agent_names.get(message.author_id, message.author_id)


# -- SLA timers -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TimerView:
    label: str  # "First response" or "Resolution"
    state: SlaState
    text: str  # "12m left", "overdue 5m", "met 09:12", "late by 20m", "no target"


def sla_timers(
    ticket: Ticket,
    now: datetime,
    policies: SlaRules = None,
    tier: CustomerTier = CustomerTier.STANDARD,
) -> tuple[TimerView, TimerView]:
    """Both SLA clocks of a ticket: a countdown while running, the outcome once stopped.

    While the ticket waits on the customer a running clock reads `paused` with the business
    time it has left; warnings measure against the policy for its priority and `tier`.
    """
    rules = as_policies(policies)
    policy = rules.policy(ticket.priority, tier)

    def running(target: str, minutes: int) -> Callable[[datetime], SlaClock]:
        return lambda due: running_clock(
            target,
            due,
            now,
            started=ticket.created_at,
            paused_at=ticket.sla_paused_at,
            calendar=rules.calendar,
            minutes=minutes,
        )

    first = _timer(
        "First response",
        ticket.first_response_due,
        ticket.first_response_at,
        running(FIRST_RESPONSE, policy.first_response_minutes),
    )
    done = ticket.closed_at if ticket.status is TicketStatus.CLOSED else None
    resolution = _timer(
        "Resolution", ticket.resolution_due, done, running(RESOLUTION, policy.resolution_minutes)
    )
    return first, resolution


def _timer(
    label: str,
    due: datetime | None,
    stopped: datetime | None,
    running: Callable[[datetime], SlaClock],
) -> TimerView:
    if due is None:
        return TimerView(label, SlaState.MET if stopped else SlaState.OK, "no target")
    if stopped is not None:
        if stopped <= due:
            return TimerView(label, SlaState.MET, f"met {stopped:%H:%M}")
        return TimerView(label, SlaState.BREACHED, f"late by {format_remaining(stopped - due)}")
    clock = running(due)
    if clock.state is SlaState.PAUSED:
        return TimerView(label, clock.state, f"paused, {format_remaining(clock.remaining)} left")
    if clock.remaining.total_seconds() <= 0:
        return TimerView(label, clock.state, f"overdue {format_remaining(-clock.remaining)}")
    return TimerView(label, clock.state, f"{format_remaining(clock.remaining)} left")
