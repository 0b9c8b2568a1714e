"""Building the default embedding model (``commentwatch model build``).

A static Chinese model distilled from a multilingual teacher over the
project's own corpus (labelled train plus COLD train), so nothing is
downloaded at run time. The classifier is tied to the model's fingerprint:
retrain it after a build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from commentwatch import paths
from commentwatch.embed.build import build
from commentwatch.training.corpus import read_cold, read_labelled, texts_and_labels


@dataclass(frozen=True)
class ModelBuildOptions:
    #: Model folder; ``None`` writes the committed model.
    out: Path | None = None
    lexicon_dir: Path = paths.LEXICON_DIR
    #: Folder with train.jsonl (its texts join the distillation corpus).
    labelled: Path = paths.LABELLED_DIR
    #: Folder with COLD's train.csv and dev.csv.
    cold: Path = paths.COLD_DIR
    #: Teacher vectors are cached here; ``None`` caches nothing.
    cache_dir: Path | None = None
    #: Most words in the vocabulary.
    vocabulary: int = 40_000
    dictionary_words: int = 26_000
    dimensions: int = 256


def build_model(options: ModelBuildOptions) -> dict:
    """Distil the default embedding model into ``options.out``; returns its build info."""
    labelled = read_labelled(options.labelled / "train.jsonl") if (options.labelled / "train.jsonl").is_file() else []
    corpus = [e.text for e in labelled]
    corpus_name = f"child-safety train ({len(labelled)})"
    eval_texts, eval_labels, eval_train = (), (), ()
    cold_dir = options.cold
    if (cold_dir / "train.csv").is_file():
        cold_texts, cold_labels = texts_and_labels(read_cold(cold_dir / "train.csv"))
        corpus += cold_texts
        corpus_name += f" + COLD train ({len(cold_texts)})"
        if (cold_dir / "dev.csv").is_file():
            eval_texts, eval_labels = texts_and_labels(read_cold(cold_dir / "dev.csv"))
            eval_train = (cold_texts, cold_labels)
    out = options.out or paths.EMBEDDING_MODEL_DIR
    info = build(out, lexicon_dir=options.lexicon_dir, corpus=corpus, corpus_name=corpus_name,
                 eval_texts=list(eval_texts), eval_labels=list(eval_labels), eval_train=eval_train,
                 dictionary_words=options.dictionary_words, max_size=options.vocabulary, dimensions=options.dimensions,
                 cache_dir=options.cache_dir)
    return info
