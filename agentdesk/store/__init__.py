"""Storage behind one async interface; backends are imported lazily (they pull in SQLAlchemy)."""

from agentdesk.store.base import Scope, Store, StoreInfo, TicketQuery
from agentdesk.store.errors import (
    Conflict,
    ImportFailed,
    NotFound,
    PermissionDenied,
    SchemaTooNew,
    StoreError,
    Unavailable,
)

__all__ = [
    "Conflict",
    "ImportFailed",
    "NotFound",
    "PermissionDenied",
    "SchemaTooNew",
    "Scope",
    "Store",
    "StoreError",
    "StoreInfo",
    "TicketQuery",
    "Unavailable",
]
