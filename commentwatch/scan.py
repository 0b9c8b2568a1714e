"""The scan contract's output: verdicts as JSON lines, or as text a person reads.

``scan_stream`` judges JSON Lines (input: ``sources/jsonl.py``) and writes
exactly one JSON line per input line, in order — a verdict, or ``{"id",
"line", "error"}`` naming what was wrong. A bad line never stops the scan.
``render_verdict`` shows one verdict with its evidence highlighted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO

from commentwatch.sources.jsonl import ParsedLine, parse_line
from commentwatch.values import WHOLE_TEXT_SOURCES, Evidence, Verdict

#: Lines judged together: large enough for batching to pay, small enough
#: that a consumer of a pipe sees output promptly.
BATCH = 256


def evidence_json(item: Evidence) -> dict:
    return {"category": item.category, "term": item.term, "start": item.start, "end": item.end, "evasion": item.evasion}


def verdict_json(verdict: Verdict) -> dict:
    return {
        "id": verdict.comment_id,
        "action": verdict.action.value,
        "score": verdict.score,
        "categories": list(verdict.categories),
        "evidence": [evidence_json(e) for e in verdict.evidence],
    }


def _batches(lines: Iterable[bytes]) -> Iterator[list[ParsedLine]]:
    batch: list[ParsedLine] = []
    for number, raw in enumerate(lines, start=1):
        batch.append(parse_line(number, raw))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def scan_stream(judge, lines: Iterable[bytes], out: IO[str]) -> dict[str, int]:
    """Judge every line of ``lines`` and write one JSON line each to ``out``."""
    counts = {"lines": 0, "errors": 0}
    for batch in _batches(lines):
        comments = [p.comment for p in batch if p.comment is not None]
        verdicts = iter(judge.judge_many(comments)) if comments else iter(())
        for parsed in batch:
            counts["lines"] += 1
            if parsed.comment is None:
                counts["errors"] += 1
                record = {"id": parsed.id, "line": parsed.number, "error": parsed.error}
            else:
                record = verdict_json(next(verdicts))
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
    return counts


# -- human-readable output ---------------------------------------------------
_COLOURS = {"hide": "\033[1;31m", "alert": "\033[1;33m", "allow": "\033[1;32m"}
_RESET = "\033[0m"


def highlight(text: str, evidence: Iterable[Evidence], *, colour: bool) -> str:
    """The text with evidence spans marked: 【…】 or reverse video on a tty."""
    marks = [False] * len(text)
    for item in evidence:
        if item.source in WHOLE_TEXT_SOURCES:
            continue
        for i in range(max(item.start, 0), min(item.end, len(text))):
            marks[i] = True
    out, inside = [], False
    open_mark, close_mark = ("\033[7m", _RESET) if colour else ("【", "】")
    for char, marked in zip(text, marks, strict=True):
        if marked != inside:
            out.append(open_mark if marked else close_mark)
            inside = marked
        out.append(char)
    if inside:
        out.append(close_mark)
    return "".join(out)


def render_verdict(text: str, verdict: Verdict, *, colour: bool) -> str:
    action = verdict.action.value
    head = f"{_COLOURS[action]}{action.upper()}{_RESET}" if colour else action.upper()
    lines = [
        f"{head}  score {verdict.score:.2f}" + (f"  ({', '.join(verdict.categories)})" if verdict.categories else ""),
        "  " + highlight(text, verdict.evidence, colour=colour),
    ]
    if verdict.minors_policy:
        lines.append("  stricter thresholds: the video features children")
    for item in verdict.evidence:
        spans = item.end > item.start and item.source not in WHOLE_TEXT_SOURCES
        where = f"[{item.start}:{item.end}] {text[item.start:item.end]!r}" if spans else ""
        evasion = f" evasion: {item.evasion}" if item.evasion else ""
        detail = f" ({item.detail})" if item.detail else ""
        lines.append(f"  - {item.category:<10} {item.score:.2f} {item.source}: {item.term} {where}{evasion}{detail}")
    return "\n".join(lines)
