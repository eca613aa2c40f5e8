"""Standard scripts: `{{Placeholder}}` templates filled from what the ticket knows."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from agentdesk.domain.errors import MissingPlaceholders
from agentdesk.domain.model import Script

PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


def placeholder_key(name: str) -> str:
    """`Customer Name`, `customer_name` and `customer-name` are the same slot."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def placeholders(text: str) -> list[str]:
    seen: dict[str, str] = {}
    for match in PLACEHOLDER.finditer(text):
        seen.setdefault(placeholder_key(match.group(1)), match.group(1))
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class RenderedScript:
    text: str
    unfilled: tuple[str, ...]  # required slots left in the text, still as `{{Name}}`


def render(script: Script, values: Mapping[str, str]) -> RenderedScript:
    """Fill every slot we have a value for; drop optional empty slots; keep required ones."""
    known = {placeholder_key(k): v for k, v in values.items() if v}
    required = {placeholder_key(name) for name in script.required}
    unfilled: dict[str, str] = {}

    def fill(match: re.Match[str]) -> str:
        key = placeholder_key(match.group(1))
        if key in known:
            return known[key]
        if key in required:
            unfilled.setdefault(key, match.group(1))
            return match.group(0)
        return ""

    text = PLACEHOLDER.sub(fill, script.body)
    return RenderedScript(text, tuple(unfilled.values()))


def unfilled_slots(text: str) -> list[str]:
    """Slots still present in a reply; any left means the reply is not ready to send."""
    return placeholders(text)


def check_ready(text: str) -> None:
    missing = unfilled_slots(text)
    if missing:
        raise MissingPlaceholders(missing)


def ticket_values(
    *, customer_name: str, ticket_number: int, agent_name: str, subject: str, **extra: str
) -> dict[str, str]:
    first = customer_name.split()[0] if customer_name.strip() else ""
    values = {
        "customer_name": customer_name,
        "customer_first_name": first,
        "first_name": first,
        "name": customer_name,
        "ticket_number": f"#{ticket_number}",
        "agent_name": agent_name,
        "subject": subject,
    }
    values.update(extra)
    return values
