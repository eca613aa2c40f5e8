"""Why routing gave a ticket to an agent: the score's parts and the eligibility rules.

An explanation is stored in the detail of the assignment's audit event (`"route"`), so the
ticket view and `agentdesk route explain` show, later, exactly what decided it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from agentdesk.domain import actions
from agentdesk.domain.actions import Change
from agentdesk.domain.model import Agent, AuditEvent, Ticket
from agentdesk.domain.routing import (
    Check,
    RoutingPolicy,
    ScorePart,
    TicketFacts,
    agent_checks,
    score_parts,
    ticket_checks,
)

ROUTE_DETAIL_KEY = "route"
ASSIGNED_EVENT = "ticket.assigned"


class RouteMode(StrEnum):
    PULL = "pull"  # the agent pulled it (pull-next)
    PUSH = "push"  # assigned on arrival (push mode)
    PREVIEW = "preview"  # worked out on request; nothing was assigned


@dataclass(frozen=True, slots=True)
class RouteExplanation:
    ticket_id: str
    ticket_number: int
    agent_id: str
    agent_handle: str
    mode: RouteMode
    at: datetime
    parts: tuple[ScorePart, ...]
    checks: tuple[Check, ...]

    @property
    def total(self) -> float:
        return sum(part.points for part in self.parts)

    @property
    def max_total(self) -> float:
        return sum(part.weight for part in self.parts)

    @property
    def eligible(self) -> bool:
        return all(check.passed for check in self.checks)

    def headline(self) -> str:
        """`Score 78 of 100 (pulled by junior)`."""
        verb = {
            RouteMode.PULL: "pulled by",
            RouteMode.PUSH: "pushed to",
            RouteMode.PREVIEW: "for",
        }[self.mode]
        return f"Score {self.total:.0f} of {self.max_total:.0f} ({verb} {self.agent_handle})"

    def part_lines(self) -> list[str]:
        """One line per part: `SLA risk   31/35  SLA due in 12m`."""
        return [
            f"{part.label:<10}{part.points:>3.0f}/{part.weight:<3.0f} {part.detail}"
            for part in self.parts
        ]

    def refusals(self) -> list[str]:
        return [f"{check.rule}: {check.detail}" for check in self.checks if not check.passed]

    def lines(self) -> list[str]:
        """The whole explanation as text (the CLI prints it)."""
        found = [f"#{self.ticket_number}: {self.headline()}", *self.part_lines()]
        refused = self.refusals()
        if refused:
            found.append("Not eligible now:")
            found.extend(f"  ✗ {reason}" for reason in refused)
        else:
            found.append("Eligible:")
            found.extend(f"  ✓ {check.rule}: {check.detail}" for check in self.checks)
        return found

    # -- storage ---------------------------------------------------------------------------
    def to_detail(self) -> dict[str, object]:
        """JSON-safe, for the audit event's detail (and `route explain --json`)."""
        return {
            "ticket_id": self.ticket_id,
            "ticket_number": self.ticket_number,
            "agent_id": self.agent_id,
            "agent_handle": self.agent_handle,
            "mode": self.mode.value,
            "at": self.at.isoformat(),
            "total": round(self.total, 3),
            "max_total": round(self.max_total, 3),
            "parts": [
                {
                    "name": part.name,
                    "value": part.value,
                    "weight": part.weight,
                    "points": round(part.points, 3),
                    "detail": part.detail,
                }
                for part in self.parts
            ],
            "checks": [
                {"rule": check.rule, "passed": check.passed, "detail": check.detail}
                for check in self.checks
            ],
        }

    @classmethod
    def from_detail(cls, detail: Mapping[str, object]) -> RouteExplanation | None:
        """Read back what `to_detail` wrote; None if it is not (or no longer) readable."""
        try:
            parts = detail["parts"]
            checks = detail["checks"]
            assert isinstance(parts, list) and isinstance(checks, list)
            return cls(
                ticket_id=str(detail["ticket_id"]),
                ticket_number=int(str(detail["ticket_number"])),
                agent_id=str(detail["agent_id"]),
                agent_handle=str(detail["agent_handle"]),
                mode=RouteMode(str(detail["mode"])),
                at=datetime.fromisoformat(str(detail["at"])),
                parts=tuple(
                    ScorePart(
                        str(part["name"]),
                        float(part["value"]),
                        float(part["weight"]),
                        str(part["detail"]),
                    )
                    for part in parts
                ),
                checks=tuple(
                    Check(str(check["rule"]), bool(check["passed"]), str(check["detail"]))
                    for check in checks
                ),
            )
        except (AssertionError, KeyError, TypeError, ValueError):
            return None


def explain(
    facts: TicketFacts,
    agent: Agent,
    *,
    load: int,
    now: datetime,
    policy: RoutingPolicy,
    mode: RouteMode = RouteMode.PREVIEW,
) -> RouteExplanation:
    return RouteExplanation(
        ticket_id=facts.id,
        ticket_number=facts.number,
        agent_id=agent.id,
        agent_handle=agent.handle,
        mode=mode,
        at=now,
        parts=score_parts(facts, agent, now, policy),
        checks=agent_checks(agent, load) + ticket_checks(facts, agent, policy),
    )


def assign_routed(ticket: Ticket, explanation: RouteExplanation, *, now: datetime) -> Change:
    """`actions.assign`, with the explanation in the audit event; a push has no actor."""
    actor = explanation.agent_id if explanation.mode is RouteMode.PULL else None
    change = actions.assign(ticket, explanation.agent_id, actor_id=actor or "", now=now)
    audit = tuple(
        replace(
            event,
            actor_id=actor,
            detail={**event.detail, ROUTE_DETAIL_KEY: explanation.to_detail()},
        )
        for event in change.audit
    )
    return replace(change, audit=audit)


def latest_explanation(events: list[AuditEvent]) -> RouteExplanation | None:
    """The explanation of the ticket's latest assignment, if routing made it."""
    for event in reversed(events):
        if event.kind != ASSIGNED_EVENT:
            continue
        detail = event.detail.get(ROUTE_DETAIL_KEY)
        return RouteExplanation.from_detail(detail) if isinstance(detail, Mapping) else None
    return None
