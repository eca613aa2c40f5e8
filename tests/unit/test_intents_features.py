"""The features a model sees: our analyzers agree with scikit-learn's, and numpy's TF-IDF with
scikit-learn's, so a model scores the same after training and after loading."""

from __future__ import annotations

import logging
import subprocess
import sys

import numpy as np
import pytest
import requests
from sklearn.feature_extraction.text import TfidfVectorizer

from agentdesk.intents.features import Analyzer, Embedder, normalize, shared_embedder
from agentdesk.intents.model import TfidfBlock

TEXTS = [
    "How can I cancel   purchase 113542617735902?",
    "I'd like to GET a refund, please!!",
    "where is my order — it's late",
    "a b",
    "Café crème? naïve résumé",
    "",
]


def test_normalize_lowers_spaces_and_zeroes_digits() -> None:
    assert normalize("  Order  #12\tby 3 PM\n") == "order #00 by 0 pm"


@pytest.mark.parametrize(
    ("analyzer", "sklearn_options"),
    [
        (Analyzer("word", 1, 2), {"analyzer": "word", "ngram_range": (1, 2)}),
        (Analyzer("word", 1, 3), {"analyzer": "word", "ngram_range": (1, 3)}),
        (Analyzer("char_wb", 2, 5), {"analyzer": "char_wb", "ngram_range": (2, 5)}),
        (Analyzer("char_wb", 1, 1), {"analyzer": "char_wb", "ngram_range": (1, 1)}),
    ],
)
def test_analyzers_match_scikit_learn_on_normalized_text(
    analyzer: Analyzer, sklearn_options: dict[str, object]
) -> None:
    reference = TfidfVectorizer(
        token_pattern=r"(?u)\b\w+\b", lowercase=False, **sklearn_options
    ).build_analyzer()
    for text in TEXTS:
        assert analyzer(text) == reference(normalize(text)), text


def test_analyzer_round_trips_through_json() -> None:
    analyzer = Analyzer("char_wb", 2, 4)
    assert Analyzer.from_json(analyzer.to_json()) == analyzer
    with pytest.raises(ValueError):
        Analyzer.from_json({"kind": "char", "ngrams": [1, 2]})
    with pytest.raises(ValueError):
        Analyzer("word", 3, 2)


@pytest.mark.parametrize("analyzer", [Analyzer("word", 1, 2), Analyzer("char_wb", 2, 5)])
def test_tfidf_block_matches_scikit_learn(analyzer: Analyzer) -> None:
    training = [*TEXTS[:4], "cancel my order", "refund my purchase please please"]
    vectorizer = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32)
    vectorizer.fit(training)
    block = TfidfBlock(analyzer, dict(vectorizer.vocabulary_), vectorizer.idf_, weight=1.0)
    for text in [*TEXTS, "please cancel cancel the refund of order 12"]:
        expected = vectorizer.transform([text]).toarray()[0]
        indices, values = block.features(text)
        ours = np.zeros(len(block.vocabulary), dtype=np.float32)
        ours[indices] = values
        np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-7)


def test_embeddings_are_unit_length() -> None:
    vectors = shared_embedder().embed(["where is my parcel", "", "   "])
    assert vectors.shape == (3, 256)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)
    again = shared_embedder().embed(["where is my parcel"])
    np.testing.assert_array_equal(again[0], vectors[0])


def test_the_embedder_loads_from_the_package_without_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("tried to download")

    monkeypatch.setattr(requests, "get", no_network)
    assert Embedder().embed(["hello"]).shape == (1, 256)


def test_loading_wordllama_leaves_logging_alone() -> None:
    # wordllama calls logging.basicConfig() on import; in the TUI that would print log records
    # over the screen.
    program = (
        "import logging\n"
        "from agentdesk.intents.features import Embedder\n"
        "Embedder()\n"
        "root = logging.getLogger()\n"
        "print(len(root.handlers), root.level)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["0", str(logging.WARNING)]
