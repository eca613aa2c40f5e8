"""Errors raised by domain rules."""

from __future__ import annotations


class DomainError(Exception):
    """A request that the rules of the domain refuse."""


class IllegalTransition(DomainError):
    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"cannot {action.replace('_', ' ')} a ticket that is {status}")
        self.status = status
        self.action = action


class MissingPlaceholders(DomainError):
    def __init__(self, names: list[str]) -> None:
        super().__init__("fill in: " + ", ".join(names))
        self.names = names


class InvalidInput(DomainError):
    """A value that fails validation; `field` names what was wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
