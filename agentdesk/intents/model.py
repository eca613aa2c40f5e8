"""A trained intent model: prediction with numpy alone, saved in a file that holds no code.

The score of an intent is a linear function of the text's features (see `features`): TF-IDF
weighted n-grams, each block scaled to unit length, and a unit-length WordLlama embedding,
times the weights scikit-learn's `LinearSVC` learned. The scores become a probability-like
confidence through a softmax with a temperature fitted on held-out data; a ticket whose best
intent is less confident than the threshold (or is the out-of-scope class) is not in scope,
and belongs in general triage rather than with a specialist.

The file is a NumPy `.npz` archive (read with `allow_pickle=False`, so loading it runs no
code): a JSON header under `meta` and plain arrays; see `save` for the layout.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from agentdesk.intents.features import (
    EMBEDDING_CONFIG,
    EMBEDDING_DIM,
    Analyzer,
    Embedder,
    shared_embedder,
)

FORMAT_NAME = "agentdesk-intent-model"
FORMAT_VERSION = 1
# The intent that means "none of ours" in training data and predictions.
OOS_LABEL = "oos"
ALTERNATIVES = 3

FloatArray = npt.NDArray[np.float32]


class ModelError(Exception):
    """A model file that cannot be used; the message says which and why."""


@dataclass(frozen=True, slots=True)
class IntentPrediction:
    intent: str
    confidence: float
    """Calibrated probability that `intent` is right, 0..1."""
    in_scope: bool
    """False when the ticket should go to general triage: out of scope or not confident."""
    alternatives: tuple[tuple[str, float], ...] = ()
    """The next best intents with their confidences, best first."""


@dataclass(slots=True, eq=False)
class TfidfBlock:
    """One n-gram analyzer with its vocabulary and inverse document frequencies."""

    analyzer: Analyzer
    vocabulary: dict[str, int]
    idf: FloatArray
    weight: float = 1.0

    def features(self, text: str) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Column indices and values of the text's sublinear TF-IDF vector, unit length."""
        counts: dict[int, int] = {}
        lookup = self.vocabulary.get
        for gram in self.analyzer(text):
            index = lookup(gram)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.float32)
        indices = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (np.log(tf) + 1.0) * self.idf[indices]
        values *= self.weight / np.sqrt(np.dot(values, values))
        return indices, values


@dataclass(slots=True, eq=False)
class IntentModel:
    labels: tuple[str, ...]
    blocks: list[TfidfBlock]
    embedding_weight: float | None
    """None: the model uses no embedding."""
    coef: FloatArray
    """(features, labels): the TF-IDF blocks' columns in order, then the embedding's."""
    intercept: FloatArray
    temperature: float = 1.0
    threshold: float = 0.0
    info: dict[str, Any] = field(default_factory=dict)
    """What training recorded: data sizes, calibration figures; shown, never interpreted."""
    _embedder: Embedder | None = None

    def __post_init__(self) -> None:
        self._check()

    @property
    def oos_label(self) -> str | None:
        return OOS_LABEL if OOS_LABEL in self.labels else None

    # -- prediction ----------------------------------------------------------------------------
    def predict(self, text: str) -> IntentPrediction:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str]) -> list[IntentPrediction]:
        probabilities = self.probabilities(texts)
        return [self._prediction(row) for row in probabilities]

    def probabilities(self, texts: Sequence[str]) -> FloatArray:
        """(texts, labels): the calibrated probability of each intent."""
        return softmax(self.scores(texts), self.temperature)

    def scores(self, texts: Sequence[str]) -> FloatArray:
        """(texts, labels): the raw linear scores (LinearSVC's decision function)."""
        texts = list(texts)
        scores = np.tile(self.intercept, (len(texts), 1))
        offset = 0
        for block in self.blocks:
            block_coef = self.coef[offset : offset + len(block.vocabulary)]
            for row, text in enumerate(texts):
                indices, values = block.features(text)
                if len(indices):
                    scores[row] += values @ block_coef[indices]
            offset += len(block.vocabulary)
        if self.embedding_weight is not None and texts:
            vectors = self.embedder().embed(texts)
            scores += (vectors * self.embedding_weight) @ self.coef[offset:]
        return scores

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = shared_embedder()
        return self._embedder

    def _prediction(self, probabilities: FloatArray) -> IntentPrediction:
        order = np.argsort(-probabilities, kind="stable")[: ALTERNATIVES + 1]
        best = int(order[0])
        intent, confidence = self.labels[best], float(probabilities[best])
        in_scope = intent != OOS_LABEL and confidence >= self.threshold
        alternatives = tuple((self.labels[i], float(probabilities[i])) for i in order[1:])
        return IntentPrediction(intent, confidence, in_scope, alternatives)

    # -- files ---------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the model to `path` (an `.npz` archive; written beside it, then moved)."""
        meta = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "labels": list(self.labels),
            "blocks": [
                {"analyzer": b.analyzer.to_json(), "weight": b.weight, "size": len(b.vocabulary)}
                for b in self.blocks
            ],
            "embedding": None
            if self.embedding_weight is None
            else {
                "model": f"wordllama/{EMBEDDING_CONFIG}",
                "dim": EMBEDDING_DIM,
                "weight": self.embedding_weight,
            },
            "temperature": self.temperature,
            "threshold": self.threshold,
            "info": self.info,
        }
        arrays: dict[str, npt.NDArray[Any]] = {
            "meta": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8),
            # Half precision: a quarter of the size, and the scores move by ~1e-3.
            "coef": self.coef.astype(np.float16),
            "intercept": self.intercept.astype(np.float32),
        }
        for number, block in enumerate(self.blocks):
            ordered = sorted(block.vocabulary, key=block.vocabulary.__getitem__)
            joined = "\n".join(ordered).encode("utf-8")
            arrays[f"vocabulary_{number}"] = np.frombuffer(joined, dtype=np.uint8)
            arrays[f"idf_{number}"] = block.idf.astype(np.float32)
        partial = path.with_name(path.name + ".partial")
        try:
            _write_npz(partial, arrays)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)

    @classmethod
    def load(cls, path: Path) -> IntentModel:
        try:
            with np.load(path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except FileNotFoundError:
            raise ModelError(f"{path}: no such model file") from None
        except IsADirectoryError:
            raise ModelError(f"{path}: is a directory, not a model file") from None
        except OSError as error:
            raise ModelError(f"{path}: {error.strerror or error}") from None
        except (ValueError, zipfile.BadZipFile, EOFError, KeyError):
            raise ModelError(f"{path}: not an agentdesk intent model (unreadable)") from None
        try:
            return cls._from_arrays(arrays)
        except ModelError as error:
            raise ModelError(f"{path}: {error}") from None
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as error:
            raise ModelError(f"{path}: damaged intent model ({error!r})") from None

    @classmethod
    def _from_arrays(cls, arrays: dict[str, npt.NDArray[Any]]) -> IntentModel:
        if "meta" not in arrays:
            raise ModelError("not an agentdesk intent model (no header)")
        try:
            meta = json.loads(arrays["meta"].tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelError("not an agentdesk intent model (unreadable header)") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
            raise ModelError("not an agentdesk intent model")
        version = meta.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ModelError(
                f"model format version {version} is newer than this agentdesk reads "
                f"(up to {FORMAT_VERSION}); upgrade agentdesk or retrain the model"
            )
        blocks = []
        for number, spec in enumerate(meta["blocks"]):
            words = arrays[f"vocabulary_{number}"].tobytes().decode("utf-8")
            vocabulary = {gram: i for i, gram in enumerate(words.split("\n"))} if words else {}
            if len(vocabulary) != spec["size"]:
                raise ModelError(f"damaged intent model (vocabulary {number})")
            idf = arrays[f"idf_{number}"].astype(np.float32)
            blocks.append(
                TfidfBlock(Analyzer.from_json(spec["analyzer"]), vocabulary, idf, spec["weight"])
            )
        embedding = meta["embedding"]
        return cls(
            labels=tuple(meta["labels"]),
            blocks=blocks,
            embedding_weight=None if embedding is None else float(embedding["weight"]),
            coef=arrays["coef"].astype(np.float32),
            intercept=arrays["intercept"].astype(np.float32),
            temperature=float(meta["temperature"]),
            threshold=float(meta["threshold"]),
            info=dict(meta.get("info") or {}),
        )

    def _check(self) -> None:
        """Shapes and values agree, so a damaged file fails here, not at the first ticket."""
        labels = len(self.labels)
        if labels < 2 or len(set(self.labels)) != labels:
            raise ModelError("damaged intent model (labels)")
        if not all(isinstance(label, str) and label for label in self.labels):
            raise ModelError("damaged intent model (labels)")
        features = sum(len(block.vocabulary) for block in self.blocks)
        if self.embedding_weight is not None:
            features += EMBEDDING_DIM
        if self.coef.shape != (features, labels) or self.intercept.shape != (labels,):
            raise ModelError("damaged intent model (weights do not fit the features)")
        if any(block.idf.shape != (len(block.vocabulary),) for block in self.blocks):
            raise ModelError("damaged intent model (idf)")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ModelError("damaged intent model (temperature)")
        if not 0.0 <= self.threshold <= 1.0:
            raise ModelError("damaged intent model (threshold)")
        if not (np.isfinite(self.coef).all() and np.isfinite(self.intercept).all()):
            raise ModelError("damaged intent model (weights are not finite)")


def _write_npz(path: Path, arrays: dict[str, npt.NDArray[Any]]) -> None:
    """`np.savez_compressed` with fixed timestamps: the same model gives the same bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(entry, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, array, allow_pickle=False)


def softmax(scores: FloatArray, temperature: float) -> FloatArray:
    scaled = scores / np.float32(temperature)
    scaled -= scaled.max(axis=1, keepdims=True)
    np.exp(scaled, out=scaled)
    scaled /= scaled.sum(axis=1, keepdims=True)
    return scaled


def ticket_text(subject: str, first_message: str) -> str:
    """What a ticket's intent is read from: its subject and the customer's first message.
    (A subject cut from the message itself, as in the demo, adds nothing and is left out.)"""
    subject = " ".join(subject.split()).rstrip("…").rstrip()
    message = " ".join(first_message.split())
    if not subject or subject.lower().rstrip("?!. ") in message.lower():
        return message or subject
    return f"{subject}. {message}" if message else subject
