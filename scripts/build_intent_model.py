"""Train the intent model agentdesk ships, on the demo's Bitext intents.

Usage: python scripts/build_intent_model.py [--source /work/shared/data] [--target PATH]

Trains on `bitext_customer_support/train.csv` (label column `intent`), calibrates the confidence
on its `dev.csv`, and writes `agentdesk/intents/default_model/intents.npz`. The same data and
library versions give the same bytes, so a rebuild can be checked with `git diff --stat`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from agentdesk.intents import DEFAULT_MODEL
from agentdesk.intents.data import load_examples
from agentdesk.intents.evaluate import evaluate
from agentdesk.intents.train import train

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("/work/shared/data"))
    parser.add_argument(
        "--target",
        type=Path,
        default=REPO / "agentdesk" / "intents" / "default_model" / DEFAULT_MODEL,
    )
    args = parser.parse_args()
    data = args.source / "bitext_customer_support"
    started = time.perf_counter()

    def say(message: str) -> None:
        sys.stderr.write(f"[{time.perf_counter() - started:5.1f} s] {message}\n")

    examples = load_examples(data / "train.csv")
    dev = load_examples(data / "dev.csv")
    model = train(examples, dev, progress=say)
    model.save(args.target)
    result = evaluate(model, dev)
    say(
        f"saved {args.target} ({args.target.stat().st_size / 1e6:.2f} MB); dev accuracy "
        f"{result.accuracy:.1%}, {result.coverage:.1%} to a specialist"
    )


if __name__ == "__main__":
    main()
