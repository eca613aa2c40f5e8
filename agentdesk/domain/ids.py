"""Globally unique, time-sortable ids (UUIDv7), so any site can create records offline."""

from __future__ import annotations

from collections.abc import Callable, Iterator


def new_id() -> str:
    # Imported on first use: uuid6 looks up its own version in the installed metadata when
    # imported, which a launch would otherwise pay for before it needs a single id.
    from uuid6 import uuid7

    return str(uuid7())


def starting_with(first: object) -> Callable[[], str]:
    """An id factory whose first id is `first` (when it is one): a replayed or pushed message
    keeps the id its client gave it, everywhere."""

    def generate() -> Iterator[str]:
        if isinstance(first, str) and first:
            yield first
        while True:
            yield new_id()

    made = generate()
    return lambda: next(made)
