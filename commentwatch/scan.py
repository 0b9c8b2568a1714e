"""``commentwatch scan``: the JSON Lines contract other tools build on.

Input, one object per line: ``{"id": str, "text": str, "video":
{"featuring_minors": bool, "title": str, "tags": [str]}}`` (``video`` and
its keys optional). Output: exactly one JSON line per input line, in order —
a verdict, or ``{"id", "line", "error"}`` naming what was wrong. A bad line
never stops the scan; only unreadable input does.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from commentwatch.config import Config, load_config
from commentwatch.values import Comment, Evidence, Verdict, Video

#: Lines judged together: large enough for batching to pay, small enough
#: that a consumer of a pipe sees output promptly.
BATCH = 256


class InputError(ValueError):
    """One input line is unusable; the message says what and where."""


@dataclass(frozen=True)
class ParsedLine:
    number: int
    comment: Comment | None = None
    error: str = ""
    id: Any = None


def parse_video(raw: Any) -> Video:
    if raw is None:
        return Video()
    if not isinstance(raw, dict):
        raise InputError(f"video: expected an object, got {_json_type(raw)}")
    minors = raw.get("featuring_minors")
    if minors is not None and not isinstance(minors, bool):
        raise InputError(f"video.featuring_minors: expected true or false, got {_json_type(minors)}")
    for key in ("id", "title", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise InputError(f"video.{key}: expected a string, got {_json_type(raw[key])}")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputError("video.tags: expected a list of strings")
    return Video(
        id=raw.get("id", ""),
        title=raw.get("title", ""),
        tags=tuple(tags),
        description=raw.get("description", ""),
        featuring_minors=minors,
    )


def parse_line(number: int, raw: bytes) -> ParsedLine:
    """Parse one input line; never raises."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParsedLine(number, error=f"not valid UTF-8 (byte {exc.start} of the line)")
    line = line.rstrip("\r\n")
    if not line.strip():
        return ParsedLine(number, error="empty line: expected a JSON object")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return ParsedLine(number, error=f"not valid JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        return ParsedLine(number, error=f"expected a JSON object, got {_json_type(obj)}")
    comment_id = obj.get("id")
    try:
        if not isinstance(comment_id, str):
            raise InputError("id: missing" if comment_id is None else f"id: expected a string, got {_json_type(comment_id)}")
        text = obj.get("text")
        if not isinstance(text, str):
            raise InputError("text: missing" if text is None else f"text: expected a string, got {_json_type(text)}")
        video = parse_video(obj.get("video"))
    except InputError as exc:
        return ParsedLine(number, error=str(exc), id=comment_id if isinstance(comment_id, (str, int)) else None)
    return ParsedLine(number, Comment(id=comment_id, text=text, video=video), id=comment_id)


def _json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


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
        if item.source == "classifier" or item.source == "exemplar":
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
        where = f"[{item.start}:{item.end}] {text[item.start:item.end]!r}" if item.end > item.start else ""
        evasion = f" evasion: {item.evasion}" if item.evasion else ""
        detail = f" ({item.detail})" if item.detail else ""
        lines.append(f"  - {item.category:<10} {item.score:.2f} {item.source}: {item.term} {where}{evasion}{detail}")
    return "\n".join(lines)


# -- command -----------------------------------------------------------------
def judge_from_args(args: argparse.Namespace):
    from commentwatch.judge import Judge

    config: Config = load_config(args.config)
    if getattr(args, "no_semantic", False):
        from dataclasses import replace

        config = replace(config, detect=replace(config.detect, semantic=False))
    return Judge.from_config(config)


def add_judge_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE", help="TOML config (default: the embedded defaults)")
    parser.add_argument("--no-semantic", action="store_true", help="lexicons and context rules only")


def run_scan(args: argparse.Namespace) -> int:
    if args.text is not None:
        judge = judge_from_args(args)
        video = Video(featuring_minors=True if args.minors else None, title=args.title or "")
        verdict = judge.judge(Comment(id="text", text=args.text, video=video))
        print(render_verdict(args.text, verdict, colour=sys.stdout.isatty()))
        return 0
    if args.file in (None, "-"):
        source = sys.stdin.buffer
    else:
        try:
            source = open(args.file, "rb")  # noqa: SIM115 (closed below, once the judge has loaded)
        except OSError as exc:
            print(f"commentwatch scan: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    with source:
        judge = judge_from_args(args)
        counts = scan_stream(judge, source, sys.stdout)
    if counts["errors"]:
        print(f"commentwatch scan: {counts['errors']} of {counts['lines']} lines had errors", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="judge comments: JSON Lines in, one verdict line out per input line",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", nargs="?", help="JSON Lines file (default: standard input)")
    parser.add_argument("--text", help="judge one text and print a readable verdict")
    parser.add_argument("--minors", action="store_true", help="with --text: the video features children")
    parser.add_argument("--title", help="with --text: the video's title")
    add_judge_arguments(parser)
    parser.set_defaults(handler=run_scan)
