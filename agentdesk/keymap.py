"""Key bindings with stable dotted ids, and the checks for the user's keymap setting.

Every binding in agentdesk is made with `bind()`, so it carries an id (`queue.pull_next`), a
description and a tooltip. Users rebind by id in the config file (`[keymap]` table, applied with
Textual's `App.set_keymap`); ids are part of the user-facing contract, so never rename one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import _character_to_key

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


def _normal_keys(keys: str) -> set[str]:
    """`"?,f1"` -> `{"question_mark", "f1"}`: the long key names Textual matches on."""
    parts = (part.strip() for part in keys.split(","))
    return {_character_to_key(part) if len(part) == 1 else part for part in parts if part}


def keymap_clashes(keymap: Mapping[str, str]) -> list[str]:
    """Messages for bindings that lose a key because the keymap gave it to another binding.

    Only bindings active together (one widget, screen or app class with what it inherits)
    can clash. Textual quietly drops the loser, so we say which one went.
    """
    found: set[tuple[str, str, str]] = set()
    for cls in _subclasses(DOMNode):
        bindings = [b for _, b in cls._merge_bindings()]
        moved = {b.id: _normal_keys(keymap[b.id]) for b in bindings if b.id and b.id in keymap}
        if not moved:
            continue
        for loser in bindings:
            if loser.id in keymap:
                continue  # rebound as well: it keeps its new keys
            lost = _normal_keys(loser.key)
            for taker, keys in moved.items():
                for key in sorted(lost & keys):
                    found.add((taker, loser.id or loser.action, key))
    return [
        f"{taker} took {key!r} from {loser}, which has no key there now"
        for taker, loser, key in sorted(found)
    ]


def unknown_ids(keymap: Mapping[str, str], known: Iterable[str]) -> list[str]:
    """Ids in the user's keymap that no binding has: most likely a typo in the config file."""
    known_set = set(known)
    return sorted(binding_id for binding_id in keymap if binding_id not in known_set)
