"""How well a model labels a file of examples.

Without an `oos` label in the file, `accuracy` and `macro_f1` judge the best intent as is
(the threshold aside), and `coverage` / `accepted_accuracy` say how many tickets the threshold
lets through to a specialist and how many of those are right.

With `oos` examples, a prediction counts as `oos` when the model says so or is not confident
enough (the ticket goes to triage), as in the CLINC150 evaluation: `accuracy` and `macro_f1`
are over those labels, `in_scope_accuracy` is the share of in-scope examples given their
intent, `oos_recall` the share of out-of-scope ones sent to triage.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from agentdesk.intents.data import Example
from agentdesk.intents.model import OOS_LABEL, IntentModel, IntentPrediction

CONFUSED_PAIRS = 5


@dataclass(frozen=True, slots=True)
class Evaluation:
    n: int
    accuracy: float
    macro_f1: float
    ms_per_item: float
    coverage: float
    accepted_accuracy: float
    threshold: float
    oos_recall: float | None = None
    in_scope_accuracy: float | None = None
    confused: tuple[tuple[str, str, int], ...] = ()
    """The most frequent (true label, predicted label, count) mistakes."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "ms_per_item": round(self.ms_per_item, 3),
            "coverage": round(self.coverage, 4),
            "accepted_accuracy": round(self.accepted_accuracy, 4),
            "threshold": round(self.threshold, 4),
        }
        if self.oos_recall is not None and self.in_scope_accuracy is not None:
            data["oos_recall"] = round(self.oos_recall, 4)
            data["in_scope_accuracy"] = round(self.in_scope_accuracy, 4)
        data["confused"] = [
            {"label": label, "predicted": predicted, "count": count}
            for label, predicted, count in self.confused
        ]
        return data


def evaluate(model: IntentModel, examples: Sequence[Example]) -> Evaluation:
    texts = [example.text for example in examples]
    model.predict(texts[0])  # loads the embedding weights, which are not per-ticket work
    started = time.perf_counter()
    predictions = model.predict_many(texts)
    elapsed = time.perf_counter() - started
    return score(model, examples, predictions, elapsed * 1000 / max(len(examples), 1))


def score(
    model: IntentModel,
    examples: Sequence[Example],
    predictions: Sequence[IntentPrediction],
    ms_per_item: float,
) -> Evaluation:
    truth = [example.label for example in examples]
    accepted = [p for p in predictions if p.in_scope]
    accepted_right = sum(
        p.intent == t for p, t in zip(predictions, truth, strict=True) if p.in_scope
    )
    has_oos = OOS_LABEL in truth
    if has_oos:
        predicted = [p.intent if p.in_scope else OOS_LABEL for p in predictions]
    else:
        predicted = [p.intent for p in predictions]
    pairs = list(zip(truth, predicted, strict=True))
    oos_recall = in_scope_accuracy = None
    if has_oos:
        oos = [guess for label, guess in pairs if label == OOS_LABEL]
        oos_recall = sum(guess == OOS_LABEL for guess in oos) / len(oos)
        in_scope = [(label, guess) for label, guess in pairs if label != OOS_LABEL]
        in_scope_accuracy = (
            sum(label == guess for label, guess in in_scope) / len(in_scope) if in_scope else 0.0
        )
    mistakes = Counter((label, guess) for label, guess in pairs if label != guess)
    return Evaluation(
        n=len(pairs),
        accuracy=sum(label == guess for label, guess in pairs) / max(len(pairs), 1),
        macro_f1=macro_f1(truth, predicted),
        ms_per_item=ms_per_item,
        coverage=len(accepted) / max(len(pairs), 1),
        accepted_accuracy=accepted_right / len(accepted) if accepted else 0.0,
        threshold=model.threshold,
        oos_recall=oos_recall,
        in_scope_accuracy=in_scope_accuracy,
        confused=tuple(
            (label, guess, count) for (label, guess), count in mistakes.most_common(CONFUSED_PAIRS)
        ),
    )


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> float:
    """The mean F1 over every label that is true or predicted somewhere (as scikit-learn's
    `f1_score(average="macro")`: a label never predicted scores 0)."""
    true_positive: Counter[str] = Counter()
    true_count = Counter(truth)
    predicted_count = Counter(predicted)
    for label, guess in zip(truth, predicted, strict=True):
        if label == guess:
            true_positive[label] += 1
    labels = set(true_count) | set(predicted_count)
    if not labels:
        return 0.0
    total = 0.0
    for label in labels:
        denominator = true_count[label] + predicted_count[label]
        total += 2 * true_positive[label] / denominator if denominator else 0.0
    return total / len(labels)
