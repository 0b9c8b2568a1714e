"""Combining evidence from every signal into one score per category.

Signals are treated as independent witnesses (noisy-OR): two medium hits on
the same comment say more than one, but never more than certainty. Lexicon
severity maps to a fixed score so that editors can predict the outcome of a
severity they choose (see ``lexicons/README.md``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from commentwatch.values import MINOR_REFERENCE, Evidence

#: Score of a lexicon/contact/rule hit of each severity. Severity 0 is a cue:
#: it only counts through a rule.
SEVERITY_SCORE = {0: 0.0, 1: 0.45, 2: 0.75, 3: 0.95}


def severity_score(severity: int) -> float:
    return SEVERITY_SCORE[severity]


def category_scores(evidence: Iterable[Evidence]) -> dict[str, float]:
    """Noisy-OR of the evidence scores within each harm category."""
    miss: dict[str, float] = defaultdict(lambda: 1.0)
    for item in evidence:
        if item.category == MINOR_REFERENCE or item.score <= 0.0:
            continue
        miss[item.category] *= 1.0 - min(item.score, 1.0)
    return {category: round(1.0 - m, 4) for category, m in miss.items()}


def overall_score(scores: dict[str, float]) -> float:
    """Noisy-OR across categories: grooming plus contact is worse than either."""
    miss = 1.0
    for score in scores.values():
        miss *= 1.0 - score
    return round(1.0 - miss, 4)
