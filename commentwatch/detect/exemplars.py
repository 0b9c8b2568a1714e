"""Exemplar phrases per harm category, embedded once and searched per comment.

Lexicon editors keep ``lexicons/exemplars/<category>.txt`` (one phrase per
line, ``#`` comments) beside the word lists. A comment that reads close to an
exemplar becomes evidence naming the exemplar ("close to: 这是我们之间的秘密,
0.83"), which catches paraphrases no word list holds. Vectors are cached on
disk under a key made of the files' contents and the embedding model's
fingerprint, so an edit or a model change rebuilds them and nothing else does.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from commentwatch.errors import ExemplarError
from commentwatch.values import HARM_CATEGORIES

log = logging.getLogger(__name__)

#: An exemplar longer than this is a paragraph, not a phrase; lint refuses it.
MAX_EXEMPLAR_CHARS = 200


def read_exemplar_file(path: Path) -> list[str]:
    """Phrases of one file, refusing what cannot be a phrase."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ExemplarError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    phrases = []
    for number, line in enumerate(text.splitlines(), start=1):
        phrase = line.strip()
        if not phrase or phrase.startswith("#"):
            continue
        if len(phrase) > MAX_EXEMPLAR_CHARS:
            raise ExemplarError(f"{path}:{number}: exemplar of {len(phrase)} characters; "
                                f"keep exemplars under {MAX_EXEMPLAR_CHARS}")
        phrases.append(phrase)
    return phrases


def exemplar_files(directory: Path) -> dict[str, Path]:
    """``<category>.txt`` files; a file named for no harm category is an error."""
    files: dict[str, Path] = {}
    if not directory.is_dir():
        return files
    for path in sorted(directory.glob("*.txt")):
        if path.stem not in HARM_CATEGORIES:
            raise ExemplarError(f"{path}: {path.stem!r} is not a harm category "
                                f"(one of {', '.join(HARM_CATEGORIES)})")
        files[path.stem] = path
    return files


class ExemplarIndex:
    """All exemplars as one unit-vector matrix, searched by matrix product."""

    def __init__(self, categories: Sequence[str], phrases: Sequence[str], vectors: np.ndarray) -> None:
        # Grouped by category so each category is one contiguous block of columns.
        order = sorted(range(len(phrases)), key=lambda i: categories[i])
        self.categories = tuple(categories[i] for i in order)
        self.phrases = tuple(phrases[i] for i in order)
        self.vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32)[order]) if order else \
            np.zeros((0, 1), np.float32)
        self.category_names = tuple(sorted(set(self.categories)))
        self._blocks = [(self.categories.index(c), len(self.categories) - self.categories[::-1].index(c))
                        for c in self.category_names]

    def __len__(self) -> int:
        return len(self.phrases)

    @classmethod
    def load(cls, directory: Path, *, encode: Callable[[list[str]], np.ndarray], model_fingerprint: str,
             cache_dir: Path | None) -> ExemplarIndex:
        files = exemplar_files(directory)
        categories: list[str] = []
        phrases: list[str] = []
        digest = hashlib.blake2b(model_fingerprint.encode(), digest_size=12)
        for category, path in files.items():
            found = read_exemplar_file(path)
            categories += [category] * len(found)
            phrases += found
            digest.update(f"\0{category}\0".encode())
            digest.update("\n".join(found).encode())
        cache = cache_dir / f"exemplars-{digest.hexdigest()}.npy" if cache_dir else None
        vectors = None
        if cache is not None and cache.is_file():
            try:
                vectors = np.load(cache, allow_pickle=False)
                if vectors.shape[0] != len(phrases):
                    vectors = None
            except (OSError, ValueError):
                vectors = None
        if vectors is None:
            vectors = encode(phrases) if phrases else np.zeros((0, 1), np.float32)
            if cache is not None and phrases:
                try:
                    cache.parent.mkdir(parents=True, exist_ok=True)
                    tmp = cache.with_suffix(f".{os.getpid()}.tmp.npy")
                    np.save(tmp, vectors)
                    os.replace(tmp, cache)
                except OSError as exc:
                    log.warning("exemplar vectors not cached in %s: %s", cache_dir, exc)
        return cls(categories, phrases, vectors)

    def best_per_category(self, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, categories) highest similarity and the index of that exemplar."""
        similarity = vectors @ self.vectors.T
        rows = np.arange(len(vectors))
        best = np.empty((len(vectors), len(self._blocks)), dtype=np.float32)
        which = np.empty((len(vectors), len(self._blocks)), dtype=np.int64)
        for c, (start, end) in enumerate(self._blocks):
            arg = similarity[:, start:end].argmax(axis=1) + start
            best[:, c] = similarity[rows, arg]
            which[:, c] = arg
        return best, which
