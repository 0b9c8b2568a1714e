"""The character n-gram model: is this comment offending at all, read from its characters.

Character 1–3-grams of the ``readable_compact`` stream (no separators,
punctuation, repeats or emoji, so spaced-out and dotted words read as
written, and pinyin read back as characters), hashed into a fixed space
(``detect/grams.py``), TF-IDF weighted, and one
logistic regression for "offending in any category". It is the project's
simplest learned signal and needs no embedding, so both variants of the
decision layer read it, with and without the semantic stage.

Stored as ``ngram.npz`` (idf and weights, float16) and ``ngram.json``; never a
pickle, so loading it cannot run code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from commentwatch.artefact import read_json
from commentwatch.detect.grams import char_gram_counts, sublinear_tfidf
from commentwatch.errors import NgramModelError

FORMAT = "commentwatch-ngram/2"
FEATURES = 2**20
NGRAMS = (1, 3)


def _counts(texts: Sequence[str]):
    # Stateless and deterministic (a fixed integer hash): the same columns in every process.
    return char_gram_counts([squeeze(t) for t in texts], NGRAMS[1], FEATURES)


def squeeze(text: str) -> str:
    """The text as the model reads it: whitespace dropped."""
    return "".join(text.split())


@dataclass
class NgramModel:
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.idf = np.asarray(self.idf, dtype=np.float32)
        self.coef = np.asarray(self.coef, dtype=np.float32)

    def features(self, texts: Sequence[str]):
        return sublinear_tfidf(_counts(texts), self.idf)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Probability that each text is offending (0 for a text with no characters)."""
        if not len(texts):
            return np.zeros(0, dtype=np.float32)
        X = self.features(texts)
        p = 1.0 / (1.0 + np.exp(-(X @ self.coef + self.intercept)))
        p[np.diff(X.indptr) == 0] = 0.0
        return p.astype(np.float32)

    @classmethod
    def fit(cls, texts: Sequence[str], labels: Sequence[int], *, C: float = 10.0, info: dict | None = None) -> NgramModel:
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        counts = _counts(texts)
        idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_.astype(np.float32)
        # Unseen columns keep idf 0: a character the training data never had adds nothing.
        idf[np.asarray(counts.sum(axis=0)).ravel() == 0] = 0.0
        draft = cls(idf, np.zeros(FEATURES, np.float32), 0.0)
        model = LogisticRegression(C=C, max_iter=3000)
        model.fit(draft.features(texts), np.asarray(labels, dtype=int))
        return cls(idf, model.coef_[0].astype(np.float32), float(model.intercept_[0]), dict(info or {}))

    # -- storage ----------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(directory / "ngram.npz", idf=self.idf.astype(np.float16), coef=self.coef.astype(np.float16),
                            intercept=np.asarray([self.intercept], np.float32))
        meta = {"format": FORMAT, "features": FEATURES, "ngrams": list(NGRAMS), **self.info}
        (directory / "ngram.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> NgramModel:
        meta_path, data_path = directory / "ngram.json", directory / "ngram.npz"
        missing = "no n-gram model here (expected ngram.json and ngram.npz); train one with `commentwatch train`"
        if not data_path.is_file():
            raise NgramModelError(missing, directory)
        meta = read_json(meta_path, NgramModelError, missing)
        if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("features") != FEATURES or tuple(meta.get("ngrams", ())) != NGRAMS:
            raise NgramModelError(f"format {meta.get('format')!r} with other settings; expected {FORMAT!r}: retrain it",
                                  meta_path)
        try:
            with np.load(data_path, allow_pickle=False) as data:
                idf, coef = data["idf"].astype(np.float32), data["coef"].astype(np.float32)
                intercept = float(data["intercept"][0])
        except (OSError, ValueError, KeyError, IndexError) as exc:
            raise NgramModelError(f"unreadable weights: {exc}", data_path) from None
        if idf.shape != (FEATURES,) or coef.shape != (FEATURES,):
            raise NgramModelError("weight shapes do not match the settings", data_path)
        info = {k: v for k, v in meta.items() if k not in ("format", "features", "ngrams")}
        return cls(idf, coef, intercept, info)
