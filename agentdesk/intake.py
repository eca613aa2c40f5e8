"""Receiving tickets: classify, route and apply transfer rules, then store them.

Every way a ticket arrives (an import, the demo, later a mail or chat connector) goes through
`receive`, so the same rules place it and its audit trail says why it went where it went.
The intent model loads only when a ticket without an intent needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from agentdesk.domain.actions import NewTicket
from agentdesk.domain.intake import Arrival, Guess, IntentGuess, route_arrival, ticket_text
from agentdesk.domain.model import CustomerTier, Ticket
from agentdesk.domain.routing import RoutingPolicy
from agentdesk.domain.transfers import TransferRule
from agentdesk.store.base import Store
from agentdesk.store.errors import NotFound

# Text in, the classifier's guess out (None when there is no classifier to ask).
Classify = Callable[[str], Guess | None]


class IntentModel(Protocol):
    def predict(self, text: str) -> Guess: ...


def load_intent_model() -> IntentModel | None:
    """agentdesk's default intent model, or None when it is not installed."""
    try:
        intents = importlib.import_module("agentdesk.intents")
    except ImportError:
        return None
    model: IntentModel = intents.load_default()
    return model


class ModelClassifier:
    """A `Classify` that loads the intent model on first use, once."""

    def __init__(self, load: Callable[[], IntentModel | None] = load_intent_model) -> None:
        self._load = load
        self._loaded = False
        self._model: IntentModel | None = None

    def __call__(self, text: str) -> Guess | None:
        if not self._loaded:
            self._model, self._loaded = self._load(), True
        if self._model is None:
            return None
        guess = self._model.predict(text)
        return IntentGuess(guess.intent, guess.confidence, guess.in_scope)


async def receive(
    store: Store,
    news: Sequence[Arrival | NewTicket],
    *,
    now: datetime,
    classify: Classify | None = None,
    policy: RoutingPolicy | None = None,
    rules: Sequence[TransferRule] | None = None,
    push: bool | None = None,
) -> list[Ticket]:
    """Route each ticket (`domain.intake.route_arrival`) and store them all in one go.

    `policy` and `rules` default to the store's. Tickets without an intent are classified
    when `classify` is given. In push mode (`push`, by default the policy's) each new ticket
    then goes straight to the best available agent, if one may take it now.
    """
    policy = store.routing_policy if policy is None else policy
    push = policy.push if push is None else push
    rules = store.transfer_rules if rules is None else rules
    arrivals = [item if isinstance(item, Arrival) else Arrival(item) for item in news]
    departments = {department.id for department in await store.departments()}
    tiers = await _customer_tiers(store, arrivals) if any(r.customer_tiers for r in rules) else {}
    routed = [
        route_arrival(
            arrival,
            guess=_guess(classify, arrival.ticket),
            customer_tier=tiers.get(arrival.ticket.customer_id),
            policy=policy,
            rules=rules,
            departments=departments,
        ).ticket
        for arrival in arrivals
    ]
    tickets = await store.add_tickets(routed, now=now)
    if not push:
        return tickets
    assigned = [await store.auto_assign(ticket.id, now, policy) for ticket in tickets]
    return [after or before for before, after in zip(tickets, assigned, strict=True)]


def _guess(classify: Classify | None, new: NewTicket) -> Guess | None:
    if classify is None or new.intent:
        return None
    return classify(ticket_text(new.subject, new.body))


async def _customer_tiers(store: Store, arrivals: Sequence[Arrival]) -> dict[str, CustomerTier]:
    tiers: dict[str, CustomerTier] = {}
    for customer_id in {arrival.ticket.customer_id for arrival in arrivals}:
        try:
            tiers[customer_id] = (await store.customer(customer_id)).tier
        except NotFound:
            continue  # add_tickets refuses the batch with the right message
    return tiers
