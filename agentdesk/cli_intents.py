"""`agentdesk intents`: train an intent model on labelled tickets, evaluate it, try it.

numpy, WordLlama and scikit-learn load only once one of these commands runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentdesk.cli import EXIT_OK, CliError

if TYPE_CHECKING:
    from agentdesk.intents.evaluate import Evaluation
    from agentdesk.intents.model import IntentModel

FILE_HELP = "a CSV file with `text` and `label` (or `intent`) columns, or JSONL with those fields"


def add_parser(commands: Any) -> None:
    """Add `intents` and its subcommands to the `agentdesk` subcommands."""
    intents = commands.add_parser(
        "intents",
        help="train and evaluate the intent model that labels incoming tickets",
        description="Train an intent model on labelled examples, evaluate one, or try one on "
        "a text. Examples labelled `oos` teach the model what is out of scope.",
    )
    verbs = intents.add_subparsers(dest="intents_command", metavar="COMMAND", required=True)

    train = verbs.add_parser(
        "train",
        help="train a model and save it",
        description="Train a model on FILE and save it to --model. Its confidence is "
        "calibrated on --dev, else on a tenth of FILE held out for the purpose.",
    )
    train.add_argument("file", type=Path, metavar="FILE", help=FILE_HELP)
    train.add_argument("--model", type=Path, required=True, metavar="PATH", help="where to save")
    train.add_argument(
        "--dev", type=Path, metavar="FILE", help="labelled examples to calibrate the confidence on"
    )

    evaluate = verbs.add_parser(
        "eval",
        help="measure a model on labelled examples",
        description="Predict every example of FILE and compare with its label.",
    )
    evaluate.add_argument("file", type=Path, metavar="FILE", help=FILE_HELP)
    evaluate.add_argument(
        "--model", type=Path, metavar="PATH", help="the model (default: the shipped one)"
    )
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    predict = verbs.add_parser(
        "predict", help="show the intent of a text", description="Show what a model makes of TEXT."
    )
    predict.add_argument("text", metavar="TEXT", help="a ticket's subject and message")
    predict.add_argument(
        "--model", type=Path, metavar="PATH", help="the model (default: the shipped one)"
    )


def run(args: argparse.Namespace) -> int:
    from agentdesk.intents.data import DataError
    from agentdesk.intents.model import ModelError
    from agentdesk.intents.train import TrainingError

    try:
        if args.intents_command == "train":
            return run_train(args.file, args.model, args.dev)
        if args.intents_command == "eval":
            return run_eval(args.file, args.model, as_json=args.json)
        return run_predict(args.text, args.model)
    except (DataError, ModelError, TrainingError) as error:
        raise CliError(str(error)) from None


def run_train(file: Path, model_path: Path, dev_file: Path | None) -> int:
    from agentdesk.intents.data import load_examples
    from agentdesk.intents.model import OOS_LABEL
    from agentdesk.intents.train import train

    folder = model_path.parent
    if not folder.is_dir():
        raise CliError(f"{folder}: no such directory for the model")
    started = time.perf_counter()

    def say(message: str) -> None:
        sys.stderr.write(f"[{time.perf_counter() - started:5.1f} s] {message}\n")
        sys.stderr.flush()

    examples = load_examples(file)
    dev = load_examples(dev_file) if dev_file is not None else None
    labels = {example.label for example in examples}
    say(f"read {len(examples)} examples with {len(labels)} labels from {file}")
    if OOS_LABEL in labels and dev is None:
        say(
            f"note: the `{OOS_LABEL}` threshold is picked on the few `{OOS_LABEL}` examples held "
            "out; pass --dev for a steadier one"
        )
    model = train(examples, dev, progress=say)
    model.save(model_path)
    say(f"saved {model_path} ({model_path.stat().st_size / 1e6:.1f} MB)")
    return EXIT_OK


def _model(path: Path | None) -> IntentModel:
    from agentdesk.intents import load_default
    from agentdesk.intents.model import IntentModel

    return load_default() if path is None else IntentModel.load(path)


def run_eval(file: Path, model_path: Path | None, *, as_json: bool) -> int:
    from agentdesk.intents.data import load_examples
    from agentdesk.intents.evaluate import evaluate

    examples = load_examples(file)
    model = _model(model_path)
    result = evaluate(model, examples)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json()) + "\n")
    else:
        sys.stdout.write(summary(result))
    return EXIT_OK


def summary(result: Evaluation) -> str:
    lines = [
        f"examples           {result.n}",
        f"accuracy           {result.accuracy:.1%}",
        f"macro-F1           {result.macro_f1:.1%}",
    ]
    if result.in_scope_accuracy is not None and result.oos_recall is not None:
        lines += [
            f"in-scope accuracy  {result.in_scope_accuracy:.1%}",
            f"out-of-scope recall {result.oos_recall:.1%} (sent to triage)",
        ]
    lines += [
        f"to a specialist    {result.coverage:.1%} of tickets (confidence >= "
        f"{result.threshold:.2f}), {result.accepted_accuracy:.1%} of them right",
        f"speed              {result.ms_per_item:.2f} ms per ticket",
    ]
    if result.confused:
        lines.append("most confused (label -> predicted):")
        lines += [f"  {count:4d}  {label} -> {guess}" for label, guess, count in result.confused]
    return "\n".join(lines) + "\n"


def run_predict(text: str, model_path: Path | None) -> int:
    model = _model(model_path)
    prediction = model.predict(text)
    where = "specialist" if prediction.in_scope else "general triage"
    lines = [f"{prediction.intent}  {prediction.confidence:.2f}  -> {where}"]
    lines += [f"  {intent}  {confidence:.2f}" for intent, confidence in prediction.alternatives]
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
