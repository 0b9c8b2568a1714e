"""Evasion invariance: what the system catches plainly, does it still catch rewritten?

Each mechanical rewrite kind (``training/rewrite.py``) is applied to every
offending comment the system flags as written and to every benign comment it
leaves alone. Per kind, two shares: of the caught ones, how many are still
caught; of the benign ones, how many are newly flagged. A kind below 1.0 is
something the normaliser does not undo; a benign share above 0 is a rewrite
that makes innocent text look harmful.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from commentwatch.training.corpus import Example
from commentwatch.training.rewrite import REWRITES, rewrite
from commentwatch.values import Verdict

#: Lost examples kept per kind for the report, to look at.
SHOW = 5


def evasion_invariance(judge_all: Callable[[Sequence[Example]], list[Verdict]],
                       flagged: Callable[[Verdict], bool],
                       examples: Sequence[Example], verdicts: Sequence[Verdict], *,
                       kinds: Sequence[str] = tuple(REWRITES)) -> dict[str, Any]:
    """Per kind: caught positives still caught, benign comments newly flagged, and a few that were lost.

    ``judge_all`` and ``flagged`` are evaluate's, so rewrites are judged and
    counted exactly as the plain set was.
    """
    caught = [e for e, v in zip(examples, verdicts, strict=True) if e.label and flagged(v)]
    benign = [e for e, v in zip(examples, verdicts, strict=True) if not e.label and not flagged(v)]
    rows: dict[str, Any] = {}
    for kind in kinds:
        pairs = [(e, rewrite(e.text, kind, seed=e.comment.id)) for e in caught + benign]
        pairs = [(e, text) for e, text in pairs if text is not None]
        judged = judge_all([replace(e, comment=replace(e.comment, text=text)) for e, text in pairs])
        positives = [(e, text, v) for (e, text), v in zip(pairs, judged, strict=True) if e.label]
        negatives = [(e, text, v) for (e, text), v in zip(pairs, judged, strict=True) if not e.label]
        kept = sum(flagged(v) for _, _, v in positives)
        newly = sum(flagged(v) for _, _, v in negatives)
        rows[kind] = {
            "positives": len(positives),
            "still_caught": kept,
            "still_caught_share": round(kept / len(positives), 4) if positives else None,
            "benign": len(negatives),
            "newly_flagged": newly,
            "newly_flagged_share": round(newly / len(negatives), 4) if negatives else None,
            "lost": [{"id": e.comment.id, "category": e.category, "rewritten": text}
                     for e, text, v in positives if not flagged(v)][:SHOW],
        }
    return {"caught": len(caught), "benign": len(benign), "kinds": rows}


def render_invariance(result: dict[str, Any], *, show: int) -> list[str]:
    def share(value: float | None) -> str:
        return "   -  " if value is None else f"{value:6.3f}"

    lines = ["", (f"evasion invariance: {result['caught']} caught positives and {result['benign']} benign comments "
             "rewritten by each kind"),
             f"{'kind':<15} {'positives':>9} {'still caught':>12} {'benign':>7} {'newly flagged':>13}"]
    for kind, row in result["kinds"].items():
        lines.append(f"{kind:<15} {row['positives']:>9} {share(row['still_caught_share']):>12} {row['benign']:>7} "
                     f"{share(row['newly_flagged_share']):>13}")
    if show:
        for kind, row in result["kinds"].items():
            for lost in row["lost"][:show]:
                lines.append(f"  lost {kind}: {lost['id']} [{lost['category']}] {lost['rewritten']}")
    return lines
