"""Small labelled data for the intent tests: requests from the shipped demo data, and made-up
out-of-scope questions."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from importlib.resources import files

from agentdesk.intents.data import Example

# Some demo intents, far enough apart for a model trained on a few examples each.
INTENTS = (
    "cancel_order",
    "track_order",
    "get_refund",
    "recover_password",
    "newsletter_subscription",
    "delete_account",
)

_QUESTIONS = (
    "what is the weather like in {} today",
    "tell me a joke about {}",
    "how many calories are in {}",
    "play some music by {}",
    "who won the game in {} last night",
    "what time is it in {} right now",
    "translate hello into the language of {}",
    "set an alarm and remind me about {}",
)
_THINGS = ("paris", "cats", "pizza", "the beatles", "tokyo", "bananas", "madrid")
OUT_OF_SCOPE = tuple(q.format(t) for q, t in itertools.product(_QUESTIONS, _THINGS))


def demo_examples(per_intent: int, intents: tuple[str, ...] = INTENTS) -> list[Example]:
    """The first `per_intent` demo requests of each intent (the data agentdesk ships)."""
    lines = files("agentdesk").joinpath("demo_data", "bitext", "requests.jsonl").read_text()
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for line in lines.splitlines():
        row = json.loads(line)
        if row["intent"] in intents and len(by_intent[row["intent"]]) < per_intent:
            by_intent[row["intent"]].append(Example(row["text"], row["intent"]))
    return [example for intent in intents for example in by_intent[intent]]


def oos_examples() -> list[Example]:
    return [Example(text, "oos") for text in OUT_OF_SCOPE]
