"""From evidence to a ``Verdict``: the only place thresholds are applied."""

from __future__ import annotations

from collections.abc import Sequence

from commentwatch.config import PolicyConfig
from commentwatch.decide.fusion import category_scores, overall_score
from commentwatch.values import Action, Evidence, Verdict


class Policy:
    def __init__(self, config: PolicyConfig):
        self.config = config

    def thresholds(self, minors: bool) -> tuple[float, float]:
        c = self.config
        return (c.minors_alert, c.minors_hide) if minors else (c.alert, c.hide)

    def decide(self, comment_id: str, evidence: Sequence[Evidence], *, minors: bool) -> Verdict:
        scores = category_scores(evidence)
        score = overall_score(scores)
        alert, hide = self.thresholds(minors)
        if score >= hide:
            action = Action.HIDE
        elif score >= alert:
            action = Action.ALERT
        else:
            action = Action.ALLOW
        categories = tuple(sorted((c for c, s in scores.items() if s > 0), key=lambda c: -scores[c]))
        # Strongest evidence first: it is what a moderator reads.
        ordered = tuple(sorted(evidence, key=lambda e: (-e.score, e.start)))
        return Verdict(comment_id, action, score, categories, ordered, minors_policy=minors)
