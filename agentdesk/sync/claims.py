"""The sync round's claim work (SYNC.md §4.8): epochs on outgoing ops, agent ids the server
knows, and the reservation refresh.

* Outgoing ops quote the epoch of the claim the workstation holds (or held: see
  `domain.held_claims`) on their ticket, so the server can fence out work done under a claim
  that was revoked or lapsed and went to someone else. A take of a ticket pulled from a
  reservation quotes the reservation's epoch too; the server keeps that epoch for the take.
* A workstation's agent ids are its own. An assign op that hands a ticket to someone else names
  them by local id; it is rewritten to the server's id of the agent with the same handle
  (`GET /agents`), read once per push and only when such an op is in it.
* After the push, `POST /reservations` tops the untaken reservations up to the configured
  count and renews every live claim (reservations to the configured length, online claims to
  the server's short lease); its answer, every live claim with its epoch, replaces the held
  claims.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import httpx

from agentdesk.domain.held_claims import (
    BadClaim,
    HeldClaim,
    ReservePolicy,
    claims_from_wire,
    epochs,
)
from agentdesk.domain.model import Operation
from agentdesk.domain.sync_ops import OpEnvelope, SyncKind, envelopes
from agentdesk.store.base import Store

Send = Callable[..., Awaitable[httpx.Response]]


class ClaimsRefused(Exception):
    """The server answered the reservation request with something this client cannot use."""


async def outgoing(
    store: Store, http: httpx.AsyncClient, send: Send, ops: Sequence[Operation], client_id: str
) -> list[OpEnvelope]:
    """The envelopes to push for `ops`: with claim epochs, and assignees the server knows."""
    held = {claim.ticket_id: claim for claim in await store.held_claims()}
    logged = {op.op_id: op.at for op in ops}
    sent = [
        _fenced(envelope, held.get(envelope.ticket_id or ""), logged[envelope.op_id])
        for envelope in envelopes(ops, site_id=client_id, claim_epochs=epochs(held.values()))
    ]
    if any(_hands_over(envelope) for envelope in sent):
        ids = await _server_ids(store, http, send)
        sent = [_mapped(envelope, ids) for envelope in sent]
    return sent


def _fenced(envelope: OpEnvelope, claim: HeldClaim | None, logged_at: datetime) -> OpEnvelope:
    """The epoch `envelope` quotes. A take of a ticket the agent pulled from its reservation
    quotes the reservation's epoch too (ASSIGN is not fenced by kind)."""
    if claim is None or not claim.fences(logged_at):
        return replace(envelope, claim_epoch=None)
    payload = envelope.payload
    is_take = envelope.kind is SyncKind.ASSIGN and payload.get("agent_id") == payload.get(
        "actor_id"
    )
    if is_take and claim.taken:
        return replace(envelope, claim_epoch=claim.epoch)
    return envelope


def _hands_over(envelope: OpEnvelope) -> bool:
    payload = envelope.payload
    return envelope.kind is SyncKind.ASSIGN and payload.get("agent_id") != payload.get("actor_id")


def _mapped(envelope: OpEnvelope, server_ids: dict[str, str]) -> OpEnvelope:
    target = envelope.payload.get("agent_id")
    if not _hands_over(envelope) or not isinstance(target, str) or target not in server_ids:
        return envelope
    return replace(envelope, payload={**envelope.payload, "agent_id": server_ids[target]})


async def _server_ids(store: Store, http: httpx.AsyncClient, send: Send) -> dict[str, str]:
    """local agent id -> the server's id for the same handle (agents the server lacks: none)."""
    response = await send(http, "GET", "/agents")
    if response.status_code != 200:
        return {}  # an older server: the ops go as they are and the server says what it lacks
    try:
        by_handle = {str(a["handle"]): str(a["id"]) for a in response.json()["agents"]}
    except (KeyError, TypeError, ValueError):
        raise ClaimsRefused("unreadable agent list from the server") from None
    return {
        agent.id: by_handle[agent.handle]
        for agent in await store.agents()
        if agent.handle in by_handle
    }


async def refresh(
    store: Store, http: httpx.AsyncClient, send: Send, policy: ReservePolicy, *, now: datetime
) -> list[HeldClaim] | None:
    """Top up and renew reservations; the claims now held, or None if the server has no
    reservations (an older server: the held claims stay as they are)."""
    body = {"count": policy.count, "seconds": policy.seconds}
    response = await send(http, "POST", "/reservations", json=body)
    if response.status_code == 404:
        return None
    answer: Any = None
    with contextlib.suppress(ValueError):
        answer = response.json()
    if response.status_code != 200 or not isinstance(answer, dict):
        raise ClaimsRefused(f"reservations refused ({response.status_code}): {answer!r}")
    try:
        current = claims_from_wire(answer.get("claims"))
    except BadClaim as error:
        raise ClaimsRefused(f"unreadable reservations: {error}") from None
    await store.record_claims(current, now=now)
    return current
