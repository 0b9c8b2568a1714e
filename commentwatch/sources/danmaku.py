"""Parse danmaku pages: Bilibili's XML document and the JSON form.

The XML form is ``<i>…<d p="time,mode,size,color,timestamp,pool,user_hash,dmid">text</d>…</i>``
with our paging cursor in ``<next_cursor>``. It is read with expat directly
so that every ``<d>`` knows its line (reasons say ``danmaku xml line 7: …``)
and so that a DOCTYPE or entity declaration — the door to entity-expansion
bombs and external fetches — is refused before anything is expanded.

Characters XML 1.0 cannot carry at all (most C0 controls) are read as U+FFFD
rather than failing the whole page; one character for one, so offsets into
the text still line up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.parsers import expat

from commentwatch.sources.pages import Malformed, Page
from commentwatch.sources.payloads import Field, parse_item_page, raw_text
from commentwatch.values import Comment, Kind, Video

#: The eight fields of the ``p`` attribute, with their parsers.
P_FIELDS: tuple[tuple[str, type], ...] = (
    ("time", float),
    ("mode", int),
    ("size", int),
    ("color", int),
    ("timestamp", int),
    ("pool", int),
    ("user_hash", str),
    ("dmid", str),
)
_XML_ILLEGAL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class _Rejected(Exception):
    """The document declares a DOCTYPE or entities, or is not a danmaku document."""


@dataclass(frozen=True)
class DanmakuFields:
    """Everything a ``<d>`` element says, typed."""

    time: float
    mode: int
    size: int
    color: int
    timestamp: int
    pool: int
    user_hash: str
    dmid: str
    text: str


def parse_p(p: str) -> DanmakuFields | str:
    """The typed ``p`` attribute, or a reason it is wrong."""
    parts = p.split(",")
    if len(parts) != len(P_FIELDS):
        return f"attribute p has {len(parts)} fields, expected {len(P_FIELDS)}"
    values = []
    for position, ((name, kind), part) in enumerate(zip(P_FIELDS, parts, strict=True), start=1):
        part = part.strip()
        if kind is str:
            if not part:
                return f"attribute p field {position} ({name}) is empty"
            values.append(part)
            continue
        try:
            values.append(kind(part) if kind is float else int(part, 10))
        except ValueError:
            expected = "a number" if kind is float else "an integer"
            return f"attribute p field {position} ({name}) is {part!r}, expected {expected}"
    return DanmakuFields(*values, text="")


def _to_comment(fields: DanmakuFields, text: str, video: Video) -> Comment:
    return Comment(
        id=fields.dmid,
        text=text,
        video=video,
        kind=Kind.DANMAKU,
        author_id=fields.user_hash,
        parent_id=None,
        created_at=float(fields.timestamp),
    )


@dataclass
class _Element:
    line: int
    start_byte: int
    attrs: dict[str, str]
    text: list[str] = field(default_factory=list)
    nested: str | None = None


def parse_danmaku_xml(body: bytes, video: Video, cursor: str | None, where: str) -> Page:
    """A page of ``GET /api/v1/videos/{id}/danmaku?format=xml``."""
    declaration = _DECLARATION.search(body)
    if declaration:
        line = body.count(b"\n", 0, declaration.start()) + 1
        reason = f"danmaku xml line {line}: {declaration.group(1).decode().upper()} declarations are refused"
        return Page([], cursor, [Malformed(where, raw_text(body), reason)])
    data = _XML_ILLEGAL.sub("\ufffd".encode(), body)

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    comments: list[Comment] = []
    malformed: list[Malformed] = []
    found_cursor: list[str] = []
    stack: list[str] = []
    current: _Element | None = None
    cursor_text: list[str] | None = None

    def refuse(*_args) -> None:
        raise _Rejected("DOCTYPE or ENTITY declarations are refused")

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal current, cursor_text
        stack.append(name)
        if len(stack) == 1:
            if name != "i":
                raise _Rejected(f"root element is <{name}>, expected <i>")
            return
        if current is not None:
            current.nested = current.nested or name
        elif len(stack) == 2 and name == "d":
            current = _Element(parser.CurrentLineNumber, parser.CurrentByteIndex, attrs)
        elif len(stack) == 2 and name == "next_cursor":
            cursor_text = []

    def text(data: str) -> None:
        if current is not None:
            current.text.append(data)
        elif cursor_text is not None:
            cursor_text.append(data)

    def end(name: str) -> None:
        nonlocal current, cursor_text
        stack.pop()
        if len(stack) == 1 and name == "d" and current is not None:
            element, current = current, None
            end_byte = data.find(b">", max(parser.CurrentByteIndex, element.start_byte)) + 1
            raw = data[element.start_byte : end_byte].decode("utf-8", errors="replace")
            _finish(element, raw)
        elif len(stack) == 1 and name == "next_cursor" and cursor_text is not None:
            found_cursor.append("".join(cursor_text).strip())
            cursor_text = None

    def _finish(element: _Element, raw: str) -> None:
        prefix = f"danmaku xml line {element.line}"
        p = element.attrs.get("p")
        if p is None:
            problem: DanmakuFields | str = "attribute p is missing"
        elif element.nested:
            problem = f"unexpected element <{element.nested}> inside <d>"
        else:
            problem = parse_p(p)
        if isinstance(problem, str):
            malformed.append(Malformed(f"{where} line {element.line}", raw, f"{prefix}: {problem}"))
            return
        comments.append(_to_comment(problem, "".join(element.text), video))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = f"danmaku xml line {exc.lineno} column {exc.offset + 1}: {expat.ErrorString(exc.code)}"
        return Page([], cursor, [Malformed(where, raw_text(body), reason)])
    except _Rejected as exc:
        reason = f"danmaku xml line {parser.CurrentLineNumber}: {exc}"
        return Page([], cursor, [Malformed(where, raw_text(body), reason)])
    if found_cursor and found_cursor[-1]:
        return Page(comments, found_cursor[-1], malformed)
    if not comments and not malformed:
        return Page([], cursor, [])
    # Items but no cursor: keep them, stay put, and say why.
    malformed.append(Malformed(where, raw_text(body), "danmaku xml: element <next_cursor> is missing or empty; cursor not advanced"))
    return Page(comments, cursor, malformed)


DANMAKU_FIELDS = (
    Field("dmid", "string"),
    Field("time", "number"),
    Field("mode", "integer"),
    Field("size", "integer"),
    Field("color", "integer"),
    Field("timestamp", "number"),
    Field("pool", "integer"),
    Field("user_hash", "string"),
    Field("text", "string"),
)


def parse_danmaku_json(body: bytes, video: Video, cursor: str | None, where: str) -> Page:
    """A page of ``GET /api/v1/videos/{id}/danmaku?format=json``."""
    return parse_item_page(
        body, cursor, where, fields=DANMAKU_FIELDS, id_key="dmid", label="danmaku item",
        build=lambda item: Comment(
            id=item["dmid"],
            text=item["text"],
            video=video,
            kind=Kind.DANMAKU,
            author_id=item["user_hash"],
            parent_id=None,
            created_at=float(item["timestamp"]),
        ),
    )
