"""Transfer rules: every condition a rule sets must hold, and the first matching rule wins."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentdesk.domain.model import Channel, CustomerTier
from agentdesk.domain.transfers import TicketFacts, TransferRule, match_rule

REFUND = TicketFacts(
    intent="get_refund",
    text="Refund please\nMy card was charged twice, I think it is fraud.",
    channel=Channel.PHONE,
    customer_tier=CustomerTier.VIP,
)


def rule(name: str = "r", department: str = "billing", **conditions: object) -> TransferRule:
    return TransferRule(name, department, f"note {name}", **conditions)  # type: ignore[arg-type]


def test_each_condition_on_its_own() -> None:
    assert rule(intents=frozenset({"get_refund", "payment_issue"})).matches(REFUND)
    assert not rule(intents=frozenset({"track_order"})).matches(REFUND)
    assert rule(channels=frozenset({Channel.PHONE})).matches(REFUND)
    assert not rule(channels=frozenset({Channel.EMAIL, Channel.CHAT})).matches(REFUND)
    assert rule(customer_tiers=frozenset({CustomerTier.VIP})).matches(REFUND)
    assert not rule(customer_tiers=frozenset({CustomerTier.STANDARD})).matches(REFUND)
    assert rule(keywords=("fraud",)).matches(REFUND)
    assert not rule(keywords=("chargeback",)).matches(REFUND)


def test_every_condition_set_must_hold() -> None:
    both = rule(intents=frozenset({"get_refund"}), channels=frozenset({Channel.EMAIL}))
    assert not both.matches(REFUND)
    assert both.matches(replace(REFUND, channel=Channel.EMAIL))


def test_an_unknown_customer_tier_matches_only_rules_without_tiers() -> None:
    unknown = replace(REFUND, customer_tier=None)
    assert not rule(customer_tiers=frozenset(CustomerTier)).matches(unknown)
    assert rule(keywords=("fraud",)).matches(unknown)


@pytest.mark.parametrize(
    ("keyword", "matches"),
    [
        ("FRAUD", True),  # any case
        ("charged twice", True),  # a phrase
        ("charged   twice", True),  # spacing in the rule does not matter
        ("card was", True),
        ("frau", False),  # whole words only
        ("raud", False),
        ("twice i", False),  # punctuation is part of the text
        ("refund", True),  # the subject counts too
    ],
)
def test_keywords_are_whole_words_or_phrases_in_any_case(keyword: str, matches: bool) -> None:
    assert rule(keywords=(keyword,)).matches(REFUND) is matches


def test_keywords_match_across_a_line_break_and_with_regex_characters() -> None:
    facts = replace(REFUND, text="Help with C++ please\ncharged\ntwice (again)")
    assert rule(keywords=("charged twice",)).matches(facts)
    assert rule(keywords=("c++",)).matches(facts)
    assert rule(keywords=("(again)",)).matches(facts)
    assert not rule(keywords=("help with c",)).matches(replace(facts, text="help with cats"))


def test_any_one_keyword_is_enough() -> None:
    assert rule(keywords=("chargeback", "fraud")).matches(REFUND)


def test_first_matching_rule_wins_in_order() -> None:
    vip = rule("vip", "vip-desk", customer_tiers=frozenset({CustomerTier.VIP}))
    fraud = rule("fraud", "risk", keywords=("fraud",))
    assert match_rule([vip, fraud], REFUND) is vip
    assert match_rule([fraud, vip], REFUND) is fraud
    assert match_rule([rule(keywords=("nothing",)), fraud], REFUND) is fraud
    assert match_rule([], REFUND) is None
    assert match_rule([rule(keywords=("nothing",))], REFUND) is None


# -- properties -----------------------------------------------------------------------------
words = st.text(alphabet="abcdefghij", min_size=1, max_size=6)
facts_strategy = st.builds(
    TicketFacts,
    intent=st.sampled_from(["get_refund", "track_order", "complaint", ""]),
    text=st.lists(words, max_size=8).map(" ".join),
    channel=st.sampled_from(list(Channel)),
    customer_tier=st.sampled_from([*CustomerTier, None]),
)
rules_strategy = st.builds(
    TransferRule,
    name=words,
    department=st.sampled_from(["billing", "risk", "triage"]),
    note=st.just("n"),
    intents=st.frozensets(st.sampled_from(["get_refund", "track_order", "complaint"])),
    keywords=st.lists(words, max_size=2).map(tuple),
    channels=st.frozensets(st.sampled_from(list(Channel))),
    customer_tiers=st.frozensets(st.sampled_from(list(CustomerTier))),
)


@given(rules=st.lists(rules_strategy, max_size=5), facts=facts_strategy)
def test_the_chosen_rule_is_the_first_that_matches(
    rules: list[TransferRule], facts: TicketFacts
) -> None:
    chosen = match_rule(rules, facts)
    matching = [index for index, candidate in enumerate(rules) if candidate.matches(facts)]
    if chosen is None:
        assert matching == []
    else:
        assert rules.index(chosen) == matching[0]


@given(base=rules_strategy, extra=rules_strategy, facts=facts_strategy)
def test_more_conditions_never_match_more_tickets(
    base: TransferRule, extra: TransferRule, facts: TicketFacts
) -> None:
    """Adding a condition to a rule can only narrow it: conditions are joined by 'and'."""
    narrower = replace(
        base,
        intents=base.intents or extra.intents,
        channels=base.channels or extra.channels,
        customer_tiers=base.customer_tiers or extra.customer_tiers,
        keywords=base.keywords or extra.keywords,
    )
    if narrower.matches(facts):
        assert base.matches(facts)


@given(facts=facts_strategy)
def test_a_rule_without_conditions_matches_everything(facts: TicketFacts) -> None:
    assert not rule().has_conditions
    assert rule().matches(facts)


@given(facts=facts_strategy, keyword=words)
def test_keyword_case_does_not_matter(facts: TicketFacts, keyword: str) -> None:
    lower = rule(keywords=(keyword.lower(),)).matches(facts)
    assert rule(keywords=(keyword.upper(),)).matches(facts) is lower
    assert rule(keywords=(keyword,)).matches(replace(facts, text=facts.text.upper())) is lower
