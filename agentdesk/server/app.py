"""The team server's HTTP API: `create_app(database_url)` builds it (no globals, no I/O at import)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import psycopg
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.concurrency import run_in_threadpool

from agentdesk import __version__
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.errors import DomainError
from agentdesk.domain.model import AgentTier, Channel, Complexity, Priority, Role
from agentdesk.domain.sync_ops import OpEnvelope
from agentdesk.server import (
    accounts,
    changelog,
    claims,
    customer_words,
    push,
    reference,
    reference_api,
    reservations,
    tickets,
    tombstones,
)
from agentdesk.server import tables as t
from agentdesk.server.accounts import Account
from agentdesk.server.async_claims import AsyncClaimer
from agentdesk.server.batching import Combiner
from agentdesk.server.database import create_server_engine, psycopg_conninfo, reading
from agentdesk.server.faults import FaultPoints
from agentdesk.server.limits import (
    DEFAULT_MAX_BODY,
    BodySizeLimit,
    RateLimiter,
    Receive,
    Scope,
    Send,
    retry_after,
)
from agentdesk.server.op_writes import Rejection
from agentdesk.server.queue_upkeep import DEFAULT_CLAIMS_PER_VACUUM, QueueVacuum
from agentdesk.server.tickets import create_ticket, ticket_json

Clock = Callable[[], datetime]

EVERYONE = frozenset(Role)
LEADS = frozenset({Role.LEAD, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})

# Every authenticated endpoint, and who may call it. An endpoint missing here is refused to all
# (a test checks that every route is listed).
ROLE_MATRIX: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/me"): EVERYONE,
    ("POST", "/tickets"): EVERYONE,
    ("POST", "/tickets/claim-next"): EVERYONE,
    ("GET", "/tickets/{ticket_id}"): EVERYONE,
    # Recording what a customer said (an intake, or the agent who took the call): the server
    # runs the customer's side of the state machine itself (server/customer_words.py).
    ("POST", "/tickets/{ticket_id}/customer-messages"): EVERYONE,
    ("DELETE", "/tickets/{ticket_id}"): ADMINS,
    ("POST", "/tickets/{ticket_id}/renew"): EVERYONE,
    ("POST", "/tickets/{ticket_id}/release"): EVERYONE,
    ("POST", "/tickets/{ticket_id}/assign"): LEADS,
    ("GET", "/sync/changes"): EVERYONE,
    ("POST", "/sync/push"): EVERYONE,
    ("POST", "/agents"): ADMINS,
    # Leads certify skill levels (not their own); only admins change tiers and languages.
    ("PATCH", "/agents/{handle}"): LEADS,
    # Shared reference data (reference_api.py): everyone reads; leads edit scripts, articles and
    # customers (reference.EDITORS, which pushed edits obey too); admins own departments and rules.
    **{("GET", path): EVERYONE for path in reference_api.READ_PATHS},
    ("PUT", "/scripts/{key}"): reference.EDITORS,
    ("PUT", "/kb/articles/{key}"): reference.EDITORS,
    ("PUT", "/customers/{key}"): reference.EDITORS,
    ("PUT", "/departments/{key}"): ADMINS,
    ("PUT", "/rules/{name}"): ADMINS,
    ("GET", "/agents"): EVERYONE,
    ("POST", "/reservations"): EVERYONE,
    ("POST", "/tickets/{ticket_id}/revoke"): LEADS,
}
# Epochs and seqs are BIGINT columns.
MAX_BIGINT = 2**63 - 1
# The most change records one pull page may ask for (a page also completes its last transaction).
MAX_PAGE = 5000
PUBLIC = frozenset({("GET", "/healthz")})
# After a batch of several claims, how long the next batch may wait for its requests to come
# back (the alternative is a batch of one, then the rest waiting for its commit flush).
CLAIM_LINGER_SECONDS = 0.0005
# How long an authenticated token is trusted without asking the database again.
TOKEN_CACHE_SECONDS = 5.0


class ApiError(Exception):
    def __init__(self, status: int, error: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.headers = headers or {}


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int = DEFAULT_MAX_BODY
    requests_per_second: float = 50.0
    burst: int = 100
    lease: timedelta = claims.DEFAULT_LEASE
    reservation: timedelta = reservations.DEFAULT_RESERVATION
    # PostgreSQL: claims between background vacuums of the routing queue (queue_upkeep.py).
    claims_per_vacuum: int = DEFAULT_CLAIMS_PER_VACUUM


# -- request bodies ----------------------------------------------------------------------------
class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL: refusing it here makes a 422 naming the field, not a
        # database error. Pushed ops are checked one by one in `push` instead, so one bad op
        # cannot block a whole batch.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        if isinstance(value, list) and any(isinstance(v, str) and "\x00" in v for v in value):
            raise ValueError("must not contain NUL characters")
        return value


class CustomerMessageBody(Body):
    body: str = Field(min_length=1, max_length=100_000)
    confirms_resolution: bool = False


class NewTicketBody(Body):
    subject: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=100_000)
    customer_id: str = Field(min_length=1, max_length=64)
    customer_name: str | None = Field(default=None, max_length=200)
    department_id: str = Field(default="general", min_length=1, max_length=64)
    priority: Priority = Field(default=Priority.NORMAL, strict=False)
    channel: Channel = Field(default=Channel.EMAIL, strict=False)
    intent: str = Field(default="", max_length=200)
    required_skill: str | None = Field(default=None, max_length=200)
    complexity: Complexity = Field(default=Complexity.STANDARD, strict=False)


class EpochBody(Body):
    epoch: int = Field(ge=1, le=MAX_BIGINT)


class AssignBody(Body):
    agent: str = Field(min_length=1, max_length=64, description="the handle of the new owner")


class ReserveBody(Body):
    count: int = Field(ge=0, le=reservations.MAX_RESERVATIONS)
    seconds: int | None = Field(
        default=None,
        ge=60,
        le=int(reservations.MAX_RESERVATION.total_seconds()),
        description="how long the reservations last (default: the server's, 8 h)",
    )


class PushBody(Body):
    client_id: str = Field(min_length=1, max_length=64)
    ops: list[dict[str, Any]] = Field(max_length=push.MAX_BATCH_OPS)


class NewAgentBody(Body):
    handle: str = Field(min_length=1, max_length=64)
    role: Role = Field(default=Role.AGENT, strict=False)
    name: str | None = Field(default=None, max_length=200)
    departments: list[str] = Field(default=["general"], min_length=1, max_length=50)
    tier: AgentTier = Field(default=AgentTier.JUNIOR, strict=False)
    skills: dict[str, int] = Field(default={}, max_length=100, description="skill -> level 1-5")
    languages: list[str] = Field(default=["en"], max_length=20)


class AgentProfileBody(Body):
    """What routing knows of an agent; fields left out stay as they are."""

    tier: AgentTier | None = Field(default=None, strict=False)
    skills: dict[str, int] | None = Field(
        default=None, max_length=100, description="skill -> level 0-5, merged in (0 removes it)"
    )
    languages: list[str] | None = Field(default=None, max_length=20)


class ClaimOut(BaseModel):
    ticket: dict[str, Any]
    owner_agent_id: str
    epoch: int
    lease_expires_at: datetime


class ClaimAnswer(BaseModel):
    """claim-next's answer; `claim` is null when no ticket is free."""

    claim: ClaimOut | None


class _Api(FastAPI):
    """FastAPI plus fast lanes: plain ASGI handlers for a few hot (method, path) pairs.

    A fast lane answers exactly as its documented route would, but skips the middleware stack
    and the router (measured: 0.53 -> 0.46 ms of server CPU per claim on the bench).
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.fast_lanes: dict[tuple[str, str], Callable[[Scope, Receive, Send], Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            lane = self.fast_lanes.get((scope["method"], scope["path"]))
            if lane is not None:
                scope["app"] = self
                await lane(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


# -- the app -----------------------------------------------------------------------------------
def create_app(
    database_url: str,
    *,
    clock: Clock | None = None,
    limits: Limits | None = None,
    pool_size: int = 10,
) -> FastAPI:
    engine = create_server_engine(database_url, pool_size=pool_size)
    limits = limits or Limits()
    now: Clock = clock or (lambda: datetime.now(UTC))
    limiter = RateLimiter(limits.requests_per_second, limits.burst)
    tokens = _TokenCache(TOKEN_CACHE_SECONDS)
    faults = FaultPoints()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        claimer = getattr(app.state, "claimer", None)
        if claimer is not None:
            await claimer.close()

    app = _Api(
        title="agentdesk team server",
        version=__version__,
        description="Tickets, claims with fenced leases, and the change log clients sync from.",
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.limiter = limiter
    app.state.tokens = tokens
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes)
    _install_error_handlers(app)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers and the database does too."""
        try:
            with reading(engine) as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError:
            raise ApiError(503, "database_unavailable", "the database does not answer") from None
        return {"status": "ok"}

    @app.get("/me", tags=["accounts"])
    def me(account: Caller) -> dict[str, Any]:
        return _account_json(account)

    @app.post("/agents", tags=["accounts"], status_code=201)
    def add_agent(body: NewAgentBody, account: Caller) -> dict[str, Any]:
        """Create an agent (admins only); the response holds its token, shown this once."""
        try:
            with engine.begin() as connection:
                created, token = accounts.add_agent(
                    connection,
                    body.handle,
                    role=body.role,
                    name=body.name,
                    departments=tuple(body.departments),
                    profile=accounts.Profile(body.tier, body.skills, tuple(body.languages)),
                )
                reference.publish_agent(connection, created.id, now=now())
        except accounts.AccountError as error:
            raise ApiError(409, "conflict", str(error)) from None
        return {**_account_json(created), "token": token}

    @app.patch("/agents/{handle}", tags=["accounts"])
    def set_agent(handle: str, body: AgentProfileBody, account: Caller) -> dict[str, Any]:
        """Change an agent's tier, skill levels or languages; claim-next and reservations
        route by them within seconds (the token cache's time)."""
        if account.role is not Role.ADMIN:
            if body.tier is not None or body.languages is not None:
                raise ApiError(403, "forbidden", "only admins change tiers and languages")
            if handle == account.handle:
                raise ApiError(403, "forbidden", "you cannot change your own skill levels")
        languages = None if body.languages is None else tuple(body.languages)
        try:
            with engine.begin() as connection:
                agent = accounts.set_agent(
                    connection, handle, tier=body.tier, skills=body.skills, languages=languages
                )
                # Desks learn the new levels from the log, as they learnt of the agent.
                reference.publish_agent(connection, agent.id, now=now())
        except accounts.UnknownAgent as error:
            raise ApiError(404, "not_found", str(error)) from None
        except accounts.AccountError as error:
            raise ApiError(422, "invalid", str(error)) from None
        tokens.forget(agent.id)
        return {
            "id": agent.id,
            "handle": agent.handle,
            "tier": agent.tier.value,
            "skills": dict(agent.skills),
            "languages": list(agent.languages),
        }

    @app.get("/agents", tags=["accounts"])
    def list_agents(account: Caller) -> dict[str, Any]:
        """Every agent's id and handle: clients map their own agent ids to the server's."""
        with reading(engine) as connection:
            rows = connection.execute(
                select(t.agents.c.id, t.agents.c.handle, t.agents.c.name, t.agents.c.role).order_by(
                    t.agents.c.handle
                )
            ).all()
        return {"agents": [dict(row._mapping) for row in rows]}

    @app.post("/tickets", tags=["tickets"], status_code=201)
    def new_ticket(body: NewTicketBody, account: Caller) -> dict[str, Any]:
        new = NewTicket(
            subject=body.subject,
            body=body.body,
            customer_id=body.customer_id,
            department_id=body.department_id,
            priority=body.priority,
            channel=body.channel,
            intent=body.intent,
            required_skill=body.required_skill,
            complexity=body.complexity,
        )
        with engine.begin() as connection:
            ticket = create_ticket(connection, new, customer_name=body.customer_name, now=now())
        return ticket_json(ticket)

    @app.post("/tickets/{ticket_id}/customer-messages", tags=["tickets"], status_code=201)
    def customer_message(
        ticket_id: str, body: CustomerMessageBody, account: Caller
    ) -> dict[str, Any]:
        """Record the customer's words: a reply reopens, a confirmation closes an awaiting ticket.

        Words for a closed ticket open a follow-up linked to it (`follow_up_ticket_id`). A
        confirmation the ticket no longer waits for is kept as words (`status_kept`).
        """
        words = customer_words.CustomerWords(
            ticket_id, body.body, confirms_resolution=body.confirms_resolution
        )
        try:
            with engine.begin() as connection:
                return customer_words.record(connection, words, now=now())
        except Rejection as rejection:
            status = {"not_found": 404, tombstones.DELETED: 410}.get(rejection.reason, 422)
            raise ApiError(status, rejection.reason, rejection.detail) from None

    @app.get("/tickets/{ticket_id}", tags=["tickets"])
    def ticket_state(ticket_id: str, account: Caller) -> dict[str, Any]:
        """The ticket's current state and messages, as the change log's records carry them.

        A client fetches it to roll back an op the server rejected (or whose write lost) when no
        newer change of the ticket may be on its way.
        """
        with reading(engine) as connection:
            state = tickets.current_state(connection, ticket_id)
            messages = tickets.message_records(connection, ticket_id)
        if state is None:
            raise ApiError(404, "not_found", f"no ticket {ticket_id}")
        return {"ticket_state": state, "messages": messages, "server_time": now().isoformat()}

    @app.delete("/tickets/{ticket_id}", tags=["tickets"])
    def delete_ticket(ticket_id: str, account: Caller) -> dict[str, Any]:
        """Delete a ticket (admins only): desks drop it on their next pull, and any op still on
        its way to it is refused as `deleted` (kept in that desk's conflict list)."""
        try:
            with engine.begin() as connection:
                stone = tombstones.delete_ticket(connection, ticket_id, actor=account.id, now=now())
        except tombstones.NoSuchTicket as error:
            raise ApiError(404, "not_found", str(error)) from None
        return {"tombstone": stone}

    # The hot route (bench/README.md "Team server" has the measurements). Concurrent requests
    # share one transaction (batching.Combiner: one commit and one WAL flush for the batch).
    # On PostgreSQL a batch is one statement on an async connection of its own, on the event
    # loop; on SQLite (BEGIN IMMEDIATE, Python steps) it goes to a worker thread. The answer is
    # JSON text made by claims.documents / claims.claim_documents, with no model around it.
    if engine.dialect.name == "postgresql":
        conninfo = psycopg_conninfo(database_url)
        claimer = AsyncClaimer(
            conninfo,
            now,
            limits.lease,
            upkeep=QueueVacuum(conninfo, claims_per_vacuum=limits.claims_per_vacuum),
        )
        app.state.claimer = claimer

        async def claim_batch(callers: list[Account]) -> list[str]:
            return await claimer([claim_request(a) for a in callers])

    else:

        def claim_batch_in_thread(callers: list[Account]) -> list[str]:
            requests = [claim_request(a) for a in callers]
            with engine.begin() as connection:
                return claims.claim_documents(connection, requests, now=now(), lease=limits.lease)

        async def claim_batch(callers: list[Account]) -> list[str]:
            return await run_in_threadpool(claim_batch_in_thread, callers)

    claim_combiner = app.state.claim_combiner = Combiner(claim_batch, linger=CLAIM_LINGER_SECONDS)

    async def claim_next_answer(request: Request) -> Response:
        try:
            account = await authorized(request)
            return Response(await claim_combiner.submit(account), media_type="application/json")
        except ApiError as error:
            return api_error_reply(error)
        except DBAPIError as error:
            return database_error_reply(error)
        except psycopg.Error as error:  # the async claim path talks to psycopg directly
            return database_error_reply(error)

    @app.post("/tickets/claim-next", tags=["claims"], response_model=ClaimAnswer)
    async def claim_next(request: Request) -> Response:
        """The most urgent free ticket in the caller's departments, with its claim epoch and lease."""
        return await claim_next_answer(request)

    async def claim_next_lane(scope: Scope, receive: Receive, send: Send) -> None:
        response = await claim_next_answer(Request(scope, receive))
        await response(scope, receive, send)

    # The same answer without the framework's middleware and routing layers in between (the
    # route above stays for the OpenAPI docs); the body limit still applies.
    app.fast_lanes[("POST", "/tickets/claim-next")] = BodySizeLimit(
        claim_next_lane, max_bytes=limits.max_body_bytes
    )

    @app.post("/tickets/{ticket_id}/renew", tags=["claims"])
    def renew(ticket_id: str, body: EpochBody, account: Caller) -> dict[str, Any]:
        with engine.begin() as connection:
            expires = claims.renew(
                connection, ticket_id, account.id, body.epoch, now=now(), lease=limits.lease
            )
        return {
            "ticket_id": ticket_id,
            "epoch": body.epoch,
            "lease_expires_at": expires.isoformat(),
        }

    @app.post("/tickets/{ticket_id}/release", tags=["claims"])
    def release(ticket_id: str, body: EpochBody, account: Caller) -> dict[str, Any]:
        with engine.begin() as connection:
            claims.release(connection, ticket_id, account.id, body.epoch, now=now())
        return {"ticket_id": ticket_id, "released": True}

    @app.post("/tickets/{ticket_id}/assign", tags=["claims"])
    def assign(ticket_id: str, body: AssignBody, account: Caller) -> dict[str, Any]:
        """Give the ticket to another agent (leads and admins); the old holder is fenced out."""
        with engine.begin() as connection:
            target = connection.execute(
                select(t.agents.c.id).where(t.agents.c.handle == body.agent)
            ).scalar_one_or_none()
            if target is None:
                raise ApiError(404, "not_found", f"no agent with handle {body.agent!r}")
            claim = claims.assign(connection, ticket_id, target, now=now(), lease=limits.lease)
        return {"claim": claim.json()}

    @app.post("/reservations", tags=["claims"])
    def reserve(body: ReserveBody, account: Caller) -> dict[str, Any]:
        """Hold up to `count` untaken tickets to pull offline, renew every live claim the caller
        holds, and list them all (reservations and online claims) with their epochs."""
        duration = timedelta(seconds=body.seconds) if body.seconds else limits.reservation
        at = now()
        with engine.begin() as connection:
            held = reservations.refresh(
                connection,
                account.id,
                account.departments,
                count=body.count,
                duration=duration,
                now=at,
                online_lease=limits.lease,
                eligibility=account.eligibility,
            )
        return {"claims": [claim.json() for claim in held], "server_time": at.isoformat()}

    @app.post("/tickets/{ticket_id}/revoke", tags=["claims"])
    def revoke(ticket_id: str, account: Caller) -> dict[str, Any]:
        """Take a claim or reservation away (leads and admins); its holder is fenced out."""
        with engine.begin() as connection:
            epoch = reservations.revoke(connection, ticket_id, now=now())
        return {"ticket_id": ticket_id, "epoch": epoch, "revoked": True}

    @app.get("/sync/changes", tags=["sync"])
    def changes(
        account: Caller,
        cursor: Annotated[
            int, Query(ge=0, le=MAX_BIGINT, description="the last server_seq applied")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        epoch: Annotated[
            str | None,
            Query(max_length=64, description="the server_epoch the cursor was read under"),
        ] = None,
    ) -> Response:
        """Change records after `cursor`, in server_seq order with no gaps.

        410 `must_resync` when the cursor cannot continue this log: it was read under another
        lineage (`epoch`: the server was restored from a backup) or is past the log's head.
        """
        with reading(engine) as connection:
            up_to, lineage = changelog.head(connection)
            if (epoch is not None and epoch != lineage) or cursor > up_to:
                raise ApiError(
                    410,
                    "must_resync",
                    f"cursor {cursor} of lineage {epoch or 'unknown'} cannot continue this log "
                    f"(lineage {lineage}, head {up_to}): push the outbox, then pull from 0",
                )
            records, next_cursor = changelog.page_json(connection, cursor, limit, up_to=up_to)
        rest = {
            "next_cursor": next_cursor,
            "up_to_seq": up_to,
            "more": next_cursor < up_to,
            "server_epoch": lineage,
            "server_time": now().isoformat(),
        }
        # The records are JSON text already (`page_json`): spliced in, not decoded and encoded.
        body = f'{{"changes":[{",".join(records)}],{json.dumps(rest)[1:]}'
        return Response(body, media_type="application/json")

    @app.post("/sync/push", tags=["sync"])
    def push_ops(body: PushBody, account: Caller) -> JSONResponse:
        """Apply ops in client_seq order, committed in groups; a result per op, rejections too.

        Stops at a gap and answers 409 with the results so far and the seq to resend from.
        """
        envelopes = []
        for index, raw in enumerate(body.ops):
            try:
                envelope = OpEnvelope.from_wire(raw)
            except (ValueError, KeyError) as error:
                raise ApiError(422, "invalid_request", f"ops.{index}: {error}") from None
            if envelope.client_id != body.client_id:
                raise ApiError(422, "invalid_request", f"ops.{index}: client_id differs")
            for name in ("op_id", "site_id", "ticket_id", "batch_id"):
                if "\x00" in (getattr(envelope, name) or ""):
                    detail = f"ops.{index}.{name}: must not contain NUL characters"
                    raise ApiError(422, "invalid_request", detail)
            prev_seq = raw.get("prev_seq")
            envelopes.append((envelope, prev_seq if isinstance(prev_seq, int) else None))
        results: list[dict[str, Any]] = []
        pusher = push.Pusher(account.id, account.role, limits.lease)
        for start in range(0, len(envelopes), push.COMMIT_GROUP):
            # Group commit: one transaction (one WAL flush) for a group of ops; a rejection
            # still rolls back alone and each op's dedupe row commits with its effect.
            try:
                with engine.begin() as connection:
                    group, gap = push.push_group(
                        connection,
                        pusher,
                        body.client_id,
                        envelopes[start : start + push.COMMIT_GROUP],
                        clock=now,
                    )
            except push.ClientTaken as error:
                raise ApiError(403, "forbidden", str(error)) from None
            for answer in group:
                faults.op_committed()
                results.append(answer)
            if gap is not None:
                body_409 = {
                    "error": "gap",
                    "detail": f"expected client_seq {gap.expected_seq}",
                    "expected_seq": gap.expected_seq,
                    "max_applied_seq": gap.max_applied_seq,
                    "results": results,
                    "server_time": now().isoformat(),
                }
                return JSONResponse(body_409, status_code=409)
        return JSONResponse({"results": results, "server_time": now().isoformat()})

    reference_api.install(app, engine, now, Caller)
    return app


_BEARER = {"WWW-Authenticate": "Bearer"}


def claim_request(account: Account) -> claims.ClaimRequest:
    return claims.ClaimRequest(account.id, account.departments, account.eligibility)


def caller(request: Request) -> Account:
    """The authenticated account, once its rate limit and the role matrix allow the request."""
    token = _bearer_token(request)
    account = request.app.state.tokens.get(token)
    if account is None:
        account = _account_from_database(request, token)
    return _admit(request, account)


async def authorized(request: Request) -> Account:
    """`caller` for async routes: a cached token costs no thread hop, only a miss goes to one."""
    token = _bearer_token(request)
    account = request.app.state.tokens.get(token)
    if account is None:
        account = await run_in_threadpool(_account_from_database, request, token)
    return _admit(request, account)


def _bearer_token(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthenticated", "send `Authorization: Bearer <token>`", _BEARER)
    return token


def _account_from_database(request: Request, token: str) -> Account:
    state = request.app.state
    with reading(state.engine) as connection:
        account = accounts.account_for_token(connection, token)
    if account is None:
        # Wrong tokens count against the caller's address, so guessing is rate limited too.
        host = request.client.host if request.client else "unknown"
        wait = state.limiter.take(f"address:{host}")
        if wait:
            raise ApiError(
                429, "rate_limited", "too many requests", {"Retry-After": retry_after(wait)}
            )
        raise ApiError(401, "unauthenticated", "unknown or revoked token", _BEARER)
    state.tokens.put(token, account)
    return account


def _admit(request: Request, account: Account) -> Account:
    wait = request.app.state.limiter.take(account.id)
    if wait:
        raise ApiError(429, "rate_limited", "too many requests", {"Retry-After": retry_after(wait)})
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path_format", request.url.path))
    if account.role not in ROLE_MATRIX.get(key, frozenset()):
        raise ApiError(403, "forbidden", f"a {account.role.value} may not {key[0]} {key[1]}")
    return account


Caller = Annotated[Account, Depends(caller)]


def _account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "handle": account.handle,
        "name": account.name,
        "role": account.role.value,
        "departments": list(account.departments),
    }


class _TokenCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, Account]] = {}
        self._lock = threading.Lock()

    def get(self, token: str) -> Account | None:
        with self._lock:
            entry = self._entries.get(token)
        if entry is None or time.monotonic() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, token: str, account: Account) -> None:
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[token] = (time.monotonic(), account)

    def forget(self, agent_id: str) -> None:
        """The agent's profile changed: this instance reads it again at their next request
        (other instances within `seconds`)."""
        with self._lock:
            for token in [k for k, (_, a) in self._entries.items() if a.id == agent_id]:
                del self._entries[token]


def reply(
    status: int, error: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)


def api_error_reply(error: ApiError) -> JSONResponse:
    return reply(error.status, error.error, error.detail, error.headers)


def database_error_reply(error: DBAPIError | psycopg.Error) -> JSONResponse:
    if isinstance(error, IntegrityError | psycopg.IntegrityError):
        return reply(409, "conflict", "the request clashes with existing data")
    # Deadlocks, serialisation failures and a database that went away are worth a retry.
    return reply(503, "database_unavailable", "try again shortly", {"Retry-After": "1"})


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return api_error_reply(error)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg', 'invalid')}"
            for problem in error.errors()
        ]
        return reply(422, "invalid_request", problems)

    @app.exception_handler(DomainError)
    async def refused(_request: Request, error: DomainError) -> JSONResponse:
        return reply(422, "invalid", str(error))

    @app.exception_handler(claims.ClaimLost)
    async def lost(_request: Request, error: claims.ClaimLost) -> JSONResponse:
        return reply(409, "claim_lost", str(error))

    @app.exception_handler(claims.NotFound)
    async def missing(_request: Request, error: claims.NotFound) -> JSONResponse:
        return reply(404, "not_found", str(error))

    @app.exception_handler(DBAPIError)
    async def database(_request: Request, error: DBAPIError) -> JSONResponse:
        return database_error_reply(error)
