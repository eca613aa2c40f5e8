"""The sync client: push the outbox, pull the change log (SYNC.md §4.4-4.5). No UI here."""

from agentdesk.sync.engine import (
    ProtocolFailure,
    SyncFailure,
    SyncReport,
    TokenRefused,
    Unreachable,
    publish_skill_level,
    push_pending,
    sync_once,
)

__all__ = [
    "ProtocolFailure",
    "SyncFailure",
    "SyncReport",
    "TokenRefused",
    "Unreachable",
    "publish_skill_level",
    "push_pending",
    "sync_once",
]
