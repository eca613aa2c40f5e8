"""Agents from a JSONL or CSV file: the roster a routing simulation (and later an import) uses.

Fields: handle* (unique), name (default: the handle), role (agent|lead|admin), tier
(junior|senior|expert), skills (JSONL: an object {"orders": 2}; CSV: `orders:2,refunds:4`,
levels 1-5, a bare name meaning level 1), departments (comma list), capacity (whole number ≥ 1,
default 5), available (true/false, default true), languages (comma list, default `en`).
Every problem is reported by line and field, and any problem refuses the whole file.
"""

from __future__ import annotations

from agentdesk.domain.model import Agent, AgentTier, Role
from agentdesk.store.errors import ImportFailed
from agentdesk.transfer import (
    Checker,
    Field,
    FieldType,
    Format,
    Record,
    Values,
    decode,
    read_csv,
    read_jsonl,
)

SKILL_LEVELS = range(1, 6)

AGENT_FIELDS = (
    Field("handle", required=True),
    Field("name"),
    Field("role", FieldType.CHOICE, choices=tuple(role.value for role in Role)),
    Field("tier", FieldType.CHOICE, choices=tuple(tier.value for tier in AgentTier)),
    Field("skills"),
    Field("departments", FieldType.COMMA_LIST),
    Field("capacity"),
    Field("available"),
    Field("languages", FieldType.COMMA_LIST),
)
_KNOWN = {spec.name for spec in AGENT_FIELDS}


def read_agents(data: bytes, fmt: Format) -> list[Agent]:
    text = decode(data)
    checker = Checker()
    if fmt is Format.CSV:
        columns, records = read_csv(text)
        for column in columns:
            if column not in _KNOWN:
                checker.add(1, "", f"column {column!r} is not known (known: {', '.join(_KNOWN)})")
    else:
        records = read_jsonl(text)
        for record in records:
            for key in record.raw:
                if key not in _KNOWN:
                    checker.add(record.line, key, "is not a known field")
    checker.fail_if_any()
    if not records:
        raise ImportFailed(["the file has no agents"])
    agents = [_agent(record, checker) for record in records]
    seen: dict[str, int] = {}
    for record, agent in zip(records, agents, strict=True):
        if agent.handle in seen:
            checker.add(
                record.line,
                "handle",
                f"{agent.handle!r} already given on line {seen[agent.handle]}",
            )
        seen.setdefault(agent.handle, record.line)
    checker.fail_if_any()
    return agents


def _agent(record: Record, checker: Checker) -> Agent:
    values = Values(record, AGENT_FIELDS, checker)
    handle = values.text("handle")
    return Agent(
        id=f"ag-{handle}",
        handle=handle,
        name=values.text("name") or handle,
        role=Role(values.choice("role", Role.AGENT.value)),
        tier=AgentTier(values.choice("tier", AgentTier.JUNIOR.value)),
        skills=_skills(values),
        departments=values.items("departments"),
        capacity=_capacity(values),
        available=_flag(values, "available", default=True),
        languages=values.items("languages") or ("en",),
    )


def _skills(values: Values) -> dict[str, int]:
    raw = values.raw.get("skills")
    if raw is None or raw == "":
        return {}
    pairs: list[tuple[str, object]]
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, str):
        pairs = []
        for part in (part.strip() for part in raw.split(",")):
            if part:
                name, _, level = part.partition(":")
                pairs.append((name.strip(), level.strip() or "1"))
    else:
        values.error("skills", 'expected {"skill": level} or "skill:level,…"')
        return {}
    skills: dict[str, int] = {}
    for name, level in pairs:
        number = _whole(level)
        if not name or number not in SKILL_LEVELS:
            values.error("skills", f"{name or '?'}:{level} needs a skill name and a level 1-5")
            continue
        skills[name] = number
    return skills


def _capacity(values: Values) -> int:
    raw = values.raw.get("capacity")
    if raw is None or raw == "":
        return 5
    number = _whole(raw)
    if number < 1:
        values.error("capacity", f"{raw!r} is not a whole number of at least 1")
        return 1
    return number


def _flag(values: Values, name: str, *, default: bool) -> bool:
    raw = values.raw.get(name)
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    values.error(name, f"{raw!r} is not true or false")
    return default


def _whole(value: object) -> int:
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return -1
