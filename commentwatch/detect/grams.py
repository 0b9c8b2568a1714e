"""Hashed character n-gram counts, a batch of texts at a time, in numpy.

A fixed integer hash (the splitmix64 finaliser) over code points, so buckets
are the same in every process, and the work is a few array operations per
batch rather than Python per n-gram (scikit-learn's ``HashingVectorizer``
slices every n-gram as a string: on the scan path that cost more than the
model).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

#: Multiplier and offset that chain code points into one key per n-gram.
_CHAIN = np.uint64(0x100000001B3)
_SALT = np.uint64(0x9E3779B97F4A7C15)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit moves every output bit."""
    x = x.astype(np.uint64)
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def code_points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """All texts' code points end to end, and each text's length."""
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    codes = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return codes.astype(np.uint64), lengths


def char_gram_counts(texts: Sequence[str], longest: int, buckets: int) -> sparse.csr_matrix:
    """(len(texts), buckets) counts of each text's character 1..``longest``-grams."""
    codes, lengths = code_points(texts)
    rows = np.repeat(np.arange(len(texts)), lengths)
    keys, key_rows = [codes], [rows]
    chained, inside = codes, np.ones(len(codes), dtype=bool)
    with np.errstate(over="ignore"):  # the chain wraps around 2**64 on purpose
        for n in range(2, longest + 1):
            # An n-gram starting at i lies within one text when its (n-1)-gram does and i+n-1 is in that text too.
            inside = inside[:-1] & (rows[n - 1:] == rows[:-(n - 1)])
            chained = chained[:-1] * _CHAIN + codes[n - 1:] + _SALT
            keys.append(chained[inside])
            key_rows.append(rows[:len(inside)][inside])
    columns = (mix64(np.concatenate(keys)) % np.uint64(buckets)).astype(np.int64)
    row_ids = np.concatenate(key_rows)
    counts = sparse.csr_matrix((np.ones(len(columns), np.float32), (row_ids, columns)), shape=(len(texts), buckets))
    counts.sum_duplicates()
    return counts


def sublinear_tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF-IDF, unit length per row, computed on the CSR arrays directly
    (scipy's diagonal products cost more than the hashing at scan-path batch sizes)."""
    counts = counts.astype(np.float32)
    rows = np.repeat(np.arange(counts.shape[0]), np.diff(counts.indptr))
    data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    norms = np.sqrt(np.bincount(rows, weights=data * data, minlength=counts.shape[0]))
    norms[norms == 0] = 1.0
    counts.data = (data / norms[rows]).astype(np.float32)
    return counts
