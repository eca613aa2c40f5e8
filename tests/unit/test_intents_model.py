"""Training, calibration, prediction and model files, on small data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agentdesk.demo import demo_mappings
from agentdesk.intents import load_default
from agentdesk.intents.model import (
    FORMAT_VERSION,
    IntentModel,
    ModelError,
    _write_npz,
    softmax,
    ticket_text,
)
from agentdesk.intents.train import (
    MIN_THRESHOLD,
    OOS_RECALL_TARGET,
    TrainingError,
    calibrate,
    fit_temperature,
    oos_threshold,
    precision_threshold,
    train,
)
from tests.intent_samples import INTENTS, demo_examples, oos_examples


@pytest.fixture(scope="module")
def model() -> IntentModel:
    return train(demo_examples(per_intent=30))


@pytest.fixture(scope="module")
def oos_model() -> IntentModel:
    examples = demo_examples(per_intent=40)
    oos = oos_examples()
    # Calibrate on examples the model has not seen: every fourth of each kind.
    dev = examples[3::4] + oos[3::4]
    training = [e for i, e in enumerate(examples) if i % 4 != 3]
    training += [e for i, e in enumerate(oos) if i % 4 != 3]
    return train(training, dev)


@pytest.fixture(scope="module")
def saved(model: IntentModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.npz"
    model.save(path)
    return path


# -- prediction --------------------------------------------------------------------------------
def test_predicts_a_clear_request(model: IntentModel) -> None:
    prediction = model.predict("Please help me cancel my order, I do not want it anymore")
    assert prediction.intent == "cancel_order"
    assert prediction.in_scope
    assert model.threshold <= prediction.confidence <= 1.0
    others = [confidence for _, confidence in prediction.alternatives]
    assert len(others) == 3 and others == sorted(others, reverse=True)
    assert all(confidence <= prediction.confidence for confidence in others)
    assert "cancel_order" not in dict(prediction.alternatives)


def test_probabilities_sum_to_one_and_batch_equals_single(model: IntentModel) -> None:
    texts = ["where is my package", "reset my password", "unsubscribe me", ""]
    probabilities = model.probabilities(texts)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    singles = np.vstack([model.probabilities([text]) for text in texts])
    # The embedding's matrix product may sum in another order for one row than for many.
    np.testing.assert_allclose(singles, probabilities, atol=1e-5)


def test_not_confident_means_triage(model: IntentModel) -> None:
    text = "where is my package"
    confidence = model.predict(text).confidence
    original = model.threshold
    try:
        model.threshold = min(1.0, confidence + 0.01)
        assert not model.predict(text).in_scope
        model.threshold = confidence
        assert model.predict(text).in_scope
    finally:
        model.threshold = original


def test_training_without_oos_picks_a_precision_threshold(model: IntentModel) -> None:
    assert model.labels == tuple(sorted(INTENTS))
    assert model.oos_label is None
    assert MIN_THRESHOLD <= model.threshold <= 1.0
    assert 0.0 < model.temperature < 10.0
    assert "95%" in model.info["threshold_rule"]
    assert model.info["calibrated_on"].startswith("held-out tenth")
    assert model.info["examples"] == 30 * len(INTENTS)


def test_out_of_scope_is_a_class_and_a_threshold(oos_model: IntentModel) -> None:
    assert oos_model.oos_label == "oos"
    assert "out-of-scope recall" in oos_model.info["threshold_rule"]
    assert oos_model.info["calibration"]["oos_recall"] >= OOS_RECALL_TARGET
    assert oos_model.info["calibrated_on"] == "dev file (74 examples)"
    for text in ("what is the weather like in berlin today", "tell me a joke about dogs"):
        prediction = oos_model.predict(text)
        assert not prediction.in_scope, (text, prediction)
    prediction = oos_model.predict("I forgot my password and cannot log in")
    assert (prediction.intent, prediction.in_scope) == ("recover_password", True)


def test_training_needs_two_labels() -> None:
    with pytest.raises(TrainingError, match="at least two different labels"):
        train(demo_examples(per_intent=10, intents=("cancel_order",)))


def test_two_labels_make_a_model() -> None:
    two = train(demo_examples(per_intent=20, intents=("cancel_order", "get_refund")))
    assert two.labels == ("cancel_order", "get_refund")
    assert two.predict("I want my money back, refund me").intent == "get_refund"
    assert two.predict("cancel the order I placed yesterday").intent == "cancel_order"


# -- calibration -------------------------------------------------------------------------------
def test_fit_temperature_recovers_the_temperature_of_the_data() -> None:
    rng = np.random.default_rng(1)
    scores = rng.normal(0.0, 1.0, (4000, 5)).astype(np.float32)
    probabilities = softmax(scores, 0.4)
    target = np.array([rng.choice(5, p=row / row.sum()) for row in probabilities])
    assert fit_temperature(scores, target) == pytest.approx(0.4, rel=0.1)


def test_fit_temperature_stays_finite_when_every_answer_is_right() -> None:
    scores = np.array([[1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]] * 10)
    temperature = fit_temperature(scores.astype(np.float32), np.array([0, 1, 2] * 10))
    assert 0.1 < temperature < 1.0
    assert softmax(scores[:1].astype(np.float32), temperature).max() < 0.999


def test_precision_threshold_is_the_lowest_that_is_95_percent_right() -> None:
    confidence = np.array([0.95] * 80 + [0.7] * 10 + [0.55] * 10, dtype=np.float32)
    correct = np.array([True] * 80 + [True] * 5 + [False] * 5 + [False] * 10)
    threshold, figures = precision_threshold(confidence, correct)
    assert threshold == pytest.approx(0.95)
    assert figures["coverage"] == pytest.approx(0.8)
    assert figures["accepted_accuracy"] == 1.0
    # Everything right: no need to triage, but never below the floor.
    assert precision_threshold(confidence, np.ones(100, dtype=bool))[0] == MIN_THRESHOLD


def test_oos_threshold_keeps_in_scope_accuracy_while_catching_enough() -> None:
    # Ten out-of-scope examples with confidences 0.1..1.0, none predicted `oos`; in scope,
    # correct ones are confident (0.8), wrong ones not (0.3).
    oos_confidence = np.linspace(0.1, 1.0, 10, dtype=np.float32)
    confidence = np.concatenate([oos_confidence, [0.8] * 90, [0.3] * 10]).astype(np.float32)
    is_oos = np.array([True] * 10 + [False] * 100)
    correct = np.array([False] * 10 + [True] * 90 + [False] * 10)
    threshold, figures = oos_threshold(confidence, correct, is_oos, np.zeros(110, dtype=bool))
    # Catching 6 of 10 needs a threshold above 0.6; the best in-scope accuracy keeps 0.8.
    assert 0.6 < threshold <= 0.7 + 1e-6
    assert figures == {"in_scope_accuracy": 0.9, "oos_recall": pytest.approx(0.6)}


def test_calibrate_ignores_labels_the_model_does_not_know() -> None:
    scores = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 0.0]], dtype=np.float32)
    calibration = calibrate(("a", "b"), scores, ["a", "b", "never-seen"])
    assert calibration.temperature > 0
    assert calibration.figures["accuracy"] == pytest.approx(2 / 3)


# -- files -------------------------------------------------------------------------------------
def test_save_and_load_give_identical_predictions(model: IntentModel, saved: Path) -> None:
    loaded = IntentModel.load(saved)
    texts = ["where is my package", "I need a refund for order 1234", "???", "delete me"]
    np.testing.assert_array_equal(loaded.probabilities(texts), model.probabilities(texts))
    assert loaded.predict_many(texts) == model.predict_many(texts)
    assert (loaded.labels, loaded.threshold, loaded.temperature) == (
        model.labels,
        model.threshold,
        model.temperature,
    )
    assert loaded.info == model.info
    assert saved.stat().st_size < 500_000


def test_saving_twice_gives_the_same_bytes(model: IntentModel, saved: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.npz"
    model.save(again)
    assert again.read_bytes() == saved.read_bytes()


def _arrays(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _with_meta(path: Path, target: Path, **changes: object) -> Path:
    arrays = _arrays(path)
    meta = json.loads(arrays["meta"].tobytes())
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    _write_npz(target, arrays)
    return target


def test_bad_model_files_are_explained(saved: Path, tmp_path: Path) -> None:
    def error(path: Path) -> str:
        with pytest.raises(ModelError) as raised:
            IntentModel.load(path)
        message = str(raised.value)
        assert message.startswith(f"{path}: ")
        return message[len(f"{path}: ") :]

    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"\x00not a model at all" * 10)
    assert error(garbage) == "not an agentdesk intent model (unreadable)"
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(saved.read_bytes()[: saved.stat().st_size // 2])
    assert error(truncated) == "not an agentdesk intent model (unreadable)"
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, weights=np.zeros(3))
    assert error(foreign) == "not an agentdesk intent model (no header)"
    assert error(_with_meta(saved, tmp_path / "other.npz", format="something-else")) == (
        "not an agentdesk intent model"
    )
    newer = _with_meta(saved, tmp_path / "newer.npz", version=FORMAT_VERSION + 1)
    assert error(newer) == (
        f"model format version {FORMAT_VERSION + 1} is newer than this agentdesk reads "
        f"(up to {FORMAT_VERSION}); upgrade agentdesk or retrain the model"
    )
    assert error(_with_meta(saved, tmp_path / "bad-t.npz", temperature=-1)) == (
        "damaged intent model (temperature)"
    )
    assert error(_with_meta(saved, tmp_path / "no-labels.npz", labels=[])) == (
        "damaged intent model (labels)"
    )
    assert error(_with_meta(saved, tmp_path / "no-blocks.npz", blocks=[])) == (
        "damaged intent model (weights do not fit the features)"
    )
    assert error(tmp_path / "missing.npz") == "no such model file"
    assert error(tmp_path) == "is a directory, not a model file"


def test_a_model_file_holds_only_plain_arrays(saved: Path) -> None:
    # Loading never unpickles (allow_pickle=False); every entry is numbers or UTF-8 bytes.
    assert {array.dtype.kind for array in _arrays(saved).values()} <= {"f", "u"}


# -- the shipped model -------------------------------------------------------------------------
def test_the_default_model_knows_the_demo_intents() -> None:
    default = load_default()
    assert set(default.labels) == set(demo_mappings)
    assert default.info["calibrated_on"].startswith("dev file")
    prediction = default.predict(ticket_text("Refund", "I want my money back for order 1234"))
    assert prediction.intent == "get_refund" and prediction.in_scope


def test_ticket_text_joins_subject_and_message() -> None:
    assert ticket_text("Refund", "I want my money back") == "Refund. I want my money back"
    # The demo's subjects are cut from the message: no need to say it twice.
    assert ticket_text("Where is my order…", "where is my order 12?") == "where is my order 12?"
    assert ticket_text("Help", "  ") == "Help"
