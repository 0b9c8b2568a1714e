"""``commentwatch model build``'s recipe: reproducible, loadable, documented."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sentence_transformers import SentenceTransformer

from commentwatch.embed.build import build
from commentwatch.embed.embedder import load_embedder
from commentwatch.embed.vocabulary import build_vocabulary, usable
from commentwatch.paths import EMBEDDING_MODEL_DIR, LEXICON_DIR

CORPUS = ["这是我们之间的秘密", "别告诉你爸妈", "今天天气真好", "小朋友跳舞跳得真好"] * 3


def small_build(out: Path, cache: Path) -> dict:
    return build(out, lexicon_dir=LEXICON_DIR, corpus=CORPUS, corpus_name="test corpus",
                 dictionary_words=50, max_size=400, dimensions=16, cache_dir=cache, progress=lambda _: None)


def test_the_build_is_reproducible_and_loads_with_sentence_transformers(tmp_path):
    first = small_build(tmp_path / "a", tmp_path / "cache")
    second = small_build(tmp_path / "b", tmp_path / "cache")
    assert first["fingerprint"] == second["fingerprint"]
    assert first["vocabulary"] == 400 and first["dimensions"] == 16
    model = SentenceTransformer(str(tmp_path / "a"), device="cpu")
    assert model.encode(["你 好"]).shape == (1, 16)
    assert load_embedder(str(tmp_path / "a"), "cpu").fingerprint == first["fingerprint"]
    card = (tmp_path / "a" / "README.md").read_text(encoding="utf-8")
    assert first["fingerprint"] in card and "paraphrase pairs" in card
    assert list((tmp_path / "cache").glob("teacher-words-*.npy"))


def test_the_vocabulary_keeps_characters_lexicon_terms_and_corpus_words():
    vocabulary = build_vocabulary(dictionary_words=1000, lexicon_dir=LEXICON_DIR,
                                  corpus=["宝宝跳舞真好看"] * 5, max_size=20_000)
    words = set(vocabulary.words)
    assert {"a", "z", "0", "9", "的", "秘"} <= words
    assert "别告诉你爸妈" in words  # an exemplar phrase
    assert all(usable(w) for w in words)
    assert len(vocabulary.probabilities) == len(vocabulary.words)
    assert all(0.0 <= p < 1.0 for p in vocabulary.probabilities)


def test_the_committed_model_card_matches_the_committed_weights():
    model = load_embedder("default", "cpu")
    card = (EMBEDDING_MODEL_DIR / "README.md").read_text(encoding="utf-8")
    assert model.fingerprint in card
    size = sum(p.stat().st_size for p in EMBEDDING_MODEL_DIR.rglob("*") if p.is_file())
    assert size < 25_000_000
    assert model.matrix.shape[1] == 256 and not np.any(model.matrix[0])
