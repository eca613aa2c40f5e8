"""Globally unique, time-sortable ids (UUIDv7), so any site can create records offline."""

from __future__ import annotations


def new_id() -> str:
    # Imported on first use: uuid6 looks up its own version in the installed metadata when
    # imported, which a launch would otherwise pay for before it needs a single id.
    from uuid6 import uuid7

    return str(uuid7())
