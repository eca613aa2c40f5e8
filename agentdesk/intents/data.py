"""Labelled examples from CSV or JSONL files, with errors that name the file and the line.

A CSV file has a header with a `text` column and a `label` column (`intent` is accepted when
there is no `label`, as in the Bitext files); other columns are ignored. A JSONL file has one
object per line with the same two fields. Blank lines in JSONL are skipped.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

TEXT_FIELD = "text"
# The label column, in order of preference.
LABEL_FIELDS = ("label", "intent")


class DataError(Exception):
    """A labelled-examples file that cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str


def load_examples(path: Path) -> list[Example]:
    """Every example of a `.csv` or `.jsonl` file (the extension decides the format)."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise DataError(f"{path}: cannot tell the format; name it *.csv or *.jsonl")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataError(f"{path}: {error.strerror or error}") from None
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataError(f"{path}: not UTF-8 text (byte {error.start})") from None
    examples = list(_csv_examples(path, content) if suffix == ".csv" else _jsonl(path, content))
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def _csv_examples(path: Path, content: str) -> Iterator[Example]:
    reader = csv.DictReader(io.StringIO(content, newline=""))
    columns = reader.fieldnames or []
    if TEXT_FIELD not in columns:
        raise DataError(f"{path}: line 1: no `{TEXT_FIELD}` column (columns: {_names(columns)})")
    label_field = next((name for name in LABEL_FIELDS if name in columns), None)
    if label_field is None:
        raise DataError(f"{path}: line 1: no `label` column (columns: {_names(columns)})")
    try:
        for row in reader:
            # A record may span lines (quoted newlines); name the line it starts on.
            line = reader.line_num - _newlines_in(row)
            yield _example(path, line, row.get(TEXT_FIELD), row.get(label_field), label_field)
    except csv.Error as error:
        raise DataError(f"{path}: line {reader.line_num}: {error}") from None


def _newlines_in(row: dict[str | None, object]) -> int:
    return sum(value.count("\n") for value in row.values() if isinstance(value, str))


def _names(columns: list[str]) -> str:
    return ", ".join(columns) if columns else "none"


def _jsonl(path: Path, content: str) -> Iterator[Example]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"{path}: line {number}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}: line {number}: expected a JSON object")
        label_field = next((name for name in LABEL_FIELDS if name in record), LABEL_FIELDS[0])
        yield _example(path, number, record.get(TEXT_FIELD), record.get(label_field), label_field)


def _example(path: Path, line: int, text: object, label: object, label_field: str) -> Example:
    for field, value in ((TEXT_FIELD, text), (label_field, label)):
        if value is None:
            raise DataError(f"{path}: line {line}: `{field}` is missing")
        if not isinstance(value, str):
            raise DataError(f"{path}: line {line}: `{field}` must be a string")
        if not value.strip():
            raise DataError(f"{path}: line {line}: `{field}` is empty")
    assert isinstance(text, str) and isinstance(label, str)
    return Example(text, label.strip())
