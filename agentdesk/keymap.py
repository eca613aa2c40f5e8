"""Key bindings with stable dotted ids, and the checks for the user's keymap setting.

Every binding in agentdesk is made with `bind()`, so it carries an id (`queue.pull_next`), a
description and a tooltip. Users rebind by id in the config file (`[keymap]` table, applied with
Textual's `App.set_keymap`); ids are part of the user-facing contract, so never rename one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding
from textual.dom import DOMNode

# Ids declared by `bind()` as modules are imported. Screens imported lazily (the ticket screen)
# register theirs when they load, which is why `known_binding_ids` also walks the classes.
_DECLARED: dict[str, Binding] = {}


def bind(
    binding_id: str,
    keys: str,
    action: str,
    description: str,
    tooltip: str,
    *,
    show: bool = True,
    priority: bool = False,
    key_display: str | None = None,
) -> Binding:
    """A `Binding` that users can rebind: `keys` are comma-separated defaults (`"up,k"`)."""
    if "." not in binding_id:
        raise ValueError(f"binding id {binding_id!r} needs a dotted prefix such as 'queue.'")
    binding = Binding(
        keys,
        action,
        description,
        show=show,
        priority=priority,
        tooltip=tooltip,
        id=binding_id,
        key_display=key_display,
    )
    _DECLARED[binding_id] = binding
    return binding


def declared_bindings() -> dict[str, Binding]:
    """Every binding declared so far, by id (for docs and tests)."""
    return dict(_DECLARED)


def _subclasses(cls: type) -> Iterable[type]:
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


def known_binding_ids() -> set[str]:
    """Ids declared through `bind()` plus any binding id on an imported widget, screen or app."""
    ids = set(_DECLARED)
    for cls in _subclasses(DOMNode):
        for binding in getattr(cls, "BINDINGS", ()):
            if isinstance(binding, Binding) and binding.id:
                ids.add(binding.id)
    return ids


def unknown_ids(keymap: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """Ids in the user's keymap that no binding has: most likely a typo in the config file."""
    known_set = set(known)
    return sorted(binding_id for binding_id in keymap if binding_id not in known_set)
