"""The only errors a store raises; the UI never sees a driver's exception."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error; its message is fit to show a user."""


class NotFound(StoreError):
    pass


class Conflict(StoreError):
    """The record changed under us (version mismatch) or a uniqueness rule was hit."""


class PermissionDenied(StoreError):
    pass


class Unavailable(StoreError):
    """The store cannot be reached or opened: missing, locked, corrupt or unreadable."""


class SchemaTooNew(Unavailable):
    """The database was written by a newer agentdesk; we refuse rather than damage it."""


class ImportFailed(StoreError):
    """A bulk import was refused; nothing was written. `errors` name line and field."""

    def __init__(self, errors: list[str]) -> None:
        shown = "\n".join(errors[:20])
        more = f"\n… and {len(errors) - 20} more" if len(errors) > 20 else ""
        super().__init__(f"nothing imported; {len(errors)} problem(s):\n{shown}{more}")
        self.errors = errors
