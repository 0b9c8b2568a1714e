"""``Hit``: one thing a detector found, before rules and policy weigh it."""

from __future__ import annotations

from bisect import bisect_left, insort
from dataclasses import dataclass

from commentwatch.values import Evidence


@dataclass(slots=True)
class Hit:
    """Read-only by convention: not frozen, because one is built for every
    matched word on the hot path and a frozen init costs three times as much."""

    category: str
    term: str
    #: Span in the original comment text.
    start: int
    end: int
    severity: int
    #: Names context rules can refer to (the category is always one of them).
    cues: tuple[str, ...] = ()
    evasion: str = ""
    source: str = "lexicon"
    detail: str = ""
    #: Span in the normalised ``plain`` stream, which the spaCy Doc is built
    #: over; lets rules find the tokens a hit covers.
    doc_start: int = 0
    doc_end: int = 0

    def evidence(self, score: float) -> Evidence:
        return Evidence(
            category=self.category,
            term=self.term,
            start=self.start,
            end=self.end,
            evasion=self.evasion,
            source=self.source,
            severity=self.severity,
            detail=self.detail,
            score=score,
        )


def drop_overlapping_repeats(hits: list[Hit]) -> list[Hit]:
    """Keep one hit per (category, term) and overlapping span.

    The same entry is often found in several streams (加微信 in the compact
    stream and again in the pinyin one); the first found wins, so callers list
    the most literal stream first.
    """
    kept: list[Hit] = []
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for hit in hits:
        taken = spans.setdefault((hit.category, hit.term), [])
        # Kept spans of one key never overlap, so sorted by start they are
        # sorted by end too: only the neighbours can overlap the new span.
        i = bisect_left(taken, (hit.start, hit.end))
        if (i > 0 and taken[i - 1][1] > hit.start) or (i < len(taken) and taken[i][0] < hit.end):
            continue
        insort(taken, (hit.start, hit.end))
        kept.append(hit)
    return kept
