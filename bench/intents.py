"""Intent detection: quality on the dev splits, training time, prediction latency.

For each dataset of ../shared/data (banking77, clinc150, bitext_customer_support) the model is
trained on `train.csv` and calibrated on `dev.csv` (as `agentdesk intents train FILE --dev
dev.csv` does), then evaluated on `dev.csv`. Top-1 accuracy and macro-F1 do not depend on the
calibration; the figures that do (in-scope accuracy and out-of-scope recall, coverage) are
also given "cross-calibrated": calibrated on one half of dev and measured on the other, both
ways, averaged, so that they are not measured on the data the threshold was picked on.

Also measured: training time on the whole train split and on a 10,000-example sample of
CLINC150 (calibrated on a held-out tenth: two fits, the slowest way), single-ticket
prediction latency (`model.predict(text)` one at a time, p50/p95 over dev texts) and the
saved model's size.

    python bench/intents.py [--data ../shared/data] [--latency 500]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from agentdesk.intents.data import Example, load_examples
from agentdesk.intents.evaluate import evaluate, score
from agentdesk.intents.model import IntentModel
from agentdesk.intents.train import calibrate, train

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("banking77", "clinc150", "bitext_customer_support")
SAMPLE = 10_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def latencies(model: IntentModel, texts: list[str]) -> tuple[float, float]:
    model.predict(texts[0])  # loads the embedding weights
    times = []
    for text in texts:
        started = time.perf_counter()
        model.predict(text)
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def cross_calibrated(model: IntentModel, dev: list[Example]) -> dict[str, float]:
    """Threshold-dependent figures, calibrated on one half of dev and measured on the other."""
    order = list(range(len(dev)))
    random.Random(0).shuffle(order)
    halves = order[: len(order) // 2], order[len(order) // 2 :]
    scores = model.scores([example.text for example in dev])
    figures: dict[str, list[float]] = {}
    original = model.temperature, model.threshold
    try:
        for fit_on, measure_on in (halves, halves[::-1]):
            calibration = calibrate(model.labels, scores[fit_on], [dev[i].label for i in fit_on])
            model.temperature, model.threshold = calibration.temperature, calibration.threshold
            part = [dev[i] for i in measure_on]
            predictions = model.predict_many([example.text for example in part])
            result = score(model, part, predictions, 0.0)
            for name in ("coverage", "accepted_accuracy", "in_scope_accuracy", "oos_recall"):
                value = getattr(result, name)
                if value is not None:
                    figures.setdefault(name, []).append(value)
    finally:
        model.temperature, model.threshold = original
    return {name: statistics.mean(values) for name, values in figures.items()}


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--latency", type=int, default=500, help="texts timed one by one")
    args = parser.parse_args()

    rows = []
    for name in DATASETS:
        examples = load_examples(args.data / name / "train.csv")
        dev = load_examples(args.data / name / "dev.csv")
        started = time.perf_counter()
        model = train(examples, dev)
        train_seconds = time.perf_counter() - started
        result = evaluate(model, dev)
        cross = cross_calibrated(model, dev)
        p50, p95 = latencies(model, [example.text for example in dev[: args.latency]])
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.npz"
            model.save(path)
            size = path.stat().st_size / 1e6
        rows.append((name, len(examples), result, cross, train_seconds, p50, p95, size))
        print(f"{name}: done in {time.perf_counter() - started:.0f} s", flush=True)

    clinc = load_examples(args.data / "clinc150" / "train.csv")
    sample = random.Random(0).sample(clinc, SAMPLE)
    started = time.perf_counter()
    train(sample)
    sample_seconds = time.perf_counter() - started

    print()
    print(
        "| dataset | train n | accuracy | macro-F1 | threshold | to specialist (right) "
        "| in-scope acc | oos recall | cross-cal. in-scope / oos / to specialist "
        "| train s | predict ms p50 / p95 | batch ms/item | model MB |"
    )
    print("|---" * 13 + "|")
    for name, count, result, cross, seconds, p50, p95, size in rows:
        cross_text = (
            f"{pct(cross.get('in_scope_accuracy'))} / {pct(cross.get('oos_recall'))} / "
            f"{pct(cross['coverage'])} ({pct(cross['accepted_accuracy'])})"
        )
        print(
            f"| {name} | {count} | {pct(result.accuracy)} | {pct(result.macro_f1)} "
            f"| {result.threshold:.2f} | {pct(result.coverage)} ({pct(result.accepted_accuracy)}) "
            f"| {pct(result.in_scope_accuracy)} | {pct(result.oos_recall)} | {cross_text} "
            f"| {seconds:.1f} | {p50:.2f} / {p95:.2f} | {result.ms_per_item:.2f} | {size:.1f} |"
        )
    print()
    print(
        f"training on {SAMPLE} CLINC150 examples (held-out calibration, two fits): "
        f"{sample_seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
