"""Fitting the learned decision layer and choosing its thresholds.

The layer learns on the lexicon-blind partition, where lexicon hits are as
unreliable as they will be on new text (on train and dev they are perfect:
the lexicons were written from them). The classifier's probabilities it
reads are out of fold: each row scored by a classifier that never saw it.
Sexualising comments cannot be written afresh, so that category's positives
come from ``train.jsonl`` — also scored out of fold.

Thresholds are chosen on the layer's own out-of-fold probabilities over the
same rows (COLD's excepted): ``hide`` is the lowest at which the layer's own
hides keep precision at or above ``HIDE_PRECISION``, per kind of video;
``alert`` and ``minors_alert`` the pair that flags the most while all
flagged comments keep ``ALERT_PRECISION``: as much recall as that allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from commentwatch.config import DetectConfig, PolicyConfig
from commentwatch.decide.features import FEATURES, feature_matrix, lexical_only
from commentwatch.decide.layer import OFFENDING, DecisionLayer, Head, Variant
from commentwatch.decide.policy import editors_hide
from commentwatch.judge import Judge
from commentwatch.training.corpus import Example
from commentwatch.values import HARM_CATEGORIES, Observation

#: Inverse regularisation of every head (features are few and in 0..1).
LAYER_C = 3.0
LAYER_FOLDS = 5
HIDE_PRECISION = 0.99
#: Moderators read every alert: at most one in twenty may be a false one (the precision goal is 0.95).
ALERT_PRECISION = 0.95
#: A category gets its own head only with this many positives to learn from.
MIN_CATEGORY_POSITIVES = 10
#: The category that comes from train.jsonl, since nobody writes it afresh.
FROM_EXISTING_DATA = "sexualize"


def layer_rows(examples: Sequence[Example], blind: np.ndarray) -> np.ndarray:
    """The rows the layer learns on: the blind partition, plus the existing sexualising positives."""
    existing = np.array([e.label == 1 and e.category == FROM_EXISTING_DATA for e in examples])
    return np.asarray(blind, bool) | existing


def observe(detect: DetectConfig, lexicon_dir: Path, examples: Sequence[Example],
            classifier: tuple[Sequence[str], np.ndarray], exemplar: tuple[Sequence[str], np.ndarray],
            readable: np.ndarray, ngram: np.ndarray) -> list[Observation]:
    """Each example as the judge would observe it, with the given semantic scores.

    Lexicon, rules and contact detectors run for real (a lexicon-only judge);
    the classifier, exemplar and n-gram scores are passed in, so they can be out of fold.
    """
    judge = Judge.from_sections(replace(detect, semantic=False, lexicon_dir=lexicon_dir, ngram="none"),
                                PolicyConfig(decision="noisy-or"))
    observations = judge.observe_many([e.comment for e in examples])
    (c_names, c_scores), (e_names, e_scores) = classifier, exemplar
    result = []
    for i, observation in enumerate(observations):
        if readable[i]:
            signals = replace(observation.signals,
                              classifier=tuple(zip(c_names, map(float, c_scores[i]))),
                              exemplar=tuple(zip(e_names, map(float, e_scores[i]))))
        else:
            signals = replace(observation.signals, classifier=(), exemplar=())
        result.append(replace(observation, signals=replace(signals, ngram=float(ngram[i]))))
    return result


def fit_layer(observations: Sequence[Observation], examples: Sequence[Example], *, seed: int = 0,
              groups: Sequence[str] | None = None, info: dict | None = None) -> DecisionLayer:
    """Both variants' heads, thresholds and out-of-fold figures (overall and per group of rows)."""
    groups = np.array(groups if groups is not None else ["all"] * len(examples))
    tune_on = groups != "cold"
    truth = np.array([e.label for e in examples], dtype=int)
    categories = [c for c in HARM_CATEGORIES
                  if sum(e.label == 1 and e.category == c for e in examples) >= MIN_CATEGORY_POSITIVES]
    labels = {OFFENDING: truth}
    labels.update({c: np.array([int(e.label == 1 and e.category == c) for e in examples]) for c in categories})
    editors = np.array([editors_hide(o.evidence, o.signals) for o in observations])
    X = feature_matrix(observations)
    minors = np.array([o.signals.minors for o in observations])
    folds = _folds(examples, seed)
    variants = {}
    for name, Xv in (("semantic", X), ("lexical", lexical_only(X))):
        oof = np.zeros(len(examples))
        for k in range(LAYER_FOLDS):
            held = folds == k
            oof[held] = _fit_head(Xv[~held], truth[~held]).probability(Xv[held])
        # Thresholds are chosen on the child-safety rows only: COLD's labels
        # (offensive language in general, labelled by other annotators) teach
        # the heads the general-abuse axis but are not the precision a hide needs.
        other, child = ~minors & tune_on, minors & tune_on
        hide, minors_hide = choose_hide(oof[other], truth[other]), choose_hide(oof[child], truth[child])
        alert, minors_alert = choose_alerts(oof[tune_on], truth[tune_on], editors[tune_on], minors[tune_on],
                                            hide=hide, minors_hide=minors_hide)
        reasons = threshold_reasons()
        alerts = np.where(minors, minors_alert, alert)
        hides = np.where(minors, minors_hide, hide)
        figures = layer_figures(oof, truth, editors, examples, alerts, hides)
        own_hides = (oof >= hides) & tune_on
        figures["layer_hide_precision_where_tuned"] = round(float(truth[own_hides].mean()) if own_hides.any() else 1.0, 4)
        if len(set(groups.tolist())) > 1:
            figures["per_group"] = {}
            for group in sorted(set(groups.tolist())):
                inside = groups == group
                hidden = ((oof >= hides) | editors)[inside]
                flagged = hidden | (oof >= alerts)[inside]
                figures["per_group"][group] = {"rows": int(inside.sum()), **_prf(flagged, truth[inside]),
                                               "benign_hidden": int((hidden & (truth[inside] == 0)).sum())}
        heads = {head: _fit_head(Xv, y) for head, y in labels.items()}
        variants[name] = Variant(heads, alert, hide, minors_alert, minors_hide, reasons, figures)
    return DecisionLayer(variants, dict(info or {}))


def _fit_head(X: np.ndarray, y: np.ndarray) -> Head:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=LAYER_C, max_iter=5000)
    model.fit(X, y)
    return Head(model.coef_[0].astype(np.float64), float(model.intercept_[0]))


def _folds(examples: Sequence[Example], seed: int) -> np.ndarray:
    """Folds stratified by category (label 0 is its own stratum); a category
    with too few rows to spread over the folds joins its label's stratum."""
    from collections import Counter

    from sklearn.model_selection import StratifiedKFold

    sizes = Counter(e.category for e in examples)
    strata = np.array([e.category if sizes[e.category] >= LAYER_FOLDS else f"label {e.label}" for e in examples])
    if min(Counter(strata.tolist()).values()) < LAYER_FOLDS:
        raise ValueError(f"the decision layer needs at least {LAYER_FOLDS} offending and {LAYER_FOLDS} "
                         "benign rows in the lexicon-blind partition")
    folds = np.zeros(len(examples), int)
    splitter = StratifiedKFold(n_splits=LAYER_FOLDS, shuffle=True, random_state=seed)
    for k, (_, held) in enumerate(splitter.split(np.zeros(len(strata)), strata)):
        folds[held] = k
    return folds


def lowest_threshold_at(p: np.ndarray, truth: np.ndarray, forced: np.ndarray, target: float,
                        *, support: int = 20) -> float:
    """The lowest threshold t at which flagging ``p >= t`` (and ``forced``) keeps
    precision >= target, among thresholds flagging at least ``support`` comments
    by probability; 1.0 when none does."""
    order = np.argsort(-p, kind="stable")
    ranked, positive, forced = p[order], truth[order] == 1, forced[order]
    counted = np.arange(1, len(p) + 1)
    # Forced rows below each candidate are flagged anyway: count them in.
    forced_below = forced.sum() - np.cumsum(forced)
    forced_true_below = (forced & positive).sum() - np.cumsum(forced & positive)
    precision = (np.cumsum(positive) + forced_true_below) / (counted + forced_below)
    # Ties: only the last of equal probabilities is a threshold.
    last_of_tie = np.append(ranked[1:] != ranked[:-1], True)
    ok = last_of_tie & (counted >= support) & (precision >= target)
    return float(ranked[ok][-1]) if ok.any() else 1.0


def choose_hide(p: np.ndarray, truth: np.ndarray) -> float:
    """The lowest probability at which the layer's own hides keep HIDE_PRECISION.

    The editors' severity-3 hides come on top and are measured apart
    (figures: editors_hide_precision), so one noisy entry cannot switch the
    layer's own hides off.
    """
    return round(max(lowest_threshold_at(p, truth, np.zeros(len(p), dtype=bool), HIDE_PRECISION), 0.5), 4)


#: Alert thresholds are searched on this grid.
ALERT_GRID = np.round(np.arange(0.05, 1.0, 0.01), 2)


def choose_alerts(p: np.ndarray, truth: np.ndarray, editors: np.ndarray, minors: np.ndarray, *,
                  hide: float, minors_hide: float) -> tuple[float, float]:
    """(alert, minors_alert): the pair that flags the most offending comments
    while everything flagged, on both kinds of video together, keeps
    ALERT_PRECISION. One precision for the whole queue rather than one per
    kind of video: where the layer is sure (children's videos) it may flag
    more, where it is less sure it flags less, and moderators still read at
    most one false alert in twenty."""

    def counts(rows: np.ndarray, ceiling: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        grid = np.minimum(ALERT_GRID, ceiling)
        flagged = (p[rows][None, :] >= grid[:, None]) | editors[rows][None, :]
        positive = truth[rows] == 1
        return grid, (flagged & positive).sum(axis=1), (flagged & ~positive).sum(axis=1)

    other_grid, other_tp, other_fp = counts(~minors, hide)
    child_grid, child_tp, child_fp = counts(minors, minors_hide)
    tp = other_tp[:, None] + child_tp[None, :]
    fp = other_fp[:, None] + child_fp[None, :]
    ok = tp >= ALERT_PRECISION * np.maximum(tp + fp, 1)
    if not ok.any():
        return hide, minors_hide
    # Most offending flagged; among equals, the fewest flagged, then the higher thresholds.
    score = np.where(ok, tp * 1_000_000 - fp, -1)
    a, b = np.unravel_index(int(np.argmax(score)), score.shape)
    return round(float(other_grid[a]), 4), round(float(child_grid[b]), 4)


def threshold_reasons() -> dict[str, str]:
    return {
        "hide": (f"lowest probability at which the layer's own hides keep precision >= {HIDE_PRECISION}, on its "
                 "out-of-fold probabilities over the rows it learns on (never below 0.5), chosen apart for "
                 "videos featuring children (minors_hide); the editors' severity-3 hides come on top and are "
                 "measured apart"),
        "alert": (f"alert and minors_alert together: the pair that flags the most offending rows while everything "
                  f"flagged (hide or alert, both kinds of video together) keeps precision >= {ALERT_PRECISION} "
                  "on the same rows: as much recall as a moderator's queue of at most one false alert in twenty "
                  "allows"),
        "minors": "on videos featuring children minors_hide and minors_alert apply; see hide and alert",
    }


def _prf(flagged: np.ndarray, truth: np.ndarray) -> dict:
    tp = int((flagged & (truth == 1)).sum())
    precision = tp / max(int(flagged.sum()), 1)
    recall = tp / max(int((truth == 1).sum()), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def layer_figures(p: np.ndarray, truth: np.ndarray, editors: np.ndarray, examples: Sequence[Example],
                  alert: np.ndarray, hide: np.ndarray) -> dict:
    """Out-of-fold figures at the chosen thresholds, overall and per category."""
    hidden = (p >= hide) | editors
    flagged = hidden | (p >= alert)
    figures = {"rows": len(truth), "offending": int(truth.sum()), **_prf(flagged, truth)}
    figures["hide_precision"] = round(float(truth[hidden].mean()) if hidden.any() else 1.0, 4)
    figures["benign_hidden"] = int((hidden & (truth == 0)).sum())
    figures["editors_hides"] = int(editors.sum())
    figures["editors_hide_precision"] = round(float(truth[editors].mean()) if editors.any() else 1.0, 4)
    by_layer = p >= hide
    figures["layer_hide_precision"] = round(float(truth[by_layer].mean()) if by_layer.any() else 1.0, 4)
    figures["brier"] = round(float(np.mean((p - truth) ** 2)), 4)
    figures["calibration_error"] = round(_calibration_error(p, truth), 4)
    per_category = {}
    for c in HARM_CATEGORIES:
        rows = np.array([e.category == c for e in examples])
        if rows.any():
            per_category[c] = {"positives": int(rows.sum()), "recall": round(float(flagged[rows].mean()), 4),
                               "hidden": round(float(hidden[rows].mean()), 4)}
    figures["per_category"] = per_category
    return figures


def _calibration_error(p: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: |mean probability - share offending| per decile, weighted."""
    edges = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        inside = edges == b
        if inside.any():
            total += inside.sum() * abs(p[inside].mean() - truth[inside].mean())
    return float(total / len(p))


def decision_card(layer: DecisionLayer) -> str:
    info = layer.info
    lines = [
        "# commentwatch decision layer",
        "",
        "Logistic regressions over the evidence every stage produces (`decide/features.py`: per category,",
        "the strongest lexicon entry, rule and contact/privacy detector severity, the classifier's",
        "probability and the nearest exemplar's similarity; category-blind maxima; the minors flag,",
        "danmaku or comment, bystander (reporting/warning) and minor-reference cues, length).",
        "An `offending` head decides; one head per category names what a comment is.",
        "Editors keep control: a severity-3 lexicon entry hides alone (unless a bystander word shows the",
        "commenter reporting or warning), and an allow-listed phrase removes its hit before the layer",
        "sees it. Context rules are weighed by the layer like any other evidence.",
        "Stored as `decision.json` (numbers and names only; no pickle).",
        "",
        (f"- Trained {info.get('trained')} on {info.get('rows')} rows: the lexicon-blind partition "
        f"({info.get('blind_rows')}), the sexualising positives of `train.jsonl` ({info.get('existing_rows')}),"),
        ("  which nobody writes afresh, and a sample of COLD's train split "
        f"({info.get('cold_rows', 0)}), for general abuse on videos"),
        "  not about children. The classifier and n-gram probabilities it learned from are out of fold.",
        f"- {LAYER_FOLDS}-fold cross-validation on those rows gives the out-of-fold probabilities the",
        "  thresholds are chosen on and the figures below are measured on.",
        "- Rebuild: `commentwatch train` (it fits the classifier first).",
        "",
    ]
    for name, variant in layer.variants.items():
        lines += [f"## Variant `{name}`", "",
                  f"- hide >= {variant.hide}: {variant.reasons.get('hide', '')}",
                  f"- alert >= {variant.alert}: {variant.reasons.get('alert', '')}",
                  (f"- minors_hide >= {variant.minors_hide}, minors_alert >= {variant.minors_alert}: "
                  f"{variant.reasons.get('minors', '')}"),
                  f"- heads: {', '.join(variant.heads)}", "",
                  "Out-of-fold figures at those thresholds:", ""]
        figures = dict(variant.figures)
        per_category = figures.pop("per_category", {})
        per_group = figures.pop("per_group", {})
        for key, value in figures.items():
            lines.append(f"- {key}: {value}")
        lines += ["", "| category | positives | flagged | hidden |", "|---|---|---|---|"]
        for c, f in per_category.items():
            lines.append(f"| {c} | {f['positives']} | {f['recall']} | {f['hidden']} |")
        if per_group:
            lines += ["", "| rows from | rows | precision | recall | F1 | benign hidden |", "|---|---|---|---|---|---|"]
            for g, f in per_group.items():
                lines.append(f"| {g} | {f['rows']} | {f['precision']} | {f['recall']} | {f['f1']} | {f['benign_hidden']} |")
        lines.append("")
    strongest = layer.variants["semantic"].heads[OFFENDING].coef
    order = np.argsort(-np.abs(strongest))[:12]
    lines += ["## Strongest weights of the `offending` head (semantic variant)", ""]
    lines += [f"- {FEATURES[i]}: {strongest[i]:+.2f}" for i in order]
    lines.append("")
    return "\n".join(lines)
