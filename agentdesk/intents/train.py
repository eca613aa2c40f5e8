"""Training an intent model with scikit-learn, and calibrating its confidence.

Features: TF-IDF over word 1-2-grams and over character 2-5-grams inside words (each block
unit length), plus a WordLlama sentence embedding; a `LinearSVC` (one-vs-rest) learns the
weights. The scores are then calibrated on examples the classifier did not see: the `--dev`
file when given, else a stratified tenth of the training data held out (the final model is
then refitted on everything with the calibration found).

Calibration fits a softmax temperature (lowest log loss), so a confidence reads as a
probability (a slightly cautious one, see `fit_temperature`), and picks the triage threshold on that confidence:

- with an `oos` class in the data, the threshold that gives the best in-scope accuracy while
  at least 60 % of the out-of-scope examples go to triage (`OOS_RECALL_TARGET`): the goal is
  half of them on new data, and a threshold picked on some hundred examples needs the margin;
- without one, the lowest threshold at which the accepted predictions are 95 % right
  (`PRECISION_TARGET`), and never below 0.5: a ticket goes to a specialist only when its intent
  is more likely right than wrong.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from agentdesk.intents.data import Example
from agentdesk.intents.features import Analyzer, shared_embedder
from agentdesk.intents.model import OOS_LABEL, FloatArray, IntentModel, TfidfBlock, softmax

PRECISION_TARGET = 0.95
MIN_THRESHOLD = 0.5
OOS_RECALL_TARGET = 0.6
HOLDOUT_SHARE = 0.1
LABEL_SMOOTHING = 0.01

Progress = Callable[[str], None]


class TrainingError(Exception):
    """Training data that cannot make a model (too few labels, ...)."""


@dataclass(frozen=True, slots=True)
class TrainConfig:
    analyzers: tuple[Analyzer, ...] = (Analyzer("word", 1, 2), Analyzer("char_wb", 2, 5))
    # A character n-gram seen in one example only is noise, and most of the vocabulary.
    min_df: tuple[int, ...] = (1, 2)
    embedding_weight: float | None = 1.0
    c: float = 0.5
    seed: int = 0


@dataclass(frozen=True, slots=True)
class Calibration:
    temperature: float
    threshold: float
    rule: str
    figures: dict[str, float] = field(default_factory=dict)
    """What the threshold gives on the calibration data (accuracy, coverage, ...)."""


def train(
    examples: Sequence[Example],
    dev: Sequence[Example] | None = None,
    config: TrainConfig | None = None,
    progress: Progress | None = None,
) -> IntentModel:
    """A calibrated model from `examples`; calibrated on `dev` if given, else on a held-out
    tenth of `examples` (then refitted on all of them)."""
    config = config or TrainConfig()
    say = progress or (lambda _message: None)
    labels = sorted({example.label for example in examples})
    if len(labels) < 2:
        raise TrainingError("training needs at least two different labels")
    texts = [example.text for example in examples]
    started = time.perf_counter()
    vectors = _embed(texts, config, say)
    if dev is not None:
        model = fit(texts, [e.label for e in examples], vectors, config, say)
        held_texts, held_labels = [e.text for e in dev], [e.label for e in dev]
        calibration_source = f"dev file ({len(dev)} examples)"
    else:
        kept, held = stratified_split(examples, HOLDOUT_SHARE, config.seed)
        if not len(held):
            raise TrainingError("too few examples to hold some out for calibration")
        say(f"holding out {len(held)} examples for calibration")
        model = fit(
            [texts[i] for i in kept], [examples[i].label for i in kept], vectors[kept], config, say
        )
        held_texts, held_labels = [texts[i] for i in held], [examples[i].label for i in held]
        calibration_source = f"held-out tenth of the training data ({len(held)} examples)"
    say("calibrating confidence")
    calibration = calibrate(model.labels, model.scores(held_texts), held_labels)
    if dev is None:
        say("refitting on all examples")
        model = fit(texts, [e.label for e in examples], vectors, config, say)
    model.temperature = calibration.temperature
    model.threshold = calibration.threshold
    model.info = {
        "examples": len(examples),
        "labels": len(model.labels),
        "calibrated_on": calibration_source,
        "threshold_rule": calibration.rule,
        "calibration": {name: round(value, 4) for name, value in calibration.figures.items()},
        "c": config.c,
    }
    say(
        f"trained in {time.perf_counter() - started:.1f} s; "
        f"temperature {calibration.temperature:.3f}, threshold {calibration.threshold:.3f} "
        f"({calibration.rule})"
    )
    return model


def _embed(texts: list[str], config: TrainConfig, say: Progress) -> FloatArray | None:
    if config.embedding_weight is None:
        return None
    started = time.perf_counter()
    vectors = shared_embedder().embed(texts)
    say(f"embedded {len(texts)} texts in {time.perf_counter() - started:.1f} s")
    return vectors


def fit(
    texts: list[str],
    labels: list[str],
    vectors: FloatArray | None,
    config: TrainConfig,
    say: Progress,
) -> IntentModel:
    """An uncalibrated model (temperature 1, threshold 0) fitted on `texts`."""
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    started = time.perf_counter()
    blocks: list[TfidfBlock] = []
    matrices: list[Any] = []
    for analyzer, min_df in zip(config.analyzers, config.min_df, strict=True):
        vectorizer = TfidfVectorizer(
            analyzer=analyzer, sublinear_tf=True, min_df=min_df, dtype=np.float32
        )
        matrices.append(vectorizer.fit_transform(texts))
        vocabulary = {gram: int(index) for gram, index in vectorizer.vocabulary_.items()}
        blocks.append(TfidfBlock(analyzer, vocabulary, vectorizer.idf_.astype(np.float32)))
    if vectors is not None and config.embedding_weight is not None:
        matrices.append(scipy.sparse.csr_matrix(vectors * np.float32(config.embedding_weight)))
    features = scipy.sparse.hstack(matrices, format="csr", dtype=np.float32)
    classes = sorted(set(labels))
    say(f"fitting {len(classes)} intents on {len(texts)} examples, {features.shape[1]} features")
    classifier = LinearSVC(C=config.c, random_state=config.seed)
    classifier.fit(features, labels)
    coef = np.asarray(classifier.coef_, dtype=np.float32)
    intercept = np.asarray(classifier.intercept_, dtype=np.float32)
    if len(classes) == 2:  # one score for the second class; the first gets its negation
        coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
    say(f"fitted in {time.perf_counter() - started:.1f} s")
    model = IntentModel(
        labels=tuple(str(label) for label in classifier.classes_),
        blocks=blocks,
        embedding_weight=config.embedding_weight if vectors is not None else None,
        coef=np.ascontiguousarray(coef.T),
        intercept=intercept,
    )
    # What is saved is half precision; predict with exactly that from the start, so a model
    # behaves the same before and after a save.
    model.coef = model.coef.astype(np.float16).astype(np.float32)
    return model


def stratified_split(
    examples: Sequence[Example], share: float, seed: int
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Indices (kept, held out): about `share` of each label held out, at least one of every
    label with three or more examples, none of a rarer label."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        by_label[example.label].append(index)
    rng = random.Random(seed)
    held: list[int] = []
    for label in sorted(by_label):
        indices = by_label[label]
        if len(indices) < 3:
            continue
        rng.shuffle(indices)
        held.extend(indices[: max(1, round(len(indices) * share))])
    held_set = set(held)
    kept = [index for index in range(len(examples)) if index not in held_set]
    return np.array(kept, dtype=np.intp), np.array(sorted(held), dtype=np.intp)


# -- calibration -------------------------------------------------------------------------------
def calibrate(labels: Sequence[str], scores: FloatArray, truth: Sequence[str]) -> Calibration:
    """Temperature and triage threshold from held-out `scores` and their true labels."""
    index = {label: i for i, label in enumerate(labels)}
    target = np.array([index.get(label, -1) for label in truth], dtype=np.intp)
    temperature = fit_temperature(scores[target >= 0], target[target >= 0])
    probabilities = softmax(scores, temperature)
    best = probabilities.argmax(axis=1)
    confidence = probabilities[np.arange(len(best)), best]
    correct = best == target
    if OOS_LABEL in index:
        is_oos = np.array([label == OOS_LABEL for label in truth])
        predicted_oos = best == index[OOS_LABEL]
        if is_oos.any():
            threshold, figures = oos_threshold(confidence, correct, is_oos, predicted_oos)
            rule = f"best in-scope accuracy with out-of-scope recall >= {OOS_RECALL_TARGET:.0%}"
            return Calibration(temperature, threshold, rule, figures)
    threshold, figures = precision_threshold(confidence, correct)
    rule = f"accepted predictions >= {PRECISION_TARGET:.0%} right, threshold >= {MIN_THRESHOLD}"
    return Calibration(temperature, threshold, rule, figures)


def fit_temperature(scores: FloatArray, target: npt.NDArray[np.intp]) -> float:
    """The softmax temperature with the lowest log loss against slightly smoothed targets
    (`LABEL_SMOOTHING`): held-out data the model gets all right would otherwise drive the
    temperature to zero and every confidence, right or wrong, to 1. Golden-section search;
    the loss is convex in 1/temperature."""
    if len(target) == 0:
        return 1.0
    rows = np.arange(len(target))
    spread = LABEL_SMOOTHING / scores.shape[1]

    def loss(log_inverse: float) -> float:
        scaled = scores * np.float32(np.exp(log_inverse))
        top = scaled.max(axis=1, keepdims=True)
        log_p = scaled - (np.log(np.exp(scaled - top).sum(axis=1, keepdims=True)) + top)
        smoothed = (1 - LABEL_SMOOTHING) * log_p[rows, target] + spread * log_p.sum(axis=1)
        return float(-np.mean(smoothed))

    low, high = np.log(0.1), np.log(1000.0)
    ratio = (np.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    loss_a, loss_b = loss(a), loss(b)
    for _ in range(60):
        if loss_a < loss_b:
            high, b, loss_b = b, a, loss_a
            a = high - ratio * (high - low)
            loss_a = loss(a)
        else:
            low, a, loss_a = a, b, loss_b
            b = low + ratio * (high - low)
            loss_b = loss(b)
    return float(1.0 / np.exp((low + high) / 2))


def _candidates(confidence: FloatArray) -> FloatArray:
    return np.unique(np.concatenate([confidence, [0.0]]).astype(np.float32))


def precision_threshold(
    confidence: FloatArray, correct: npt.NDArray[np.bool_]
) -> tuple[float, dict[str, float]]:
    chosen = 1.0
    for threshold in _candidates(confidence):
        accepted = confidence >= threshold
        if accepted.any() and correct[accepted].mean() >= PRECISION_TARGET:
            chosen = float(threshold)
            break
    chosen = max(chosen, MIN_THRESHOLD)
    accepted = confidence >= chosen
    return chosen, {
        "accuracy": float(correct.mean()),
        "coverage": float(accepted.mean()),
        "accepted_accuracy": float(correct[accepted].mean()) if accepted.any() else 0.0,
    }


def oos_threshold(
    confidence: FloatArray,
    correct: npt.NDArray[np.bool_],
    is_oos: npt.NDArray[np.bool_],
    predicted_oos: npt.NDArray[np.bool_],
) -> tuple[float, dict[str, float]]:
    best: tuple[float, float, float] | None = None  # (in-scope accuracy, threshold, recall)
    in_scope = ~is_oos
    for threshold in _candidates(confidence):
        triaged = predicted_oos | (confidence < threshold)
        recall = float(triaged[is_oos].mean())
        if recall < OOS_RECALL_TARGET:
            continue
        accuracy = float((correct & ~triaged)[in_scope].mean()) if in_scope.any() else 0.0
        if best is None or accuracy > best[0]:
            best = (accuracy, float(threshold), recall)
    if best is None:  # out-of-scope examples as confident as any: triage everything
        return 1.0, {"in_scope_accuracy": 0.0, "oos_recall": 1.0}
    accuracy, threshold, recall = best
    return threshold, {"in_scope_accuracy": accuracy, "oos_recall": recall}
