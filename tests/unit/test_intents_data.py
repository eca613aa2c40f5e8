"""Reading labelled examples: CSV and JSONL, and errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentdesk.intents.data import DataError, Example, load_examples


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_csv_with_text_and_label_columns(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.csv",
        'id,text,label\n1,where is my parcel,track_order\n2,"cancel it,\nplease", cancel_order\n',
    )
    assert load_examples(path) == [
        Example("where is my parcel", "track_order"),
        Example("cancel it,\nplease", "cancel_order"),
    ]


def test_csv_label_may_be_called_intent(tmp_path: Path) -> None:
    path = write(tmp_path, "bitext.csv", "\ufefftext,intent\nrefund me,get_refund\n")
    assert load_examples(path) == [Example("refund me", "get_refund")]


def test_jsonl_skips_blank_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.jsonl",
        '{"text": "refund me", "label": "get_refund"}\n\n{"text": "hi", "intent": "greet"}\n',
    )
    assert load_examples(path) == [Example("refund me", "get_refund"), Example("hi", "greet")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.csv", "text,category\nhi,x\n", "line 1: no `label` column (columns: text, category)"),
        ("a.csv", "words,label\nhi,x\n", "line 1: no `text` column (columns: words, label)"),
        ("a.csv", "", "line 1: no `text` column (columns: none)"),
        ("a.csv", 'text,label\na,b\n"two\nlines",x\n" ",y\n', "line 5: `text` is empty"),
        ("a.csv", 'text,label\na,b\n"two\nlines", \n', "line 3: `label` is empty"),
        ("a.csv", "text,label\na,b\nshort\n", "line 3: `label` is missing"),
        ("a.csv", "text,label\n", "no examples"),
        (
            "a.jsonl",
            '{"text": "a", "label": "b"}\n{"text": "a", \n',
            "line 2: not valid JSON (Expecting property name enclosed in double quotes)",
        ),
        ("a.jsonl", '["a", "b"]\n', "line 1: expected a JSON object"),
        ("a.jsonl", '{"text": "a"}\n', "line 1: `label` is missing"),
        ("a.jsonl", '{"text": 3, "label": "b"}\n', "line 1: `text` must be a string"),
        ("a.jsonl", '{"text": "a", "intent": ""}\n', "line 1: `intent` is empty"),
        ("a.txt", "text,label\n", "cannot tell the format; name it *.csv or *.jsonl"),
    ],
)
def test_bad_files_name_the_file_line_and_field(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = write(tmp_path, name, content)
    with pytest.raises(DataError) as raised:
        load_examples(path)
    assert str(raised.value) == f"{path}: {message}"


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="No such file"):
        load_examples(tmp_path / "missing.csv")
    path = write(tmp_path, "latin.csv", "text,label\ncaf\xe9,x\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv: not UTF-8 text"):
        load_examples(path)
