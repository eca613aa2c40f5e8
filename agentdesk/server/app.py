"""The team server's HTTP API: `create_app(database_url)` builds it (no globals, no I/O at import)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from agentdesk import __version__
from agentdesk.domain.actions import NewTicket
from agentdesk.domain.errors import DomainError
from agentdesk.domain.model import Channel, Priority, Role
from agentdesk.domain.sync_ops import OpEnvelope
from agentdesk.server import accounts, changelog, claims, push, tickets
from agentdesk.server import tables as t
from agentdesk.server.accounts import Account
from agentdesk.server.database import create_server_engine, reading
from agentdesk.server.limits import DEFAULT_MAX_BODY, BodySizeLimit, RateLimiter, retry_after
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
    ("POST", "/tickets/{ticket_id}/renew"): EVERYONE,
    ("POST", "/tickets/{ticket_id}/release"): EVERYONE,
    ("POST", "/tickets/{ticket_id}/assign"): LEADS,
    ("GET", "/sync/changes"): EVERYONE,
    ("POST", "/sync/push"): EVERYONE,
    ("POST", "/agents"): ADMINS,
}
# Epochs and seqs are BIGINT columns.
MAX_BIGINT = 2**63 - 1
PUBLIC = frozenset({("GET", "/healthz")})
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


# -- request bodies ----------------------------------------------------------------------------
class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


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


class EpochBody(Body):
    epoch: int = Field(ge=1, le=MAX_BIGINT)


class AssignBody(Body):
    agent: str = Field(min_length=1, max_length=64, description="the handle of the new owner")


class PushBody(Body):
    client_id: str = Field(min_length=1, max_length=64)
    ops: list[dict[str, Any]] = Field(max_length=push.MAX_BATCH_OPS)


class NewAgentBody(Body):
    handle: str = Field(min_length=1, max_length=64)
    role: Role = Field(default=Role.AGENT, strict=False)
    name: str | None = Field(default=None, max_length=200)
    departments: list[str] = Field(default=["general"], min_length=1, max_length=50)


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

    app = FastAPI(
        title="agentdesk team server",
        version=__version__,
        description="Tickets, claims with fenced leases, and the change log clients sync from.",
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
                )
        except accounts.AccountError as error:
            raise ApiError(409, "conflict", str(error)) from None
        return {**_account_json(created), "token": token}

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
        )
        with engine.begin() as connection:
            ticket = create_ticket(connection, new, customer_name=body.customer_name, now=now())
        return ticket_json(ticket)

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

    @app.post("/tickets/claim-next", tags=["claims"])
    def claim_next(account: Caller) -> JSONResponse:
        """The most urgent free ticket in the caller's departments, with its claim epoch and lease."""
        with engine.begin() as connection:
            claim = claims.claim_next(
                connection, account.id, account.departments, now=now(), lease=limits.lease
            )
        if claim is None:
            return JSONResponse({"claim": None}, status_code=200)
        return JSONResponse({"claim": claim.json()})

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

    @app.get("/sync/changes", tags=["sync"])
    def changes(
        account: Caller,
        cursor: Annotated[
            int, Query(ge=0, le=MAX_BIGINT, description="the last server_seq applied")
        ] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Change records after `cursor`, in server_seq order with no gaps."""
        with reading(engine) as connection:
            up_to, lineage = changelog.head(connection)
            records = changelog.page(connection, cursor, limit, up_to=up_to)
        next_cursor = records[-1]["server_seq"] if records else cursor
        return {
            "changes": records,
            "next_cursor": next_cursor,
            "up_to_seq": up_to,
            "more": next_cursor < up_to,
            "server_epoch": lineage,
            "server_time": now().isoformat(),
        }

    @app.post("/sync/push", tags=["sync"])
    def push_ops(body: PushBody, account: Caller) -> JSONResponse:
        """Apply ops in client_seq order, one transaction each; a result per op, rejections too.

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
            envelopes.append((envelope, raw.get("prev_seq")))
        results: list[dict[str, Any]] = []
        for envelope, prev_seq in envelopes:
            try:
                with engine.begin() as connection:
                    answer = push.push_one(
                        connection,
                        push.Pusher(account.id, account.role, limits.lease),
                        body.client_id,
                        envelope,
                        prev_seq if isinstance(prev_seq, int) else None,
                        now=now(),
                    )
            except push.ClientTaken as error:
                raise ApiError(403, "forbidden", str(error)) from None
            if isinstance(answer, push.Gap):
                gap = {
                    "error": "gap",
                    "detail": f"expected client_seq {answer.expected_seq}",
                    "expected_seq": answer.expected_seq,
                    "max_applied_seq": answer.max_applied_seq,
                    "results": results,
                    "server_time": now().isoformat(),
                }
                return JSONResponse(gap, status_code=409)
            results.append(answer)
        return JSONResponse({"results": results, "server_time": now().isoformat()})

    return app


_BEARER = {"WWW-Authenticate": "Bearer"}


def caller(request: Request) -> Account:
    """The authenticated account, once its rate limit and the role matrix allow the request."""
    state = request.app.state
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthenticated", "send `Authorization: Bearer <token>`", _BEARER)
    account = state.tokens.get(token)
    if account is None:
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
    wait = state.limiter.take(account.id)
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


def _install_error_handlers(app: FastAPI) -> None:
    def reply(
        status: int, error: str, detail: Any, headers: dict[str, str] | None = None
    ) -> JSONResponse:
        return JSONResponse({"error": error, "detail": detail}, status_code=status, headers=headers)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, error: ApiError) -> JSONResponse:
        return reply(error.status, error.error, error.detail, error.headers)

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
        if isinstance(error, IntegrityError):
            return reply(409, "conflict", "the request clashes with existing data")
        # Deadlocks, serialisation failures and a database that went away are worth a retry.
        return reply(503, "database_unavailable", "try again shortly", {"Retry-After": "1"})
