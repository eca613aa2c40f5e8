"""`agentdesk intents train|eval|predict` through `main([...])`."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agentdesk.cli import main
from agentdesk.intents.data import Example
from tests.intent_samples import demo_examples, oos_examples


def write_csv(path: Path, examples: list[Example], label: str = "label") -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", label])
        writer.writerows([example.text, example.label] for example in examples)
    return path


def write_jsonl(path: Path, examples: list[Example]) -> Path:
    lines = [json.dumps({"text": e.text, "label": e.label}) for e in examples]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model, evaluation file): a model trained with `oos` examples, through the CLI."""
    folder = tmp_path_factory.mktemp("intents")
    examples, oos = demo_examples(per_intent=30), oos_examples()
    train_file = write_csv(folder / "train.csv", examples[::2] + oos[::2])
    eval_file = write_jsonl(folder / "dev.jsonl", examples[1::2] + oos[1::2])
    model = folder / "model.npz"
    assert main(["intents", "train", str(train_file), "--model", str(model)]) == 0
    return model, eval_file


def test_train_reports_progress_and_saves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = demo_examples(per_intent=12)
    data = write_csv(tmp_path / "train.csv", examples)
    dev = write_csv(tmp_path / "dev.csv", demo_examples(per_intent=16)[::4], label="intent")
    model = tmp_path / "model.bin"
    assert main(["intents", "train", str(data), "--model", str(model), "--dev", str(dev)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"read {len(examples)} examples with 6 labels" in captured.err
    assert "temperature" in captured.err and "threshold" in captured.err
    assert f"saved {model}" in captured.err
    assert model.exists()


def test_eval_json_has_the_figures_and_oos_ones(
    trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, eval_file = trained
    capsys.readouterr()
    assert main(["intents", "eval", str(eval_file), "--model", str(model), "--json"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    result = json.loads(out)
    assert result["n"] == 90 + 28
    for key in ("accuracy", "macro_f1", "oos_recall", "in_scope_accuracy", "coverage"):
        assert 0.0 <= result[key] <= 1.0, key
    assert result["accuracy"] > 0.7
    assert result["ms_per_item"] > 0


def test_eval_without_oos_labels_has_no_oos_figures(
    trained: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = trained
    data = write_csv(tmp_path / "in-scope.csv", demo_examples(per_intent=3))
    capsys.readouterr()
    assert main(["intents", "eval", str(data), "--model", str(model), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"accuracy", "macro_f1", "n", "ms_per_item"} <= set(result)
    assert "oos_recall" not in result and "in_scope_accuracy" not in result


def test_eval_summary_is_readable(
    trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, eval_file = trained
    capsys.readouterr()
    assert main(["intents", "eval", str(eval_file), "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("examples           118\naccuracy  ")
    assert "in-scope accuracy" in out and "out-of-scope recall" in out
    assert "ms per ticket" in out


def test_eval_uses_the_shipped_model_by_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = write_csv(tmp_path / "bitext.csv", demo_examples(per_intent=2), label="intent")
    capsys.readouterr()
    assert main(["intents", "eval", str(data), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accuracy"] == 1.0


def test_predict_shows_intent_confidence_and_destination(
    trained: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model, _ = trained
    capsys.readouterr()
    assert main(["intents", "predict", "I forgot my password", "--model", str(model)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("recover_password  0.") and first.endswith("-> specialist")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("text,category\nhi,x\n", "line 1: no `label` column (columns: text, category)"),
        ("text,label\nhi,\n", "line 2: `label` is empty"),
    ],
)
def test_bad_training_files_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(content, encoding="utf-8")
    assert main(["intents", "train", str(data), "--model", str(tmp_path / "m.npz")]) == 1
    assert capsys.readouterr().err == f"agentdesk: {data}: {message}\n"
    assert not (tmp_path / "m.npz").exists()


def test_other_failures_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = write_csv(tmp_path / "one.csv", demo_examples(per_intent=3, intents=("get_refund",)))
    assert main(["intents", "train", str(data), "--model", str(tmp_path / "m.npz")]) == 1
    assert capsys.readouterr().err.endswith(
        "agentdesk: training needs at least two different labels\n"
    )
    nowhere = tmp_path / "missing" / "m.npz"
    assert main(["intents", "train", str(data), "--model", str(nowhere)]) == 1
    assert (
        capsys.readouterr().err == f"agentdesk: {nowhere.parent}: no such directory for the model\n"
    )
    assert main(["intents", "eval", str(data), "--model", str(data)]) == 1
    assert capsys.readouterr().err == (
        f"agentdesk: {data}: not an agentdesk intent model (unreadable)\n"
    )
    assert main(["intents", "eval", str(tmp_path / "none.csv")]) == 1
    assert "none.csv: No such file or directory" in capsys.readouterr().err


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intents"]) == 2
    assert "required: COMMAND" in capsys.readouterr().err
    assert main(["intents", "train", "x.csv"]) == 2
    assert "--model" in capsys.readouterr().err


def test_the_command_line_loads_no_numpy_until_a_command_runs() -> None:
    code = (
        "import sys, agentdesk.cli, agentdesk.intents\n"
        "agentdesk.cli.build_parser().parse_args(['intents', 'eval', 'x.csv', '--json'])\n"
        "heavy = ('numpy', 'sklearn', 'scipy', 'wordllama', 'agentdesk.intents.model')\n"
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
