"""An op's payload turned back into the domain change that made it.

The workstation replays its pending ops over a server copy (`domain.rebase`) and the server
applies pushed transitions (`server.push`): both read the same payload fields through these
functions, so the two sides cannot drift apart. Who acts and when differ (the op's logged author
and time on the workstation; the authenticated pusher and the server's clock on the server), so
they are arguments. A malformed payload raises KeyError, TypeError or ValueError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from agentdesk.domain import actions
from agentdesk.domain.model import LinkKind, Ticket, TicketLink

Payload = Mapping[str, object]


def links_of(payload: Payload) -> tuple[TicketLink, ...]:
    """The links an op offered (the articles or scripts it quoted), as the client added them."""
    raw = payload.get("links") or ()
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise TypeError("links must be a list")
    return tuple(
        TicketLink(LinkKind(item["kind"]), str(item["ref_id"]), str(item.get("title", "")))
        for item in raw
    )


def csat_of(payload: Payload) -> int | None:
    csat = payload.get("csat")
    return csat if isinstance(csat, int) and not isinstance(csat, bool) else None


def request_confirmation(
    ticket: Ticket,
    payload: Payload,
    *,
    actor_id: str,
    now: datetime,
    make_id: Callable[[], str],
) -> actions.Change:
    return actions.request_confirmation(
        ticket,
        str(payload["resolution"]),
        str(payload["body"]),
        actor_id=actor_id,
        now=now,
        links=links_of(payload),
        make_id=make_id,
    )


def close_confirmed(
    ticket: Ticket,
    payload: Payload,
    *,
    actor_id: str,
    now: datetime,
    make_id: Callable[[], str],
) -> actions.Change:
    return actions.close_confirmed(
        ticket,
        str(payload["resolution"]),
        str(payload["evidence"]),
        actor_id=actor_id,
        now=now,
        links=links_of(payload),
        csat=csat_of(payload),
        make_id=make_id,
    )
