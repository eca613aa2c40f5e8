"""What the classifier sees of a text: word and character n-grams, and a sentence embedding.

The n-gram analyzers are written here, not taken from scikit-learn, because a saved model is
used without scikit-learn: training hands the same analyzer to `TfidfVectorizer(analyzer=...)`,
so the features at training and at prediction are the same by construction.

The embedding is WordLlama's (static token embeddings averaged over the text); its weights ship
inside the `wordllama` wheel, so nothing is downloaded, ever.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

AnalyzerKind = Literal["word", "char_wb"]
ANALYZER_KINDS: tuple[AnalyzerKind, ...] = ("word", "char_wb")

_WORD = re.compile(r"\w+")
_DIGIT = re.compile(r"\d")

EMBEDDING_CONFIG = "l2_supercat"
EMBEDDING_DIM = 256


def normalize(text: str) -> str:
    """Lower case, single spaces, every digit a 0: order numbers and amounts say little about
    the intent, and a number the model never saw should look like the ones it did."""
    return _DIGIT.sub("0", " ".join(text.lower().split()))


@dataclass(frozen=True, slots=True)
class Analyzer:
    """Turns a text into n-grams: of words (`word`) or of characters inside words (`char_wb`,
    each word padded with a space on both sides, as scikit-learn's `char_wb` does)."""

    kind: AnalyzerKind
    min_n: int
    max_n: int

    def __post_init__(self) -> None:
        if self.kind not in ANALYZER_KINDS:
            raise ValueError(f"unknown analyzer kind {self.kind!r}")
        if not 1 <= self.min_n <= self.max_n:
            raise ValueError(f"bad n-gram range {self.min_n}..{self.max_n}")

    def __call__(self, text: str) -> list[str]:
        normal = normalize(text)
        if self.kind == "word":
            return _word_ngrams(_WORD.findall(normal), self.min_n, self.max_n)
        return _char_wb_ngrams(normal, self.min_n, self.max_n)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "ngrams": [self.min_n, self.max_n]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Analyzer:
        low, high = data["ngrams"]
        return cls(data["kind"], int(low), int(high))


def _word_ngrams(words: list[str], min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    count = len(words)
    for n in range(min_n, max_n + 1):
        if n == 1:
            grams.extend(words)
            continue
        grams.extend(" ".join(words[start : start + n]) for start in range(count - n + 1))
    return grams


def _char_wb_ngrams(text: str, min_n: int, max_n: int) -> list[str]:
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        length = len(padded)
        for n in range(min_n, max_n + 1):
            if length <= n:  # a short word counts once, whole
                grams.append(padded)
                break
            grams.extend(padded[start : start + n] for start in range(length - n + 1))
    return grams


class Embedder:
    """Sentence embeddings from WordLlama's packaged weights: the mean of the text's token
    vectors, scaled to unit length, float32. (WordLlama's own `embed` does the same for padded
    batches; this is a few times faster for the one ticket at a time the app asks about.)"""

    def __init__(self) -> None:
        model = _load_wordllama()
        self._weights: npt.NDArray[np.float32] = model.embedding
        self._tokenizer = model.tokenizer
        self._tokenizer.no_padding()

    def embed(self, texts: list[str]) -> npt.NDArray[np.float32]:
        import numpy as np

        # An empty text has no tokens to average; "." stands in for it.
        normal = [" ".join(text.split()) or "." for text in texts]
        if len(normal) == 1:
            encodings = [self._tokenizer.encode(normal[0], add_special_tokens=False)]
        else:
            encodings = self._tokenizer.encode_batch(normal, add_special_tokens=False)
        ids = [encoding.ids or [0] for encoding in encodings]
        lengths = np.fromiter((len(row) for row in ids), dtype=np.intp, count=len(ids))
        flat = np.fromiter((i for row in ids for i in row), dtype=np.intp, count=int(lengths.sum()))
        np.minimum(flat, len(self._weights) - 1, out=flat)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        vectors = np.add.reduceat(self._weights[flat], starts, axis=0)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors


_embedder: Embedder | None = None
_embedder_lock = threading.Lock()


def shared_embedder() -> Embedder:
    """One embedder per process: its weights take 30 MB and a tenth of a second to load."""
    global _embedder
    with _embedder_lock:  # models may be loaded from more than one worker thread
        if _embedder is None:
            _embedder = Embedder()
        return _embedder


def _load_wordllama() -> Any:
    # wordllama calls logging.basicConfig() when imported, which would send every library's
    # INFO records to stderr (and through the TUI's screen); undo that.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        import wordllama
    finally:
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    from pathlib import Path

    package_dir = Path(wordllama.__file__).parent
    return wordllama.WordLlama.load(
        EMBEDDING_CONFIG, cache_dir=package_dir, dim=EMBEDDING_DIM, disable_download=True
    )
