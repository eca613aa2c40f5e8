"""Agent accounts and their API tokens (only a token's sha256 is stored)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from agentdesk.domain.ids import new_id
from agentdesk.domain.model import AgentTier, Role
from agentdesk.server import tables as t
from agentdesk.server.tickets import ensure_department


class AccountError(Exception):
    """An account request that cannot be done; the message says why."""


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    handle: str
    name: str
    role: Role
    departments: tuple[str, ...]


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_agent(
    connection: Connection,
    handle: str,
    *,
    role: Role,
    name: str | None = None,
    departments: tuple[str, ...] = ("general",),
) -> tuple[Account, str]:
    """Create an agent; returns the account and its token, which is never available again."""
    handle = handle.strip()
    if not handle or len(handle) > 64 or not handle.replace("-", "").replace("_", "").isalnum():
        raise AccountError(f"invalid handle {handle!r}: use 1-64 letters, digits, '-' or '_'")
    if not departments:
        raise AccountError("an agent needs at least one department")
    token = new_token()
    account = Account(new_id(), handle, name or handle, role, departments)
    for department in departments:
        ensure_department(connection, department)
    try:
        with connection.begin_nested():
            connection.execute(
                insert(t.agents).values(
                    id=account.id,
                    handle=handle,
                    name=account.name,
                    role=role.value,
                    tier=AgentTier.JUNIOR.value,
                    skills={},
                    departments=list(departments),
                    capacity=5,
                    available=True,
                    languages=["en"],
                    token_hash=hash_token(token),
                )
            )
    except IntegrityError:
        raise AccountError(f"an agent with handle {handle!r} already exists") from None
    return account, token


def account_for_token(connection: Connection, token: str) -> Account | None:
    wanted = hash_token(token)
    row = connection.execute(select(t.agents).where(t.agents.c.token_hash == wanted)).first()
    # The lookup is by hash, so timing says nothing about the token; compare once more anyway.
    if row is None or not hmac.compare_digest(row.token_hash, wanted):
        return None
    return Account(row.id, row.handle, row.name, Role(row.role), tuple(row.departments))
