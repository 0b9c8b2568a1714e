"""Comments as JSON Lines: the scan contract's input, shared by scan, eval and lexicon impact.

One object per line: ``{"id": str, "text": str, "video": {"featuring_minors":
bool, "title": str, "tags": [str]}}`` (``video`` and its keys optional).
``parse_line`` never raises: a bad line becomes a ``ParsedLine`` whose
``error`` says what is wrong, so one bad line never stops a scan.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commentwatch.errors import InputError
from commentwatch.values import Comment, Video


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
        raise InputError(f"video: expected an object, got {json_type(raw)}")
    minors = raw.get("featuring_minors")
    if minors is not None and not isinstance(minors, bool):
        raise InputError(f"video.featuring_minors: expected true or false, got {json_type(minors)}")
    for key in ("id", "title", "description"):
        if key in raw and not isinstance(raw[key], str):
            raise InputError(f"video.{key}: expected a string, got {json_type(raw[key])}")
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
        return ParsedLine(number, error=f"expected a JSON object, got {json_type(obj)}")
    comment_id = obj.get("id")
    try:
        if not isinstance(comment_id, str):
            raise InputError("id: missing" if comment_id is None else f"id: expected a string, got {json_type(comment_id)}")
        text = obj.get("text")
        if not isinstance(text, str):
            raise InputError("text: missing" if text is None else f"text: expected a string, got {json_type(text)}")
        video = parse_video(obj.get("video"))
    except InputError as exc:
        return ParsedLine(number, error=str(exc), id=comment_id if isinstance(comment_id, (str, int)) else None)
    return ParsedLine(number, Comment(id=comment_id, text=text, video=video), id=comment_id)


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )




@dataclass(frozen=True)
class LabelledComments:
    comments: list[Comment]
    #: ``label`` of each comment that has one, by comment id.
    labels: dict[str, Any]


def read_comments(paths: Iterable[Path], *, warn=sys.stderr) -> LabelledComments:
    """Every good line of ``paths``; a bad line is reported to ``warn`` and skipped.

    A file that cannot be opened raises ``InputError`` naming it.
    """
    comments, labels = [], {}
    for path in paths:
        try:
            handle = open(path, "rb")  # noqa: SIM115 (closed by the with below)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        with handle:
            for number, raw in enumerate(handle, start=1):
                parsed = parse_line(number, raw)
                if parsed.comment is None:
                    print(f"{path}:{number}: skipped: {parsed.error}", file=warn)
                    continue
                comments.append(parsed.comment)
                try:
                    labels[parsed.comment.id] = json.loads(raw).get("label")
                except (ValueError, AttributeError):
                    pass
    return LabelledComments(comments, labels)
