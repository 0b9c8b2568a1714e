"""The learned decision layer: the shipped artefact, the editors' controls, thresholds, and a broken file."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from commentwatch.config import PolicyConfig
from commentwatch.decide.features import (
    FEATURES,
    SEMANTIC_FEATURES,
    feature_matrix,
    lexical_only,
)
from commentwatch.decide.layer import OFFENDING, DecisionLayer
from commentwatch.decide.policy import Policy, load_layer
from commentwatch.errors import CommentwatchError, DecisionLayerError
from commentwatch.paths import DECISION_DIR
from commentwatch.values import Action, Evidence, Observation, Signals


@pytest.fixture(scope="module")
def layer() -> DecisionLayer:
    return DecisionLayer.load(DECISION_DIR)


def observe(*evidence: Evidence, minors: bool = True, cues=(), classifier=(), exemplar=(), length: int = 12):
    signals = Signals(minors=minors, danmaku=False, cues=frozenset(cues), classifier=tuple(classifier),
                      exemplar=tuple(exemplar), length=length, read_length=length)
    return Observation("c", tuple(evidence), signals)


def lexicon(category: str, severity: int, source: str = "lexicon") -> Evidence:
    return Evidence(category, "词", 0, 1, source=source, severity=severity, score=0.5)


def test_the_shipped_layer_loads_with_both_variants_and_tuned_thresholds(layer):
    for name in ("semantic", "lexical"):
        variant = layer.variants[name]
        assert OFFENDING in variant.heads and len(variant.categories) >= 5
        assert 0.0 < variant.alert <= variant.hide <= 1.0
        assert 0.0 < variant.minors_alert <= variant.minors_hide <= 1.0
        assert set(variant.reasons) >= {"hide", "alert", "minors"}
        # The figure it was tuned to, out of fold on the rows its thresholds were chosen on.
        assert variant.figures["layer_hide_precision_where_tuned"] >= 0.99
    assert layer.variants["semantic"].figures["f1"] > layer.variants["lexical"].figures["f1"]


def test_the_judge_without_the_semantic_stage_reads_the_lexical_variant(layer):
    assert Policy(PolicyConfig(), layer, semantic=False).variant is layer.variants["lexical"]
    assert Policy(PolicyConfig(), layer, semantic=True).variant is layer.variants["semantic"]
    assert load_layer(PolicyConfig(decision="noisy-or")) is None


def test_a_severity_3_entry_hides_alone_whatever_the_layer_says(layer):
    policy = Policy(PolicyConfig(learned_alert=1.0, learned_hide=1.0, learned_minors_alert=1.0,
                                 learned_minors_hide=1.0), layer)
    (verdict,) = policy.decide_many([observe(lexicon("sexual_ad", 3), minors=False)])
    assert verdict.action is Action.HIDE
    # A rule of severity 3 is weighed by the layer instead: with no threshold reachable it cannot hide.
    (verdict,) = policy.decide_many([observe(lexicon("grooming", 3, source="rule"))])
    assert verdict.action is not Action.HIDE


def test_a_bystander_word_hands_a_severity_3_entry_to_the_layer(layer):
    policy = Policy(PolicyConfig(learned_hide=1.0, learned_minors_hide=1.0), layer)
    (verdict,) = policy.decide_many([observe(lexicon("sexual_ad", 3), cues={"bystander"})])
    assert verdict.action is not Action.HIDE


def test_actions_follow_the_thresholds_in_config(layer):
    observation = observe(lexicon("contact", 2), classifier=[("contact", 0.9)], cues={"contact"})
    p = Policy(PolicyConfig(), layer).decide_many([observation])[0].score
    assert 0.0 < p < 1.0
    cases = [(p / 2, p / 2 + 0.001, Action.HIDE), (p - 0.001, min(p + 0.001, 1.0), Action.ALERT),
             (min(p + 0.001, 1.0), min(p + 0.002, 1.0), Action.ALLOW)]
    for alert, hide, expected in cases:
        policy = Policy(PolicyConfig(learned_minors_alert=alert, learned_minors_hide=hide), layer)
        assert policy.decide_many([observation])[0].action is expected, (alert, hide)
    # The other pair applies on other videos.
    other = replace(observation, signals=replace(observation.signals, minors=False))
    policy = Policy(PolicyConfig(learned_minors_alert=0.0, learned_minors_hide=0.0, learned_alert=1.0,
                                 learned_hide=1.0), layer)
    assert policy.decide_many([observation, other])[0].action is Action.HIDE
    assert policy.decide_many([observation, other])[1].action is Action.ALLOW


def test_a_verdict_carries_calibrated_probabilities_and_names_categories(layer):
    policy = Policy(PolicyConfig(learned_minors_alert=0.0, learned_minors_hide=0.0), layer)
    observation = observe(lexicon("contact", 2), classifier=[("contact", 0.95), ("grooming", 0.01)])
    (verdict,) = policy.decide_many([observation])
    probabilities = dict(verdict.probabilities)
    assert set(probabilities) == set(layer.variants["semantic"].categories)
    assert all(0.0 <= q <= 1.0 for q in probabilities.values())
    assert verdict.categories[0] == "contact"
    # Nothing at all: allowed, with no category.
    (verdict,) = Policy(PolicyConfig(), layer).decide_many([observe(minors=False)])
    assert verdict.action is Action.ALLOW and verdict.categories == ()
    assert verdict.score < 0.5


def test_features_are_in_range_and_the_lexical_rows_lose_the_semantic_ones():
    X = feature_matrix([
        observe(lexicon("contact", 3), lexicon("grooming", 1, source="rule"), cues={"bystander", "minor_reference"},
                classifier=[("contact", 0.7), ("abuse", 0.2)], exemplar=[("grooming", -0.3), ("contact", 0.8)],
                length=10_000),
        observe(),
    ])
    assert X.shape == (2, len(FEATURES))
    assert X.min() >= 0.0 and X.max() <= 1.0
    row = dict(zip(FEATURES, X[0]))
    assert row["lexicon:contact"] == 1.0 and row["severity3"] == 1.0 and row["rule:grooming"] == pytest.approx(1 / 3)
    assert row["classifier:contact"] == pytest.approx(0.7) and row["exemplar:grooming"] == 0.0
    assert row["bystander"] == 1.0 and row["bystander*lexical"] == 1.0 and row["length"] == 1.0
    # Nothing found: only the context (a child's video, twelve characters) is non-zero.
    assert {FEATURES[i] for i in np.flatnonzero(X[1])} == {"minors", "length"}
    lexical = dict(zip(FEATURES, lexical_only(X)[0]))
    assert all(lexical[name] == 0.0 for name in SEMANTIC_FEATURES)
    assert lexical["lexicon:contact"] == 1.0


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "decision.json").unlink(), "no decision layer here"),
    (lambda d: (d / "decision.json").write_text("{broken", encoding="utf-8"), "not valid JSON"),
    (lambda d: _edit(d, lambda data: data.update(features=data["features"][:-1])), "other features"),
    (lambda d: _edit(d, lambda data: data["variants"]["semantic"]["heads"]["offending"].update(coef=[1.0])),
     "1 weights"),
    (lambda d: _edit(d, lambda data: data["variants"]["lexical"].update(alert=0.9, hide=0.1)), "alert 0.9, hide 0.1"),
    (lambda d: _edit(d, lambda data: data.update(format="pickle")), "format 'pickle'"),
])
def test_a_broken_layer_is_refused_naming_the_file(tmp_path, damage, message):
    folder = tmp_path / "decision"
    shutil.copytree(DECISION_DIR, folder)
    damage(folder)
    with pytest.raises(DecisionLayerError, match=message) as caught:
        load_layer(PolicyConfig(layer=str(folder)))
    assert isinstance(caught.value, CommentwatchError) and str(folder) in str(caught.value)


def _edit(folder, change) -> None:
    path = folder / "decision.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_alert_thresholds_are_chosen_together_for_one_precision_over_the_whole_queue():
    from commentwatch.training.decision import ALERT_PRECISION, choose_alerts

    rng = np.random.default_rng(0)
    # Children's videos: the layer separates well; other videos: it does not.
    truth_child = rng.random(400) < 0.5
    p_child = np.clip(np.where(truth_child, 0.8, 0.2) + rng.normal(0, 0.15, 400), 0, 1)
    truth_other = rng.random(400) < 0.5
    p_other = np.clip(np.where(truth_other, 0.6, 0.4) + rng.normal(0, 0.2, 400), 0, 1)
    p = np.concatenate([p_other, p_child])
    truth = np.concatenate([truth_other, truth_child]).astype(int)
    minors = np.arange(800) >= 400
    editors = np.zeros(800, dtype=bool)
    alert, minors_alert = choose_alerts(p, truth, editors, minors, hide=0.99, minors_hide=0.99)
    flagged = p >= np.where(minors, minors_alert, alert)
    assert truth[flagged].mean() >= ALERT_PRECISION
    assert minors_alert < alert  # the surer kind of video flags more
    # No pair with more offending rows flagged keeps the precision (checked on a coarse grid).
    best = flagged[truth == 1].sum()
    for a in np.arange(0.05, 1.0, 0.05):
        for b in np.arange(0.05, 1.0, 0.05):
            f = p >= np.where(minors, b, a)
            if f.any() and truth[f].mean() >= ALERT_PRECISION:
                assert f[truth == 1].sum() <= best
