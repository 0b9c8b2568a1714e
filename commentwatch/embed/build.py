"""``commentwatch model build``: rebuild the default offline Chinese model.

Deterministic for the same lexicons, corpus and package versions, so the
committed model can be checked by rebuilding it. Teacher vectors are cached
(``--cache-dir``), so a second build takes seconds.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from commentwatch.embed.distill import (
    TEACHER,
    DistillSettings,
    TeacherCache,
    distil_rows,
    save_model,
)
from commentwatch.embed.embedder import load_embedder
from commentwatch.embed.vocabulary import build_vocabulary, lexicon_terms

log = logging.getLogger(__name__)

#: Pairs that mean the same / pairs that do not, to show the model reads Chinese.
PARAPHRASES = (
    ("养几年就能吃了", "等她长大了就可以下手了"),
    ("这是我们之间的秘密", "不要告诉别人我们说的话"),
    ("别告诉你爸妈", "不要让你妈妈知道"),
    ("加我微信私聊", "留个联系方式私下聊"),
    ("你长得真丑", "你太难看了"),
    ("今天天气真好", "今天阳光明媚"),
)
UNRELATED = (
    ("养几年就能吃了", "今天天气真好"),
    ("这是我们之间的秘密", "这道菜做得很好吃"),
    ("别告诉你爸妈", "火车晚点了半小时"),
    ("加我微信私聊", "小朋友跳舞跳得真好"),
    ("你长得真丑", "这首歌很好听"),
    ("今天天气真好", "我明天要考试"),
)


def paraphrase_check(encode: Callable[[list[str]], np.ndarray]) -> tuple[float, float]:
    """Mean cosine of paraphrase pairs and of unrelated pairs."""
    def mean_cos(pairs):
        a = encode([x for x, _ in pairs])
        b = encode([y for _, y in pairs])
        return float(np.mean(np.sum(a * b, axis=1)))
    return mean_cos(PARAPHRASES), mean_cos(UNRELATED)


def build(out_dir: Path, *, lexicon_dir: Path, corpus: Sequence[str], corpus_name: str,
          eval_texts: Sequence[str] = (), eval_labels: Sequence[int] = (), eval_train: tuple = (),
          dictionary_words: int = 26_000, max_size: int = 40_000, dimensions: int = 256,
          cache_dir: Path | None = None, progress: Callable[[str], None] = print) -> dict:
    """Distil the teacher into a StaticEmbedding model under ``out_dir``; returns the figures."""
    vocabulary = build_vocabulary(dictionary_words=dictionary_words, lexicon_dir=lexicon_dir,
                                  corpus=corpus, max_size=max_size)
    progress(f"vocabulary: {len(vocabulary.words)} words {vocabulary.sources}")
    teacher = TeacherCache(cache_dir)
    word_vectors = teacher.encode(list(vocabulary.words), kind="words", progress=progress)
    settings = DistillSettings(dimensions=dimensions)
    rows, _, _ = distil_rows(vocabulary, word_vectors, settings)
    info = {
        "teacher": TEACHER,
        "built": datetime.date.today().isoformat(),
        "vocabulary": len(vocabulary.words),
        "vocabulary_sources": vocabulary.sources,
        "dimensions": dimensions,
        "corpus": corpus_name,
        "dictionary_words": dictionary_words,
        # The vocabulary depends on the lexicons; this says which terms it saw.
        "lexicon_terms_hash": hashlib.blake2b("\n".join(lexicon_terms(lexicon_dir)).encode(),
                                              digest_size=8).hexdigest(),
    }
    fingerprint = save_model(out_dir, vocabulary.words, rows, "", info)

    student = load_embedder(str(out_dir), device="cpu")
    figures: dict = {}
    figures["student_paraphrase_cos"], figures["student_unrelated_cos"] = paraphrase_check(student.encode)
    figures["teacher_paraphrase_cos"], figures["teacher_unrelated_cos"] = paraphrase_check(
        lambda texts: teacher.encode(texts, kind="check"))
    if eval_texts and eval_train:
        from scipy.stats import spearmanr
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, f1_score

        sample = list(eval_texts[:1000])
        s = student.encode(sample)
        t = teacher.encode(sample, kind="agreement", progress=progress)
        upper = np.triu_indices(len(sample), 1)
        figures["teacher_agreement_spearman"] = float(spearmanr((s @ s.T)[upper], (t @ t.T)[upper]).correlation)
        train_texts, train_labels = eval_train
        head = LogisticRegression(C=10, max_iter=3000).fit(student.encode(train_texts), train_labels)
        predicted = head.predict(student.encode(list(eval_texts)))
        figures["cold_dev_accuracy_embedding_only"] = float(accuracy_score(eval_labels, predicted))
        figures["cold_dev_macro_f1_embedding_only"] = float(f1_score(eval_labels, predicted, average="macro"))
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    info.update(fingerprint=fingerprint, figures={k: round(v, 4) for k, v in figures.items()}, size_bytes=size)
    (out_dir / "README.md").write_text(model_card(info), encoding="utf-8")
    import json

    (out_dir / "build.json").write_text(json.dumps(info, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return info


def model_card(info: dict) -> str:
    f = info["figures"]
    lines = [
        "# zh-jieba-static — commentwatch's default offline Chinese embedding model",
        "",
        "A sentence-transformers `StaticEmbedding` model: a sentence vector is the mean of its",
        "words' rows. Load it like any model: `SentenceTransformer(\"commentwatch/data/models/zh-jieba-static\")`.",
        "In the scan path commentwatch averages the rows itself from the pipeline's jieba tokens",
        "(same arithmetic, no torch call per comment).",
        "",
        "## How it was built",
        "",
        f"- Teacher: {info['teacher']}; every vocabulary word is embedded by the teacher once.",
        f"- Vocabulary: {info['vocabulary']} words — sources {info['vocabulary_sources']}:",
        "  the latin letters and digits, every single character in jieba's dictionary, every",
        "  lexicon and exemplar term (and its jieba pieces), the most frequent jieba",
        f"  dictionary words ({info['dictionary_words']}), then frequent tokens of the corpus ({info['corpus']}).",
        f"- Teacher vectors (512-d) reduced by PCA to {info['dimensions']} dimensions, each row scaled by",
        "  smooth inverse frequency `a / (a + p(word))` with a = 1e-4 (p from jieba's counts), stored float16.",
        "- Tokenizer: WordPiece over whole words without a continuation prefix: space-separated jieba",
        "  tokens map to their rows, unsegmented text falls back to longest-match; `[UNK]` is a zero row.",
        f"- Built {info['built']}; weights fingerprint `{info['fingerprint']}`; size {info['size_bytes'] / 1e6:.1f} MB;",
        f"  lexicon terms hash `{info['lexicon_terms_hash']}` (the same lexicons, corpus and packages rebuild",
        "  the same weights; a lexicon edit changes the vocabulary, and a rebuilt model needs `commentwatch train`).",
        "- Rebuild: `commentwatch model build` (about a minute on one core; teacher vectors are cached).",
        "",
        "## Evaluation",
        "",
        "| check | student | teacher |",
        "| --- | --- | --- |",
        f"| mean cosine, {len(PARAPHRASES)} Chinese paraphrase pairs | {f['student_paraphrase_cos']:.3f} | {f['teacher_paraphrase_cos']:.3f} |",
        f"| mean cosine, {len(UNRELATED)} unrelated pairs | {f['student_unrelated_cos']:.3f} | {f['teacher_unrelated_cos']:.3f} |",
    ]
    if "teacher_agreement_spearman" in f:
        lines += [
            "",
            (f"- Spearman correlation of pairwise cosines with the teacher's, 1,000 COLD dev sentences: "
            f"{f['teacher_agreement_spearman']:.3f}"),
            (f"- COLD dev, logistic regression on this model's vectors alone (trained on COLD train): accuracy "
            f"{f['cold_dev_accuracy_embedding_only']:.3f}, macro-F1 {f['cold_dev_macro_f1_embedding_only']:.3f} "
            "(the teacher's own vectors give 0.871 accuracy the same way)."),
        ]
    lines += [
        "",
        "## Limits",
        "",
        "Word order is lost (a bag of words); words outside the vocabulary fall back to their",
        "characters. It is a fast first reader for the semantic stage, not a general encoder.",
        "The teacher is Apache-2.0 licensed.",
        "",
    ]
    return "\n".join(lines)
