"""Evaluation: precision, recall and F1 of the real scan path on labelled sets.

Every set is judged through the same ``Judge`` scan and the daemon use, and
scored overall, per harm category, per evasion kind and per style, with the
hard negatives alerted or hidden and every false positive and negative with
its evidence; COLD sets (CSV) get accuracy and macro-F1. A comment counts as
flagged when the action is ``alert`` or ``hide``; hide-only figures are
beside. The user-facing description is ``commentwatch eval --help``
(``cli/measure.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commentwatch.measure.baseline import Baseline, Baselines
from commentwatch.measure.evasions import evasion_invariance, render_invariance
from commentwatch.training.corpus import STYLES, Example, read_examples
from commentwatch.values import HARM_CATEGORIES, Action, Verdict

#: Comments judged per ``judge_many`` call, as the scan command batches.
BATCH = 256


@dataclass
class Counts:
    """A confusion matrix with the figures derived from it."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, label: int, predicted: bool) -> None:
        if label and predicted:
            self.tp += 1
        elif label:
            self.fn += 1
        elif predicted:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        return f1_score(self.precision, self.recall)

    @property
    def accuracy(self) -> float | None:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp, "fp": self.fp, "fn": self.fn, "tn": self.tn,
            "precision": _round(self.precision), "recall": _round(self.recall),
            "f1": _round(self.f1), "accuracy": _round(self.accuracy),
        }


def f1_score(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# -- judging and scoring -----------------------------------------------------------
def judge_all(judge, examples: Sequence[Example]) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for start in range(0, len(examples), BATCH):
        verdicts.extend(judge.judge_many([e.comment for e in examples[start:start + BATCH]]))
    return verdicts


def flagged(verdict: Verdict) -> bool:
    return verdict.action in (Action.ALERT, Action.HIDE)


def hidden(verdict: Verdict) -> bool:
    return verdict.action is Action.HIDE


def evidence_summary(verdict: Verdict) -> list[str]:
    out = []
    for item in verdict.evidence:
        evasion = f" ~{item.evasion}" if item.evasion else ""
        detail = f" ({item.detail})" if item.detail and item.source == "rule" else ""
        out.append(f"{item.category}:{item.term}@{item.start}-{item.end} {item.source} {item.score:.2f}{evasion}{detail}")
    return out


def _case(example: Example, verdict: Verdict) -> dict[str, Any]:
    return {
        "id": example.comment.id,
        "where": example.where,
        "text": example.comment.text,
        "label": example.label,
        "category": example.category,
        "evasion": example.evasion,
        "style": example.style,
        "action": verdict.action.value,
        "score": verdict.score,
        "predicted_categories": list(verdict.categories),
        "evidence": evidence_summary(verdict),
    }


def score_labelled(examples: Sequence[Example], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Every figure of the report for one labelled set."""
    overall, hide_only = Counts(), Counts()
    by_style: dict[str, Counts] = defaultdict(Counts)
    by_evasion: dict[str, Counts] = defaultdict(Counts)
    category_support: dict[str, int] = defaultdict(int)
    category_flagged: dict[str, int] = defaultdict(int)
    category_hidden: dict[str, int] = defaultdict(int)
    category_named: dict[str, int] = defaultdict(int)
    predicted_as: dict[str, Counts] = defaultdict(Counts)
    hard_negatives = {"total": 0, "alerted": 0, "hidden": 0}
    false_positives, false_negatives = [], []
    for example, verdict in zip(examples, verdicts, strict=True):
        is_flagged = flagged(verdict)
        overall.add(example.label, is_flagged)
        hide_only.add(example.label, hidden(verdict))
        by_style[example.style].add(example.label, is_flagged)
        if example.label:
            by_evasion[example.evasion].add(1, is_flagged)
            category_support[example.category] += 1
            category_flagged[example.category] += is_flagged
            category_hidden[example.category] += hidden(verdict)
            category_named[example.category] += example.category in verdict.categories
        else:
            hard_negatives["total"] += 1
            hard_negatives["alerted"] += verdict.action is Action.ALERT
            hard_negatives["hidden"] += hidden(verdict)
        if is_flagged and verdict.categories:
            # Precision per category: of the comments flagged with this as the
            # strongest category, how many were truly harmful.
            predicted_as[verdict.categories[0]].add(example.label, True)
        if is_flagged and not example.label:
            false_positives.append(_case(example, verdict))
        elif example.label and not is_flagged:
            false_negatives.append(_case(example, verdict))
    categories = {}
    for category in HARM_CATEGORIES:
        support = category_support.get(category, 0)
        recall = category_flagged[category] / support if support else None
        precision = predicted_as[category].precision if category in predicted_as else None
        f1 = f1_score(precision, recall)
        categories[category] = {
            "support": support,
            "flagged": category_flagged.get(category, 0),
            "hidden": category_hidden.get(category, 0),
            "named": category_named.get(category, 0),
            "predicted": predicted_as[category].tp + predicted_as[category].fp if category in predicted_as else 0,
            "precision": _round(precision),
            "recall": _round(recall),
            "hide_recall": _round(category_hidden[category] / support if support else None),
            "f1": _round(f1),
        }
    return {
        "examples": len(examples),
        "positives": overall.tp + overall.fn,
        "negatives": overall.fp + overall.tn,
        "overall": overall.as_dict(),
        "hide_only": hide_only.as_dict(),
        "categories": categories,
        "evasions": {k: {"support": c.tp + c.fn, "flagged": c.tp, "recall": _round(c.recall)}
                     for k, c in sorted(by_evasion.items())},
        "styles": {k: by_style[k].as_dict() for k in STYLES if k in by_style},
        "hard_negatives": hard_negatives,
        "false_positives": false_positives,
        "false_negatives": false_negatives,
    }


def score_cold(examples: Sequence[Example], verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Accuracy and macro-F1 of flagged-vs-offensive on the COLD axis."""
    offensive, hide_only = Counts(), Counts()
    false_positives, false_negatives = [], []
    for example, verdict in zip(examples, verdicts, strict=True):
        is_flagged = flagged(verdict)
        offensive.add(example.label, is_flagged)
        hide_only.add(example.label, hidden(verdict))
        if is_flagged and not example.label:
            false_positives.append(_case(example, verdict))
        elif example.label and not is_flagged:
            false_negatives.append(_case(example, verdict))
    # The non-offensive class is the mirror image of the offensive one.
    inoffensive = Counts(tp=offensive.tn, fp=offensive.fn, fn=offensive.fp, tn=offensive.tp)
    f1s = [c.f1 or 0.0 for c in (offensive, inoffensive)]
    return {
        "examples": len(examples),
        "accuracy": _round(offensive.accuracy),
        "macro_f1": _round(sum(f1s) / 2),
        "offensive": offensive.as_dict(),
        "inoffensive": inoffensive.as_dict(),
        "hide_only": hide_only.as_dict(),
        "false_positives": false_positives,
        "false_negatives": false_negatives,
    }


def score_baseline(baseline: Baseline, examples: Sequence[Example], kind: str, path: Path) -> dict[str, Any]:
    """The baseline's figures on the same set, in the same terms as the system's."""
    flags = baseline.flags([e.text for e in examples])
    overall = Counts()
    support: dict[str, int] = defaultdict(int)
    caught: dict[str, int] = defaultdict(int)
    for example, is_flagged in zip(examples, flags, strict=True):
        overall.add(example.label, bool(is_flagged))
        if example.label:
            support[example.category] += 1
            caught[example.category] += bool(is_flagged)
    result = {**baseline.describe(), "trained_on_this_set": baseline.learned_from(path),
              "overall": overall.as_dict()}
    if kind == "cold":
        inoffensive = Counts(tp=overall.tn, fp=overall.fn, fn=overall.fp, tn=overall.tp)
        result["accuracy"] = _round(overall.accuracy)
        result["macro_f1"] = _round(((overall.f1 or 0.0) + (inoffensive.f1 or 0.0)) / 2)
    else:
        result["category_recall"] = {c: _round(caught[c] / support[c]) for c in HARM_CATEGORIES if support.get(c)}
    return result


def evaluate_file(judge, path: str | Path, baselines: Baselines | None = None, *,
                  evasions: bool = False) -> dict[str, Any]:
    path = Path(path)
    kind, examples = read_examples(path)
    verdicts = judge_all(judge, examples)
    result = score_cold(examples, verdicts) if kind == "cold" else score_labelled(examples, verdicts)
    report = {"file": str(path), "format": kind, **result}
    if evasions and kind == "labelled":
        report["evasion_invariance"] = evasion_invariance(lambda batch: judge_all(judge, batch), flagged,
                                                          examples, verdicts)
    baseline = baselines.for_set(path, kind) if baselines is not None else None
    if baselines is not None:
        report["baseline"] = score_baseline(baseline, examples, kind, path) if baseline else None
    return report


# -- rendering ------------------------------------------------------------------------
def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{value:6.3f}"


def render(report: dict[str, Any], *, show: int) -> str:
    lines = [f"== {report['file']} ({report['format']}, {report['examples']} examples)"]
    if report["format"] == "cold":
        off = report["offensive"]
        lines += [
            f"accuracy {_pct(report['accuracy'])}   macro-F1 {_pct(report['macro_f1'])}",
            *_render_baseline(report),
            (f"offensive class: precision {_pct(off['precision'])} recall {_pct(off['recall'])} F1 {_pct(off['f1'])}"
            f"   (tp {off['tp']} fp {off['fp']} fn {off['fn']} tn {off['tn']})"),
            f"hide only: precision {_pct(report['hide_only']['precision'])} recall {_pct(report['hide_only']['recall'])}",
        ]
        return "\n".join(lines + _render_cases(report, show))
    o, h, hn = report["overall"], report["hide_only"], report["hard_negatives"]
    lines += [
        f"positives {report['positives']}  negatives {report['negatives']}",
        (f"flagged (alert or hide): precision {_pct(o['precision'])} recall {_pct(o['recall'])} F1 {_pct(o['f1'])}"
        f"   (tp {o['tp']} fp {o['fp']} fn {o['fn']} tn {o['tn']})"),
        f"hide only:               precision {_pct(h['precision'])} recall {_pct(h['recall'])} F1 {_pct(h['f1'])}",
        *_render_baseline(report),
        f"hard negatives: {hn['total']}, alerted {hn['alerted']}, hidden {hn['hidden']}",
        "",
        f"{'category':<10} {'support':>7} {'precision':>9} {'recall':>7} {'F1':>7} {'hidden':>7} {'named':>6}",
    ]
    for name, c in report["categories"].items():
        lines.append(f"{name:<10} {c['support']:>7} {_pct(c['precision']):>9} {_pct(c['recall']):>7} {_pct(c['f1']):>7}"
                     f" {c['hidden']:>7} {c['named']:>6}")
    lines += ["", f"{'evasion':<12} {'support':>7} {'recall':>7}"]
    for name, e in report["evasions"].items():
        lines.append(f"{name:<12} {e['support']:>7} {_pct(e['recall']):>7}")
    lines += ["", f"{'style':<10} {'precision':>9} {'recall':>7} {'F1':>7}"]
    for name, s in report["styles"].items():
        lines.append(f"{name:<10} {_pct(s['precision']):>9} {_pct(s['recall']):>7} {_pct(s['f1']):>7}")
    if "evasion_invariance" in report:
        lines += render_invariance(report["evasion_invariance"], show=min(show, 3))
    return "\n".join(lines + _render_cases(report, show))


def _render_baseline(report: dict[str, Any]) -> list[str]:
    if "baseline" not in report:
        return []
    b = report["baseline"]
    if b is None:
        return ["baseline: no train split of this format found, not reported"]
    o = b["overall"]
    where = f"trained on {b['trained_on']} ({b['train_examples']})"
    if b["trained_on_this_set"]:
        where += " - THIS SET: its figures are training fit, not generalisation"
    if report["format"] == "cold":
        head = f"baseline accuracy {_pct(b['accuracy'])}   macro-F1 {_pct(b['macro_f1'])}"
    else:
        head = f"baseline ({b['model']}): precision {_pct(o['precision'])} recall {_pct(o['recall'])} F1 {_pct(o['f1'])}"
    return [head, f"    {where}"]


def _render_cases(report: dict[str, Any], show: int) -> list[str]:
    lines: list[str] = []
    for title, cases in (("false positives", report["false_positives"]), ("false negatives", report["false_negatives"])):
        lines += ["", f"-- {title} ({len(cases)})"]
        for case in cases[:show]:
            lines.append(f"{case['id']} [{case['category']}/{case['evasion']}] {case['action']} {case['score']:.2f}: {case['text']}")
            lines += [f"    {e}" for e in case["evidence"]]
        if len(cases) > show:
            lines.append(f"… {len(cases) - show} more (--show N, or --json)")
    return lines
