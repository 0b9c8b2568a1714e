"""From an ``Observation`` to the numbers the learned decision layer reads.

One row per comment. Each harm category contributes what each kind of
witness said about it (lexicon entry, context rule, contact/privacy
detector: the strongest severity; classifier: its probability; exemplars:
the nearest similarity). Category-blind maxima let what is learned on one
category carry to another, and the context features say where the words
stand: a video featuring children, danmaku or comment, a commenter reporting
or warning (bystander cue), a child made the subject (minor_reference cue).

``FEATURES`` is the order of the columns; the layer's artefact stores the
names it was trained on and refuses a different order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from commentwatch.values import HARM_CATEGORIES, MINOR_REFERENCE, Observation

#: The witnesses whose severity an editor sets (entries, rules) or the code does (contact).
LEXICAL_SOURCES = ("lexicon", "rule", "contact")
SEMANTIC_SOURCES = ("classifier", "exemplar")
#: The cue of lexicon entries that show a commenter reporting or warning.
BYSTANDER_CUE = "bystander"
#: Categories whose classifier head learned from the project's child-safety data
#: (the abuse head also learned COLD, at COLD's balance, so it stands apart).
CHILD_SAFETY = tuple(c for c in HARM_CATEGORIES if c != "abuse")

FEATURES: tuple[str, ...] = (
    *(f"{source}:{category}" for category in HARM_CATEGORIES for source in LEXICAL_SOURCES + SEMANTIC_SOURCES),
    "ngram:offending", "lexicon:max", "lexicon:count", "rule:max", "contact:max", "severity3",
    "classifier:max_child_safety", "exemplar:max", "categories",
    "minors", "danmaku", "bystander", "minor_reference", "length",
    "minors*classifier", "bystander*lexical",
)
#: Columns that are zero when the semantic stage is off.
SEMANTIC_FEATURES: frozenset[str] = frozenset(
    name for name in FEATURES if name.split(":")[0] in SEMANTIC_SOURCES or name == "minors*classifier"
)
_COLUMN = {name: i for i, name in enumerate(FEATURES)}


def feature_matrix(observations: Sequence[Observation]) -> np.ndarray:
    """(len(observations), len(FEATURES)) float32, every value in 0..1."""
    X = np.zeros((len(observations), len(FEATURES)), dtype=np.float32)
    for row, observation in enumerate(observations):
        _fill(X[row], observation)
    return X


def _fill(x: np.ndarray, observation: Observation) -> None:
    column = _COLUMN
    lexicon_terms = set()
    lexical_max = 0.0
    for item in observation.evidence:
        if item.source not in LEXICAL_SOURCES or item.category == MINOR_REFERENCE:
            continue
        severity = item.severity / 3
        name = f"{item.source}:{item.category}"
        if name in column:
            x[column[name]] = max(x[column[name]], severity)
        x[column[f"{item.source}:max"]] = max(x[column[f"{item.source}:max"]], severity)
        if item.source == "lexicon":
            lexicon_terms.add(item.term)
        if item.severity >= 3:
            x[column["severity3"]] = 1.0
        lexical_max = max(lexical_max, severity)
    x[column["lexicon:count"]] = min(len(lexicon_terms), 3) / 3
    signals = observation.signals
    x[column["ngram:offending"]] = signals.ngram
    for category, p in signals.classifier:
        name = f"classifier:{category}"
        if name in column:
            x[column[name]] = p
            if category in CHILD_SAFETY:
                x[column["classifier:max_child_safety"]] = max(x[column["classifier:max_child_safety"]], p)
    for category, similarity in signals.exemplar:
        name = f"exemplar:{category}"
        if name in column:
            value = max(similarity, 0.0)
            x[column[name]] = value
            x[column["exemplar:max"]] = max(x[column["exemplar:max"]], value)
    touched = {item.category for item in observation.evidence
               if item.source in LEXICAL_SOURCES and item.category != MINOR_REFERENCE}
    x[column["categories"]] = min(len(touched), 3) / 3
    x[column["minors"]] = float(signals.minors)
    x[column["danmaku"]] = float(signals.danmaku)
    x[column["bystander"]] = float(BYSTANDER_CUE in signals.cues)
    x[column["minor_reference"]] = float(MINOR_REFERENCE in signals.cues)
    x[column["length"]] = min(math.log1p(signals.read_length) / math.log1p(500), 1.0)
    x[column["minors*classifier"]] = x[column["minors"]] * x[column["classifier:max_child_safety"]]
    x[column["bystander*lexical"]] = x[column["bystander"]] * lexical_max


def lexical_only(X: np.ndarray) -> np.ndarray:
    """The same rows as the semantic stage being off would give them."""
    X = X.copy()
    X[:, [_COLUMN[name] for name in sorted(SEMANTIC_FEATURES)]] = 0.0
    return X
