"""From observations to verdicts: the only place thresholds are applied.

With the learned layer (the default) a comment's action follows the layer's
calibrated probability that it offends, except where editors decide: a
severity-3 lexicon entry hides on its own, whatever the layer says
(unless the commenter is reporting or warning), and an allow-listed phrase has already removed its hit before anything here
sees it. Without the layer, the hand-set noisy-OR of ``fusion.py`` decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from commentwatch import paths
from commentwatch.config import PolicyConfig
from commentwatch.decide.features import (
    BYSTANDER_CUE,
    FEATURES,
    feature_matrix,
    lexical_only,
)
from commentwatch.decide.fusion import category_scores, overall_score
from commentwatch.decide.layer import OFFENDING, DecisionLayer, Variant
from commentwatch.values import (
    MINOR_REFERENCE,
    Action,
    Evidence,
    Observation,
    Signals,
    Verdict,
)

#: Sources of the evidence an editor's severity 3 makes decisive: entries.
#: Context rules combine innocent words, so the layer weighs them.
EDITORS_SOURCES = ("lexicon",)


def load_layer(config: PolicyConfig) -> DecisionLayer | None:
    """The configured decision layer, or None for the noisy-OR policy."""
    if config.decision != "learned":
        return None
    return DecisionLayer.load(paths.DECISION_DIR if config.layer == "default" else Path(config.layer))


class Policy:
    def __init__(self, config: PolicyConfig, layer: DecisionLayer | None = None, *, semantic: bool = True):
        self.config = config
        self.layer = layer
        self.variant: Variant | None = layer.variant(semantic) if layer is not None else None

    # -- the learned layer --------------------------------------------------------
    def learned_thresholds(self, minors: bool) -> tuple[float, float]:
        """(alert, hide) on the offending probability: the config's, else as tuned."""
        c, v = self.config, self.variant
        if minors:
            alert = v.minors_alert if c.learned_minors_alert < 0 else c.learned_minors_alert
            hide = v.minors_hide if c.learned_minors_hide < 0 else c.learned_minors_hide
        else:
            alert = v.alert if c.learned_alert < 0 else c.learned_alert
            hide = v.hide if c.learned_hide < 0 else c.learned_hide
        return min(alert, hide), hide

    def decide_many(self, observations: Sequence[Observation]) -> list[Verdict]:
        if self.variant is None:
            return [self.decide(o.comment_id, o.evidence, minors=o.signals.minors) for o in observations]
        if not observations:
            return []
        X = feature_matrix(observations)
        if self.variant is self.layer.variants.get("lexical"):
            X = lexical_only(X)
        probabilities = self.variant.probabilities(X)
        thresholds = {minors: self.learned_thresholds(minors) for minors in (False, True)}
        verdicts = []
        for row, observation in enumerate(observations):
            p = float(probabilities[OFFENDING][row])
            alert, hide = thresholds[observation.signals.minors]
            if editors_hide(observation.evidence, observation.signals) or p >= hide:
                action = Action.HIDE
            elif p >= alert:
                action = Action.ALERT
            else:
                action = Action.ALLOW
            per_category = {c: float(probabilities[c][row]) for c in self.variant.categories}
            categories = _categories(observation.evidence, per_category) if action != Action.ALLOW else ()
            evidence = list(observation.evidence)
            if categories:
                evidence.append(self._reading(X[row], p, categories[0], observation.signals.length))
            ordered = tuple(sorted(evidence, key=lambda e: (-e.score, e.start)))
            verdicts.append(Verdict(
                observation.comment_id, action, round(p, 4), categories, ordered,
                minors_policy=observation.signals.minors,
                probabilities=tuple((c, round(q, 4)) for c, q in sorted(per_category.items(), key=lambda i: -i[1])),
            ))
        return verdicts

    def _reading(self, x, p: float, category: str, length: int) -> Evidence:
        """The layer's own evidence: its probability and the features that weighed most.

        A comment flagged on the models' word alone still shows a moderator why.
        """
        contributions = x * self.variant.heads[OFFENDING].coef
        strongest = [i for i in contributions.argsort()[::-1][:3] if contributions[i] > 0]
        why = ", ".join(f"{FEATURES[i]} {x[i]:.2f}" for i in strongest)
        return Evidence(category, "decision layer", 0, max(length, 1), source="layer",
                        detail=f"offending {p:.2f}" + (f" (mostly {why})" if why else ""), score=round(p, 4))

    # -- the hand-set noisy-OR ------------------------------------------------------
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


def editors_hide(evidence: Sequence[Evidence], signals: Signals) -> bool:
    """Whether an editor's severity-3 entry hides this comment on its own.

    Not when the commenter is reporting or warning (a bystander word): a
    report quotes what it reports, and there the layer weighs the hit.
    """
    if BYSTANDER_CUE in signals.cues:
        return False
    return any(e.severity >= 3 and e.source in EDITORS_SOURCES and e.category != MINOR_REFERENCE for e in evidence)


def _categories(evidence: Sequence[Evidence], per_category: dict[str, float]) -> tuple[str, ...]:
    """What the comment is, most likely first: the layer's heads, then evidence the heads do not cover.

    A category counts when the layer gives it at least a tenth of a chance,
    or evidence names it: a moderator sees every reason.
    """
    named = {e.category for e in evidence if e.category != MINOR_REFERENCE and e.score > 0}
    ranked = {c: p for c, p in per_category.items() if p >= 0.1 or c in named}
    strongest = {}
    for e in evidence:
        if e.category in named:
            strongest[e.category] = max(strongest.get(e.category, 0.0), e.score)
    for c in named - ranked.keys():
        ranked[c] = strongest[c] * 0.1
    return tuple(sorted(ranked, key=lambda c: -ranked[c]))

