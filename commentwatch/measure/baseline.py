"""The simplest learned model, reported beside the system on every set ``eval`` scores.

A character 1–3-gram TF-IDF and a logistic regression, trained on the same
data as the system's learned models (``train.jsonl`` and the lexicon-blind
partition, see ``corpus.read_training_set``), flagging at p ≥ 0.5. It needs no lexicon, no rule and no
tuning, so a stage of the real pipeline that does not beat it on blind data
has not earned its place. It is a yardstick only: nothing in the scan path
uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from commentwatch import paths
from commentwatch.errors import DataError
from commentwatch.training.corpus import (
    BLIND,
    Example,
    read_examples,
    read_training_set,
)

#: What the baseline is, in the words reports use.
DESCRIPTION = "char 1-3-gram TF-IDF + logistic regression, p >= 0.5"
THRESHOLD = 0.5


@dataclass(frozen=True)
class Baseline:
    model: Pipeline
    #: The file it was trained on, and how many examples that held.
    trained_on: Path
    examples: int

    @classmethod
    def fit(cls, examples: Sequence[Example], trained_on: Path) -> Baseline:
        labels = np.asarray([e.label for e in examples], dtype=int)
        if len(set(labels.tolist())) < 2:
            raise DataError("the baseline needs examples of both labels to learn from", trained_on)
        model = make_pipeline(TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True),
                              LogisticRegression(max_iter=2000))
        model.fit([e.text for e in examples], labels)
        return cls(model, trained_on, len(examples))

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.predict_proba(list(texts))[:, 1]

    def flags(self, texts: Sequence[str]) -> np.ndarray:
        return self.probabilities(texts) >= THRESHOLD

    def learned_from(self, path: Path) -> bool:
        """Whether the set at ``path`` is (part of) what this baseline was trained on."""
        path = path.resolve()
        if self.trained_on.is_dir():
            return path == self.trained_on / "train.jsonl" or path.parent == self.trained_on / BLIND
        return path == self.trained_on

    def describe(self) -> dict[str, Any]:
        return {"model": DESCRIPTION, "trained_on": str(self.trained_on), "train_examples": self.examples}


def train_split_for(path: Path, fmt: str) -> Path | None:
    """What a set's baseline learns from: for labelled sets, the labelled folder (its
    training set, as the system's models learn it); for COLD, the ``train.csv`` beside
    the file (else the shared COLD folder's)."""
    if fmt == "labelled":
        return paths.LABELLED_DIR if (paths.LABELLED_DIR / "train.jsonl").is_file() else None
    for candidate in (path.parent / "train.csv", paths.COLD_DIR / "train.csv"):
        if candidate.is_file():
            return candidate
    return None


class Baselines:
    """One fitted baseline per train split, fitted the first time a set needs it."""

    def __init__(self, labelled_train: Path | None = None) -> None:
        #: Overrides the labelled train split (``eval --baseline-train``).
        self.labelled_train = labelled_train
        self._fitted: dict[Path, Baseline] = {}

    def for_set(self, path: Path, fmt: str) -> Baseline | None:
        train = self.labelled_train if fmt == "labelled" and self.labelled_train else train_split_for(path, fmt)
        if train is None:
            return None
        train = train.resolve()
        if train not in self._fitted:
            examples = read_training_set(train) if train.is_dir() else read_examples(train)[1]
            self._fitted[train] = Baseline.fit(examples, train)
        return self._fitted[train]
