"""A linear classifier per harm category over embeddings plus n-grams.

Character 1–2-grams and word 1–2-grams of the pipeline's jieba tokens
(hashed, TF-IDF weighted) catch the wording of abuse; the sentence embedding
carries meaning across paraphrases. One logistic-regression head per
category reads all three, with naive-Bayes log-count ratios scaling the
n-grams during training (NB-LR), which is folded into the stored weights so
inference is one sparse product. The artefact is two small files —
``classifier.npz`` (numbers) and ``classifier.json`` (what it is, what it was
trained on, which embedding model) — never a pickle, so loading it cannot run
code. It refuses to load against an embedding model other than the one it
was trained with, because its weights mean nothing in another vector space.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy import sparse

from commentwatch.detect.grams import mix64, sublinear_tfidf
from commentwatch.errors import ClassifierError

FORMAT = "commentwatch-classifier/4"
#: Hashed n-gram space per block (characters, words): big enough that
#: collisions cost little, small enough to ship.
BLOCK_FEATURES = 2**18
HASH_FEATURES = 2 * BLOCK_FEATURES
NGRAMS = (1, 2)


class NgramHasher:
    """Hashed counts of character and word 1–2-grams, computed a batch at a time.

    A fixed integer hash (the splitmix64 finaliser) over code points and over
    CRC-32s of words, so buckets are the same in every process and the work
    is a few numpy operations per batch rather than Python per n-gram.
    """

    #: Bound on the word → code cache so hostile input cannot grow it forever.
    CACHE_LIMIT = 200_000

    def __init__(self) -> None:
        self._word_codes: dict[str, int] = {}

    def chars(self, texts: Sequence[str]) -> sparse.csr_matrix:
        # Whitespace is dropped, not counted: spaced-out words ("加 微 信") then read
        # as written, and a text of blanks has no features at all.
        texts = ["".join(t.split()) for t in texts]
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        return _gram_counts(codes, lengths)

    def words(self, token_lists: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        cache = self._word_codes
        flat: list[int] = []
        lengths = np.zeros(len(token_lists), dtype=np.int64)
        for row, tokens in enumerate(token_lists):
            start = len(flat)
            for token in tokens:
                code = cache.get(token)
                if code is None:
                    code = zlib.crc32(token.encode("utf-8", "surrogatepass")) if token.strip() else -1
                    if len(cache) >= self.CACHE_LIMIT:
                        cache.clear()
                    cache[token] = code
                if code >= 0:
                    flat.append(code)
            lengths[row] = len(flat) - start
        return _gram_counts(np.asarray(flat, dtype=np.uint32), lengths)


def _gram_counts(codes: np.ndarray, lengths: np.ndarray) -> sparse.csr_matrix:
    """Counts of each code and each adjacent pair of codes within a row, hashed into buckets."""
    rows = np.repeat(np.arange(len(lengths)), lengths)
    codes = codes.astype(np.uint64)
    inside = rows[1:] == rows[:-1]
    pairs = codes[:-1][inside] * np.uint64(0x100000001B3) + codes[1:][inside] + np.uint64(0x9E3779B97F4A7C15)
    columns = np.concatenate([mix64(codes), mix64(pairs)]) % np.uint64(BLOCK_FEATURES)
    row_ids = np.concatenate([rows, rows[:-1][inside]])
    counts = sparse.csr_matrix((np.ones(len(columns), np.float32), (row_ids, columns.astype(np.int64))),
                               shape=(len(lengths), BLOCK_FEATURES))
    counts.sum_duplicates()
    return counts


@dataclass
class Classifier:
    categories: tuple[str, ...]
    #: (categories, HASH_FEATURES + embedding dimension)
    weights: np.ndarray
    bias: np.ndarray
    idf: np.ndarray
    #: Multiplier on the (unit-length) embedding relative to the n-gram block.
    embedding_scale: float
    model_fingerprint: str
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._hasher = NgramHasher()
        self.idf = np.asarray(self.idf, dtype=np.float32)
        self._text_weights = np.ascontiguousarray(self.weights[:, :HASH_FEATURES].T, dtype=np.float32)
        self._vector_weights = np.ascontiguousarray(self.weights[:, HASH_FEATURES:].T, dtype=np.float32)

    def text_features(self, texts: Sequence[str], tokens: Sequence[Sequence[str]]) -> sparse.csr_matrix:
        """Character and word n-gram blocks side by side, each unit length."""
        return sparse.hstack([
            sublinear_tfidf(self._hasher.chars(texts), self.idf[:BLOCK_FEATURES]),
            sublinear_tfidf(self._hasher.words(tokens), self.idf[BLOCK_FEATURES:]),
        ]).tocsr()

    def probabilities(self, texts: Sequence[str], tokens: Sequence[Sequence[str]],
                      vectors: np.ndarray) -> np.ndarray:
        """(len(texts), len(categories)) probabilities that each category applies."""
        if len(texts) == 0:
            return np.zeros((0, len(self.categories)), dtype=np.float32)
        logits = np.asarray(self.text_features(texts, tokens) @ self._text_weights, dtype=np.float32)
        logits += (vectors * self.embedding_scale) @ self._vector_weights
        logits += self.bias
        return (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)

    # -- storage ----------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(directory / "classifier.npz", weights=self.weights.astype(np.float16),
                            bias=self.bias.astype(np.float32), idf=self.idf.astype(np.float16))
        meta = {"format": FORMAT, "categories": list(self.categories),
                "embedding_scale": self.embedding_scale, "model_fingerprint": self.model_fingerprint,
                "hash_features": HASH_FEATURES, "ngrams": list(NGRAMS), **self.info}
        (directory / "classifier.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                                   encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, *, model_fingerprint: str) -> Classifier:
        """Load, refusing an artefact trained on a different embedding model."""
        meta_path, data_path = directory / "classifier.json", directory / "classifier.npz"
        if not meta_path.is_file() or not data_path.is_file():
            raise ClassifierError(f"{directory}: no classifier here (expected classifier.json and "
                                  "classifier.npz); train one with `commentwatch train`")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ClassifierError(f"{meta_path}: not valid JSON: {exc}") from None
        if meta.get("format") != FORMAT:
            raise ClassifierError(f"{meta_path}: format {meta.get('format')!r}, expected {FORMAT!r}")
        if meta.get("hash_features") != HASH_FEATURES or tuple(meta.get("ngrams", ())) != NGRAMS:
            raise ClassifierError(f"{meta_path}: built with other n-gram settings; retrain it")
        if meta.get("model_fingerprint") != model_fingerprint:
            raise ClassifierError(
                f"{directory}: trained on embedding model {meta.get('model_fingerprint')!r} "
                f"({meta.get('model', 'unknown')}), but the configured model is {model_fingerprint!r}; "
                "retrain with `commentwatch train` or configure the model it was trained on"
            )
        try:
            with np.load(data_path, allow_pickle=False) as data:
                weights = data["weights"].astype(np.float32)
                bias = data["bias"].astype(np.float32)
                idf = data["idf"].astype(np.float32)
        except (OSError, ValueError, KeyError) as exc:
            raise ClassifierError(f"{data_path}: unreadable classifier weights: {exc}") from None
        categories = tuple(meta["categories"])
        if weights.shape[0] != len(categories) or bias.shape != (len(categories),) or idf.shape != (HASH_FEATURES,):
            raise ClassifierError(f"{data_path}: weight shapes do not match {meta_path}")
        info = {k: v for k, v in meta.items()
                if k not in ("format", "categories", "embedding_scale", "model_fingerprint", "hash_features", "ngrams")}
        return cls(categories, weights, bias, idf, float(meta["embedding_scale"]), meta["model_fingerprint"], info)


@dataclass(frozen=True)
class HeadSpec:
    """How one head is trained: on which rows, how regularised, how positives weigh."""

    labels: np.ndarray
    #: Boolean mask of the rows this head learns from (None: all rows).
    rows: np.ndarray | None = None
    C: float = 10.0
    #: Weight of a positive example relative to a negative one.
    positive_weight: float = 1.0
    #: Weight of each row (over all rows, like ``labels``); None: all 1.
    row_weights: np.ndarray | None = None


def fit(texts: Sequence[str], tokens: Sequence[Sequence[str]], vectors: np.ndarray,
        heads: dict[str, HeadSpec], *, model_fingerprint: str, embedding_scale: float = 0.3,
        info: dict | None = None) -> Classifier:
    """Train one NB-LR head per category on its own rows of a shared feature matrix."""
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    hasher = NgramHasher()
    idf = np.concatenate([
        TfidfTransformer(sublinear_tf=True).fit(hasher.chars(texts)).idf_,
        TfidfTransformer(sublinear_tf=True).fit(hasher.words(tokens)).idf_,
    ]).astype(np.float32)
    categories = tuple(heads)
    dim = vectors.shape[1]
    draft = Classifier(categories, np.zeros((len(categories), HASH_FEATURES + dim), np.float32),
                       np.zeros(len(categories), np.float32), idf, embedding_scale, model_fingerprint)
    ngrams = draft.text_features(texts, tokens)
    dense = sparse.csr_matrix(vectors * embedding_scale)
    weights, bias = [], []
    for category, spec in heads.items():
        rows = np.ones(len(texts), bool) if spec.rows is None else np.asarray(spec.rows, bool)
        y = np.asarray(spec.labels)[rows]
        if y.min() == y.max():
            raise ValueError(f"head {category!r}: needs both positive and negative examples")
        ratio = _nb_ratio(ngrams[rows], y)
        X = sparse.hstack([ngrams[rows] @ sparse.diags(ratio), dense[rows]]).tocsr()
        head = LogisticRegression(C=spec.C, max_iter=3000, class_weight={0: 1.0, 1: spec.positive_weight})
        head.fit(X, y, sample_weight=None if spec.row_weights is None else np.asarray(spec.row_weights)[rows])
        coef = head.coef_[0].astype(np.float32)
        coef[:HASH_FEATURES] *= ratio
        weights.append(coef)
        bias.append(float(head.intercept_[0]))
    return Classifier(categories, np.vstack(weights), np.asarray(bias, np.float32), idf,
                      embedding_scale, model_fingerprint, dict(info or {}))


def _nb_ratio(X: sparse.csr_matrix, y: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """Log-count ratio of each feature between positive and negative texts."""
    positive = np.asarray(X[y == 1].sum(axis=0)).ravel() + alpha
    negative = np.asarray(X[y == 0].sum(axis=0)).ravel() + alpha
    return np.log((positive / positive.sum()) / (negative / negative.sum())).astype(np.float32)
