"""Reading pulled reference records: bad ones are named, unknown kinds skipped and counted."""

from __future__ import annotations

import pytest

from agentdesk.domain.model import AgentTier, Role
from agentdesk.domain.reference_sync import (
    NO_REFERENCE_UPDATES,
    RecordKind,
    ReferenceCollector,
    agent_from_wire,
)
from agentdesk.domain.remote import BadRecord, page_from_wire


def test_a_page_of_only_unknown_kinds_still_moves_the_cursor() -> None:
    records = [
        {"server_seq": 4, "kind": "hologram", "payload": {}},
        {"server_seq": 5, "kind": "hologram", "payload": {"x": 1}},
        {"server_seq": 6, "kind": "remove", "payload": {}},
    ]
    page = page_from_wire(records, cursor=3, epoch="e")
    assert (page.cursor, page.skipped, page.skipped_kinds) == (6, 3, ("hologram", "remove"))
    assert page.reference == NO_REFERENCE_UPDATES and not page.reference


@pytest.mark.parametrize(
    ("kind", "payload", "named"),
    [
        ("script", {"id": "s", "name": "n"}, "'body'"),
        ("script", {"id": "s", "name": "n", "body": "b", "steps": "one"}, "'steps'"),
        ("kb_article", {"id": "a", "title": "", "body": "b"}, "'title'"),
        ("customer", {"id": "c", "name": "n", "tier": "gold"}, "gold"),
        ("department", {"id": "d"}, "'name'"),
    ],
)
def test_a_malformed_reference_record_names_its_seq_and_field(
    kind: str, payload: dict[str, object], named: str
) -> None:
    records = [{"server_seq": 1, "kind": kind, "payload": payload}]
    with pytest.raises(BadRecord, match=r"change 1: .*" + named):
        page_from_wire(records, cursor=0, epoch=None)


def test_the_latest_rule_document_of_each_name_is_collected() -> None:
    collector = ReferenceCollector()
    collector.add(RecordKind.RULES, {"name": "transfer", "document": {"rules": []}, "version": 1})
    collector.add(RecordKind.RULES, {"name": "routing", "document": {"push": True}, "version": 1})
    collector.add(RecordKind.RULES, {"name": "transfer", "document": {}, "version": 2})
    rules = {(r.name, r.version): dict(r.document) for r in collector.build().rules}
    assert rules == {("transfer", 2): {}, ("routing", 1): {"push": True}}
    with pytest.raises(ValueError, match="'document'"):
        collector.add(RecordKind.RULES, {"name": "transfer", "document": [], "version": 3})


def test_a_published_agent_is_read_from_whatever_columns_the_server_has() -> None:
    lean = agent_from_wire({"id": "a1", "handle": "kim", "name": "", "role": "lead"})
    assert (lean.name, lean.role, lean.skills, lean.languages) == ("kim", Role.LEAD, {}, ("en",))
    rich = agent_from_wire(
        {
            "id": "a2",
            "handle": "lin",
            "name": "Lin",
            "skills": {"refunds": 4},
            "languages": ["fr", "en"],
            "tier": "expert",
            "active": False,
            "shift": "night",  # a column this desk does not know
        }
    )
    assert (rich.skills, rich.languages, rich.tier, rich.available) == (
        {"refunds": 4},
        ("fr", "en"),
        AgentTier.EXPERT,
        False,
    )
    with pytest.raises(ValueError, match="'skills'"):
        agent_from_wire({"id": "a3", "handle": "x", "skills": {"refunds": "high"}})
