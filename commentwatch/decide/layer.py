"""The learned decision layer: calibrated probabilities from all the evidence.

Logistic regressions over ``features.FEATURES``: one head for "offending in
any category", which the hide and alert thresholds apply to, and one per
category for which there were positives to learn from, which name what a
comment is. Two variants are kept: ``semantic`` (every feature) and
``lexical`` (trained with the semantic features zeroed), for judges run
without the semantic stage, so each reads the evidence it will really get.

The artefact is one JSON file, ``decision.json``: numbers and names, never a
pickle, so loading it cannot run code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from commentwatch.artefact import read_json
from commentwatch.decide.features import FEATURES
from commentwatch.errors import DecisionLayerError

FORMAT = "commentwatch-decision/1"
#: The head the thresholds apply to.
OFFENDING = "offending"
VARIANTS = ("semantic", "lexical")


@dataclass(frozen=True)
class Head:
    coef: np.ndarray
    intercept: float

    def probability(self, X: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(X @ self.coef + self.intercept)))


@dataclass(frozen=True)
class Variant:
    heads: dict[str, Head]
    #: Tuned thresholds on the offending head's probability, on other videos …
    alert: float
    hide: float
    #: … and on videos featuring children (tuned on those alone).
    minors_alert: float
    minors_hide: float
    #: Why each threshold is where it is (copied into the model card).
    reasons: dict[str, str] = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    @property
    def categories(self) -> tuple[str, ...]:
        return tuple(name for name in self.heads if name != OFFENDING)

    def probabilities(self, X: np.ndarray) -> dict[str, np.ndarray]:
        return {name: head.probability(X) for name, head in self.heads.items()}


@dataclass(frozen=True)
class DecisionLayer:
    variants: dict[str, Variant]
    info: dict = field(default_factory=dict)

    def variant(self, semantic: bool) -> Variant:
        return self.variants["semantic" if semantic else "lexical"]

    # -- storage ----------------------------------------------------------------
    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        data = {
            "format": FORMAT,
            "features": list(FEATURES),
            "variants": {
                name: {
                    "alert": v.alert, "hide": v.hide, "minors_alert": v.minors_alert, "minors_hide": v.minors_hide,
                    "reasons": v.reasons, "figures": v.figures,
                    "heads": {h: {"coef": [round(float(c), 6) for c in head.coef], "intercept": round(head.intercept, 6)}
                              for h, head in v.heads.items()},
                }
                for name, v in self.variants.items()
            },
            **self.info,
        }
        path = directory / "decision.json"
        temporary = path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def load(cls, directory: Path) -> DecisionLayer:
        path = directory / "decision.json"
        data = read_json(path, DecisionLayerError, "no decision layer here (expected decision.json); build one "
                         "with `commentwatch train`, or set policy.decision = \"noisy-or\"")
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise DecisionLayerError(f"format {data.get('format') if isinstance(data, dict) else None!r}, "
                                     f"expected {FORMAT!r}", path)
        if tuple(data.get("features", ())) != FEATURES:
            raise DecisionLayerError("trained on other features than this version computes; retrain it "
                                     "with `commentwatch train`", path)
        variants = {}
        try:
            for name in VARIANTS:
                raw = data["variants"][name]
                heads = {}
                for head_name, head in raw["heads"].items():
                    coef = np.asarray(head["coef"], dtype=np.float64)
                    if coef.shape != (len(FEATURES),):
                        raise DecisionLayerError(f"variant {name}, head {head_name}: {coef.shape[0]} weights "
                                                 f"for {len(FEATURES)} features", path)
                    heads[head_name] = Head(coef, float(head["intercept"]))
                if OFFENDING not in heads:
                    raise DecisionLayerError(f"variant {name}: no {OFFENDING!r} head", path)
                thresholds = [float(raw[key]) for key in ("alert", "hide", "minors_alert", "minors_hide")]
                for alert, hide in (thresholds[:2], thresholds[2:]):
                    if not 0.0 <= alert <= hide <= 1.0:
                        raise DecisionLayerError(f"variant {name}: thresholds alert {alert}, hide {hide} "
                                                 "must satisfy 0 <= alert <= hide <= 1", path)
                variants[name] = Variant(heads, *thresholds, dict(raw.get("reasons", {})),
                                         dict(raw.get("figures", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise DecisionLayerError(f"malformed layer: {type(exc).__name__}: {exc}", path) from None
        info = {k: v for k, v in data.items() if k not in ("format", "features", "variants")}
        return cls(variants, info)
