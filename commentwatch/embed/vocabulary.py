"""Choose the words the default static model knows.

The model only has rows for its vocabulary, so the choice decides what it
can read: jieba's dictionary (by frequency) so the segmenter's usual tokens
have rows, every single character jieba knows so any unknown word still
falls back to its characters, every lexicon and exemplar term so the words
the project cares about are never lost, and the frequent tokens of the
training texts, which carry the internet slang a dictionary lacks.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

#: A vocabulary item: CJK ideographs, latin letters and digits only. Anything
#: else (punctuation, emoji) would be split by the tokenizer before lookup.
_ITEM = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fffa-z0-9]+$")
_LATIN_AND_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Vocabulary:
    words: tuple[str, ...]
    #: Relative frequency of each word (jieba's counts, else corpus counts),
    #: used to down-weight words that say little.
    probabilities: tuple[float, ...]
    sources: dict[str, int]


def usable(word: str) -> bool:
    return bool(_ITEM.match(word))


def lexicon_terms(lexicon_dir: Path) -> list[str]:
    """First column of every term file, plus every exemplar phrase."""
    terms: list[str] = []
    for path in sorted(lexicon_dir.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                terms.append(line.split("|", 1)[0].strip().lower())
    exemplar_dir = lexicon_dir / "exemplars"
    if exemplar_dir.is_dir():
        for path in sorted(exemplar_dir.glob("*.txt")):
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    terms.append(line.lower())
    return terms


def build_vocabulary(
    *,
    dictionary_words: int,
    lexicon_dir: Path,
    corpus: Iterable[str],
    corpus_min_count: int = 3,
    max_size: int = 60_000,
) -> Vocabulary:
    """Collect words in priority order until ``max_size`` is reached."""
    import jieba

    jieba.initialize()
    freq = jieba.dt.FREQ
    total = float(jieba.dt.total)
    ranked = sorted(((f, w) for w, f in freq.items() if f > 0 and usable(w.lower())), reverse=True)

    chosen: dict[str, float] = {}
    sources: Counter[str] = Counter()

    def add(word: str, probability: float, source: str) -> None:
        if word not in chosen and usable(word) and len(chosen) < max_size:
            chosen[word] = probability
            sources[source] += 1

    for ch in _LATIN_AND_DIGITS:
        add(ch, 1e-4, "latin")
    for f, w in ranked:
        if len(w) == 1:
            add(w.lower(), f / total, "characters")
    for term in lexicon_terms(lexicon_dir):
        for token in [term, *jieba.cut(term)]:
            token = token.strip().lower()
            add(token, freq.get(token, 0) / total, "lexicon")

    counts: Counter[str] = Counter()
    corpus_tokens = 0
    for text in corpus:
        for token in jieba.cut(text):
            token = token.strip().lower()
            if token:
                counts[token] += 1
                corpus_tokens += 1
    frequent = [(c, w) for w, c in counts.items() if c >= corpus_min_count and usable(w)]
    added_dictionary = 0
    for f, w in ranked:
        if added_dictionary >= dictionary_words:
            break
        before = len(chosen)
        add(w.lower(), f / total, "dictionary")
        added_dictionary += len(chosen) - before
    for c, w in sorted(frequent, reverse=True):
        add(w, freq.get(w, 0) / total or c / max(corpus_tokens, 1), "corpus")
    words = tuple(chosen)
    return Vocabulary(words, tuple(chosen[w] for w in words), dict(sources))
