"""One interface over sentence-transformers models, tuned for the hot path.

Any model ``SentenceTransformer`` can load (a hub id where a hub is
reachable, or a local folder) works through ``load_embedder``. A model whose
only module is a ``StaticEmbedding`` (the project's default) is served by
``StaticEmbedder``: a comment's jieba tokens are mapped to rows of the
embedding matrix and averaged in numpy, which is the same arithmetic as the
model's ``EmbeddingBag`` but costs a dictionary lookup per token instead of a
call into torch per comment. Every other model goes through
``model.encode`` in batches (``TransformerEmbedder``).

All vectors come back L2-normalised float32, so a dot product is a cosine.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence

import numpy as np
from scipy import sparse

from commentwatch.errors import EmbeddingModelError
from commentwatch.paths import EMBEDDING_MODEL_DIR

log = logging.getLogger(__name__)

#: Where the project's own offline Chinese model lives (``model = "default"``).
_DEVICES = ("auto", "cpu", "cuda", "mps")
#: Bound on the token → ids cache so hostile input cannot grow it forever.
_TOKEN_CACHE_LIMIT = 200_000


def resolve_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; others pass through checked."""
    base = device.split(":", 1)[0]
    if base not in _DEVICES:
        raise EmbeddingModelError(
            f"detect.device: expected one of {', '.join(_DEVICES)} (or cuda:N), got {device!r}"
        )
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_model_path(name: str) -> str:
    """Map ``default`` to the bundled model; leave hub ids and paths alone."""
    if name == "default":
        if not (EMBEDDING_MODEL_DIR / "modules.json").is_file():
            raise EmbeddingModelError(
                f"the default embedding model is missing from {EMBEDDING_MODEL_DIR}; "
                "rebuild it with `commentwatch model build`"
            )
        return str(EMBEDDING_MODEL_DIR)
    return name


def weights_fingerprint(model) -> str:
    """A short hash of a model's weights, so artefacts can tell which model they fit."""
    digest = hashlib.blake2b(digest_size=12)
    for name, tensor in sorted(model.state_dict().items()):
        array = tensor.detach().cpu().contiguous().numpy()
        digest.update(name.encode())
        digest.update(str(array.dtype).encode())
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def load_embedder(name: str = "default", device: str = "auto"):
    """Load the configured model and wrap it in the fastest embedder that fits it."""
    from sentence_transformers import SentenceTransformer

    path = resolve_model_path(name)
    resolved = resolve_device(device)
    try:
        model = SentenceTransformer(path, device=resolved)
    except Exception as exc:  # the library raises many kinds; one clear message is what helps
        raise EmbeddingModelError(f"detect.model: cannot load {name!r} ({path}): {exc}") from exc
    modules = list(model)
    static_cls = _static_embedding_class()
    if modules and isinstance(modules[0], static_cls) and _only_pooling_free(modules[1:]):
        return StaticEmbedder(model, name=name)
    return TransformerEmbedder(model, name=name)


def _static_embedding_class():
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding

    return StaticEmbedding


def _only_pooling_free(rest) -> bool:
    """A trailing Normalize does not change cosines; anything else needs the real model."""
    return all(type(m).__name__ == "Normalize" for m in rest)


class StaticEmbedder:
    """Mean of token rows, computed in numpy from already-segmented text."""

    def __init__(self, model, *, name: str = "") -> None:
        import jieba

        self.model = model
        self.name = name or str(model)
        module = next(iter(model))
        self.tokenizer = module.tokenizer
        self.matrix = module.embedding.weight.detach().cpu().float().numpy()
        self.dimension = int(self.matrix.shape[1])
        self.fingerprint = weights_fingerprint(model)
        self._vocab = self.tokenizer.get_vocab()
        self._cache: dict[str, tuple[int, ...]] = {}
        self._jieba = jieba

    def token_ids(self, token: str) -> tuple[int, ...]:
        """The ids the model's own tokenizer gives one token (cached)."""
        ids = self._cache.get(token)
        if ids is None:
            try:
                ids = tuple(self.tokenizer.encode(token, add_special_tokens=False).ids)
            except TypeError:  # not valid Unicode (a lone surrogate): unknown, like [UNK]
                ids = (0,)
            if len(self._cache) >= _TOKEN_CACHE_LIMIT:
                self._cache.clear()
            self._cache[token] = ids
        return ids

    def encode_tokens(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Vectors for texts already split into tokens (e.g. a spaCy Doc's).

        The mean of each text's rows, as ``EmbeddingBag(mode="mean")`` computes it.
        """
        cache, lookup = self._cache, self.token_ids
        flat: list[int] = []
        lengths = np.zeros(len(token_lists), dtype=np.int64)
        for row, tokens in enumerate(token_lists):
            start = len(flat)
            for token in tokens:
                ids = cache.get(token)
                flat.extend(ids if ids is not None else lookup(token))
            lengths[row] = len(flat) - start
        # A sparse averaging matrix times the embedding matrix: scipy adds rows
        # in place, without gathering them into a temporary first.
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        weights = np.repeat((1.0 / np.maximum(lengths, 1)).astype(np.float32), lengths)
        averaging = sparse.csr_matrix((weights, np.asarray(flat, dtype=np.int64), indptr),
                                      shape=(len(token_lists), self.matrix.shape[0]))
        return _normalise(np.asarray(averaging @ self.matrix, dtype=np.float32))

    def tokenize(self, text: str) -> list[str]:
        """jieba words, for callers without a pipeline; the pipeline passes its own tokens."""
        return [t for t in self._jieba.cut(text, HMM=False) if t]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_tokens([self.tokenize(t) for t in texts])


class TransformerEmbedder:
    """Any other sentence-transformers model, batched through ``model.encode``."""

    def __init__(self, model, *, name: str = "", batch_size: int = 64) -> None:
        self.model = model
        self.name = name or str(model)
        self.batch_size = batch_size
        self.dimension = int(model.get_embedding_dimension() or 0)
        self.fingerprint = weights_fingerprint(model)

    def encode_tokens(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Transformers bring their own tokenizer: rejoin and encode the text."""
        return self.encode(["".join(tokens) for tokens in token_lists])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        # Normalised here in float32: a half-precision model would round the norms.
        return _normalise(np.array(vectors, dtype=np.float32))


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)
    return vectors

