"""`agentdesk.intake.receive`: every arriving ticket is classified, routed and stored with why."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import pytest

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.intake import Arrival, IntentGuess
from agentdesk.domain.model import Complexity, CustomerTier, Department, Priority
from agentdesk.domain.routing import IntentRoute, RoutingPolicy
from agentdesk.domain.transfers import TransferRule
from agentdesk.intake import ModelClassifier, load_intent_model, receive
from agentdesk.store.memory import MemoryStore
from agentdesk.transfer import Format, Kind, import_data
from tests.fixtures import DEPARTMENTS, NOW, seed

POLICY = RoutingPolicy(
    {
        "get_refund": IntentRoute("billing", "refunds", Complexity.COMPLEX, Priority.HIGH),
        "track_order": IntentRoute("logistics", "orders"),
    },
    min_confidence=0.5,
)
VIP_REFUNDS = TransferRule(
    "vip-refunds",
    "general",
    "VIP refund: call them back.",
    intents=frozenset({"get_refund"}),
    customer_tiers=frozenset({CustomerTier.VIP}),
)


class Guesser:
    """A stand-in classifier: 'refund' in the text means get_refund; records what it read."""

    def __init__(self) -> None:
        self.read: list[str] = []

    def __call__(self, text: str) -> IntentGuess:
        self.read.append(text)
        if "refund" in text.lower():
            return IntentGuess("get_refund", 0.9)
        return IntentGuess("track_order", 0.2)


async def store_with_triage() -> MemoryStore:
    store = MemoryStore()
    await seed(store)
    await store.add_departments([Department("triage", "Triage")])
    return store


async def test_receive_classifies_routes_and_records_why() -> None:
    store = await store_with_triage()
    guesser = Guesser()
    news = [
        NewTicket("Refund", "Money back please", "cu-bob"),
        NewTicket("Hm", "Where is it?", "cu-bob"),
        NewTicket("Given", "Where is it?", "cu-bob", intent="track_order"),
    ]
    refund, unsure, given = await receive(
        store, news, now=NOW, classify=guesser, policy=POLICY, rules=()
    )
    assert (refund.intent, refund.intent_confidence, refund.department_id) == (
        "get_refund",
        0.9,
        "billing",
    )
    assert (refund.required_skill, refund.priority) == ("refunds", Priority.HIGH)
    assert (unsure.intent, unsure.department_id) == ("track_order", "triage")
    assert (given.intent, given.department_id) == ("track_order", "logistics")
    assert guesser.read == ["Refund\nMoney back please", "Hm\nWhere is it?"]  # not the given one
    routed = (await store.audit_events(unsure.id))[1]
    assert routed.kind == "ticket.routed"
    assert routed.detail["decisions"] == [
        "classified as track_order (0.20)",
        "low confidence (0.20 < 0.50) → triage",
    ]


async def test_receive_applies_rules_with_the_customers_tier() -> None:
    store = await store_with_triage()
    news = [
        NewTicket("Refund", "Kettle broke", "cu-ada", intent="get_refund"),  # Ada is a VIP
        NewTicket("Refund", "Kettle broke", "cu-bob", intent="get_refund"),
    ]
    vip, standard = await receive(store, news, now=NOW, policy=POLICY, rules=(VIP_REFUNDS,))
    assert (vip.department_id, standard.department_id) == ("general", "billing")
    kinds = [event.kind for event in await store.audit_events(vip.id)]
    assert kinds == ["ticket.created", "ticket.routed", "ticket.transferred"]
    note = (await store.messages(vip.id))[-1]
    assert note.body.endswith("by rule 'vip-refunds': VIP refund: call them back.")


async def test_receive_uses_the_stores_policy_and_rules_by_default() -> None:
    store = await store_with_triage()
    store.routing_policy, store.transfer_rules = POLICY, (VIP_REFUNDS,)
    (ticket,) = await receive(store, [NewTicket("R", "x", "cu-ada", intent="get_refund")], now=NOW)
    assert ticket.department_id == "general"


async def test_push_mode_assigns_each_arrival_to_an_agent_who_may_take_it() -> None:
    store = MemoryStore()
    await seed(store)
    news = [NewTicket("A", "a", "cu-bob"), NewTicket("B", "b", "cu-cy")]
    pulled = await receive(store, news, now=NOW, policy=POLICY)
    assert {t.assignee_id for t in pulled} == {None}
    pushed = await receive(store, news, now=NOW, policy=replace(POLICY, push=True))
    assert all(t.assignee_id is not None for t in pushed)
    for ticket in pushed:
        (explanation,) = [
            e for e in await store.audit_events(ticket.id) if e.kind == "ticket.assigned"
        ]
        assert explanation.detail["route"]["agent_id"] == ticket.assignee_id  # push records why
    assert {t.assignee_id for t in await receive(store, news, now=NOW, push=False)} == {None}


async def test_arrivals_keep_what_their_source_decided() -> None:
    store = await store_with_triage()
    new = NewTicket("R", "x", "cu-ada", "technical", Priority.LOW, intent="get_refund")
    (ticket,) = await receive(
        store,
        [Arrival(new, department_given=True, priority_given=True)],
        now=NOW,
        policy=POLICY,
        rules=(VIP_REFUNDS,),
    )
    assert (ticket.department_id, ticket.priority) == ("technical", Priority.LOW)


# -- the intent model, loaded lazily -----------------------------------------------------------
class FakeModel:
    def predict(self, text: str) -> IntentGuess:
        return IntentGuess("get_refund", 0.7, in_scope=False)


def test_model_classifier_loads_once_and_only_when_asked() -> None:
    loads: list[int] = []

    def load() -> FakeModel:
        loads.append(1)
        return FakeModel()

    classify = ModelClassifier(load)
    assert loads == []
    assert classify("a") == IntentGuess("get_refund", 0.7, in_scope=False)
    classify("b")
    assert loads == [1]


def test_without_the_intent_model_nothing_is_guessed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "agentdesk.intents", None)  # import now raises ImportError
    assert load_intent_model() is None
    assert ModelClassifier()("refund please") is None


def test_importing_intake_loads_no_model_ui_or_database() -> None:
    code = (
        "import sys, json, agentdesk.intake\n"
        "heavy = ('agentdesk.intents', 'textual', 'sqlalchemy', 'sqlmodel')\n"
        "print(json.dumps([m for m in heavy if m in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


# -- imports go through intake ---------------------------------------------------------------
async def test_import_routes_rows_without_a_department_and_keeps_given_ones() -> None:
    store = MemoryStore()
    await store.add_departments([*DEPARTMENTS, Department("triage", "Triage")])
    store.routing_policy = POLICY
    rows = [
        {"subject": "Refund", "body": "please", "customer_name": "Ann"},
        {"subject": "Refund", "body": "please", "customer_name": "Ann", "department": "general"},
        {"subject": "Parcel", "body": "late", "customer_name": "Ann", "intent": "track_order"},
        {"subject": "Hello", "body": "?", "customer_name": "Ann", "priority": "urgent"},
    ]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    guesser = Guesser()
    await import_data(store, Kind.TICKETS, data, Format.JSONL, now=NOW, classify=guesser)
    tickets = [t async for batch in store.iter_tickets() for t in batch]
    assert [(t.intent, t.department_id, t.priority) for t in tickets] == [
        ("get_refund", "billing", Priority.HIGH),
        ("get_refund", "general", Priority.HIGH),
        ("track_order", "logistics", Priority.NORMAL),
        ("track_order", "triage", Priority.URGENT),
    ]
    assert len(guesser.read) == 3  # the row with an intent is not classified


async def test_import_without_a_model_or_triage_department_keeps_the_old_default() -> None:
    store = MemoryStore()
    await store.add_departments(DEPARTMENTS)
    data = json.dumps({"subject": "Hi", "body": "x", "customer_name": "Ann"}).encode()
    await import_data(store, Kind.TICKETS, data, Format.JSONL, now=NOW)
    (ticket,) = [t async for batch in store.iter_tickets() for t in batch]
    assert (ticket.intent, ticket.department_id) == ("", "general")
    routed = (await store.audit_events(ticket.id))[1]
    assert routed.detail["decisions"] == [
        "not classified (no intent model)",
        "no intent → triage",
        "no 'triage' department; stays in general",
    ]
