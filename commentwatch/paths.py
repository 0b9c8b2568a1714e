"""Where the project's files live: lexicons, labelled data, models, caches, COLD.

One home for every default path, so config, training, measurement and the
commands agree on them; ``config.py`` only loads and validates.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
#: The lexicons shipped beside the package in the source tree.
LEXICON_DIR = PACKAGE_DIR.parent / "lexicons"
#: Exemplar phrases of the semantic stage, one file per category.
EXEMPLAR_DIR = LEXICON_DIR / "exemplars"
#: Data and artefacts built or trained by the project.
DATA_DIR = PACKAGE_DIR / "data"
#: The project's labelled child-safety comments (train/dev/test JSON Lines).
LABELLED_DIR = DATA_DIR / "labelled"
MODELS_DIR = DATA_DIR / "models"
#: The default offline Chinese embedding model (``detect.model = "default"``).
EMBEDDING_MODEL_DIR = MODELS_DIR / "zh-jieba-static"
#: The default classifier artefact (``detect.classifier = "default"``).
CLASSIFIER_DIR = MODELS_DIR / "classifier"
#: The default character n-gram model (``detect.ngram = "default"``).
NGRAM_DIR = MODELS_DIR / "ngram"
#: The default learned decision layer (``policy.decision = "learned"``).
DECISION_DIR = MODELS_DIR / "decision"
#: COLD's splits, read in place beside the checkout and never copied in.
COLD_DIR = PACKAGE_DIR.parent.parent / "shared" / "data" / "cold"


def cache_dir() -> Path:
    """Per-user cache (exemplar vectors, teacher vectors): ``$XDG_CACHE_HOME/commentwatch``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "commentwatch"
