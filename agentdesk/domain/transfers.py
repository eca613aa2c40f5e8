"""Transfer rules: conditions on a ticket's facts that send it to a department automatically.

A rule matches when every condition it sets holds; a condition left empty holds for any
ticket. Rules are tried in the order they are written and the first match wins, so put the
narrow rules (a VIP's fraud claim) before the broad ones (any fraud claim).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from agentdesk.domain.model import Channel, CustomerTier


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a rule may look at: the ticket's intent, its words, channel and customer."""

    intent: str
    # Subject and first customer message, as one text.
    text: str
    channel: Channel
    customer_tier: CustomerTier | None = None


@dataclass(frozen=True, slots=True)
class TransferRule:
    name: str
    department: str
    # The context note the receiving agent reads; said once here rather than per ticket.
    note: str
    intents: frozenset[str] = frozenset()
    # Words or phrases, any of which must occur as whole words in the text (any case).
    keywords: tuple[str, ...] = ()
    channels: frozenset[Channel] = frozenset()
    customer_tiers: frozenset[CustomerTier] = frozenset()

    @property
    def has_conditions(self) -> bool:
        return bool(self.intents or self.keywords or self.channels or self.customer_tiers)

    def matches(self, facts: TicketFacts) -> bool:
        if self.intents and facts.intent not in self.intents:
            return False
        if self.channels and facts.channel not in self.channels:
            return False
        if self.customer_tiers and facts.customer_tier not in self.customer_tiers:
            return False
        return not self.keywords or keyword_pattern(self.keywords).search(facts.text) is not None


@dataclass(frozen=True, slots=True)
class RuleMove:
    """A rule moved a ticket: which rule, the department it left, and the rule's note."""

    rule: str
    source: str
    note: str


@lru_cache(maxsize=256)
def keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for any of `keywords`, each a whole word or phrase; spacing may vary."""
    phrases = (r"\s+".join(map(re.escape, keyword.split())) for keyword in keywords)
    alternatives = "|".join(phrase for phrase in phrases if phrase)
    if not alternatives:
        return re.compile(r"(?!)")  # no words at all: matches nothing
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def match_rule(rules: Iterable[TransferRule], facts: TicketFacts) -> TransferRule | None:
    """The first rule, in order, that matches `facts`."""
    return next((rule for rule in rules if rule.matches(facts)), None)
