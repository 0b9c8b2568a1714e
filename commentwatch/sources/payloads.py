"""Parse the comment service's JSON answers into values, item by item.

Each item is checked on its own: one with a missing field or a wrong type
becomes a ``Malformed`` with a reason naming the field, and the rest of the
page still goes through. Only a body that is not a JSON object with an
``items`` list is rejected whole. Text is never cleaned here — control
characters, bidi overrides and megabyte strings are the detector's business.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from commentwatch.errors import PayloadError
from commentwatch.sources.pages import Malformed, Page
from commentwatch.values import Comment, Kind, Video


def decode_json(body: bytes) -> Any:
    """``json.loads`` with errors that say where the body broke."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8: invalid byte at offset {exc.start}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PayloadError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None


def raw_text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def dump_item(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


def _type_name(value: Any) -> str:
    return "null" if value is None else {str: "string", bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Field:
    name: str
    #: "string", "number", "integer", "boolean", "array"
    type: str
    required: bool = True
    nullable: bool = False


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
}


def check_fields(item: Any, fields: tuple[Field, ...]) -> str | None:
    """The first thing wrong with an item, or ``None`` when it is well formed."""
    if not isinstance(item, dict):
        return f"expected an object, got {_type_name(item)}"
    problems = []
    for spec in fields:
        if spec.name not in item:
            if spec.required:
                problems.append(f"field {spec.name!r} is missing")
            continue
        value = item[spec.name]
        if value is None and spec.nullable:
            continue
        if not _CHECKS[spec.type](value):
            problems.append(f"field {spec.name!r} is {_type_name(value)}, expected {spec.type}")
    return "; ".join(problems) or None


def item_problem(item: Any, fields: tuple[Field, ...], id_key: str) -> str | None:
    """``check_fields``, plus a non-empty id: the record keys every item on it."""
    problem = check_fields(item, fields)
    if problem is None and not item[id_key]:
        problem = f"field {id_key!r} is empty"
    return problem


def split_page(body: bytes, cursor: str | None, where: str) -> tuple[list[Any], str | None, list[Malformed]]:
    """Read ``{"items": [...], "next_cursor": "..."}``; a bad envelope is one ``Malformed``."""
    try:
        data = decode_json(body)
    except PayloadError as exc:
        return [], cursor, [Malformed(where, raw_text(body), str(exc))]
    if not isinstance(data, dict):
        return [], cursor, [Malformed(where, raw_text(body), f"expected a JSON object, got {_type_name(data)}")]
    items = data.get("items")
    if not isinstance(items, list):
        reason = "field 'items' is missing" if "items" not in data else f"field 'items' is {_type_name(items)}, expected array"
        return [], cursor, [Malformed(where, raw_text(body), reason)]
    next_cursor = data.get("next_cursor")
    if isinstance(next_cursor, str) and next_cursor:
        return items, next_cursor, []
    if next_cursor is None and not items and "next_cursor" in data:
        return items, cursor, []
    reason = (
        "field 'next_cursor' is missing"
        if "next_cursor" not in data
        else f"field 'next_cursor' is {_type_name(next_cursor)}, expected a non-empty string"
    )
    # The items are usable, but without a cursor the page cannot be passed.
    return items, cursor, [Malformed(where, raw_text(body), f"{reason}; cursor not advanced")]


COMMENT_FIELDS = (
    Field("id", "string"),
    Field("author_id", "string"),
    Field("text", "string"),
    Field("created_at", "number"),
    Field("parent_id", "string", required=False, nullable=True),
)


def parse_item_page(
    body: bytes, cursor: str | None, where: str, *,
    fields: tuple[Field, ...], id_key: str, label: str, build: Callable[[dict], Comment],
) -> Page:
    """A JSON page of items: each valid item built into a ``Comment``, each invalid one set aside."""
    raw_items, next_cursor, malformed = split_page(body, cursor, where)
    comments = []
    for index, item in enumerate(raw_items):
        problem = item_problem(item, fields, id_key)
        if problem is not None:
            malformed.append(Malformed(item_where(where, index, item, id_key), dump_item(item), f"{label} {index}: {problem}"))
            continue
        comments.append(build(item))
    return Page(comments, next_cursor, malformed)


def parse_comments(body: bytes, video: Video, cursor: str | None, where: str) -> Page:
    """A page of ``GET /api/v1/videos/{id}/comments``."""
    return parse_item_page(
        body, cursor, where, fields=COMMENT_FIELDS, id_key="id", label="item",
        build=lambda item: Comment(
            id=item["id"],
            text=item["text"],
            video=video,
            kind=Kind.COMMENT,
            author_id=item["author_id"],
            parent_id=item.get("parent_id"),
            created_at=float(item["created_at"]),
        ),
    )


def item_where(where: str, index: int, item: Any, id_key: str) -> str:
    ident = item.get(id_key) if isinstance(item, dict) else None
    return f"{where} item {index}" + (f" ({id_key} {ident})" if isinstance(ident, (str, int)) else "")


VIDEO_FIELDS = (
    Field("id", "string"),
    Field("title", "string"),
    Field("tags", "array"),
    Field("description", "string"),
    Field("featuring_minors", "boolean", required=False, nullable=True),
    Field("updated_at", "number", required=False, nullable=True),
)


@dataclass(frozen=True)
class VideoList:
    videos: list[Video]
    malformed: list[Malformed]


def parse_videos(body: bytes, where: str) -> VideoList:
    """``GET /api/v1/videos``; raises ``PayloadError`` when nothing is readable."""
    data = decode_json(body)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise PayloadError("expected a JSON object with an 'items' array")
    videos, malformed = [], []
    for index, item in enumerate(data["items"]):
        problem = item_problem(item, VIDEO_FIELDS, "id")
        if problem is None and not all(isinstance(t, str) for t in item["tags"]):
            problem = "field 'tags' must hold strings only"
        if problem is not None:
            malformed.append(Malformed(item_where(where, index, item, "id"), dump_item(item), f"video {index}: {problem}"))
            continue
        videos.append(
            Video(
                id=item["id"],
                title=item["title"],
                tags=tuple(item["tags"]),
                description=item["description"],
                featuring_minors=item.get("featuring_minors"),
            )
        )
    return VideoList(videos, malformed)
