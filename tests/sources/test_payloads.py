"""Payload parsers on hand-written bodies: what is parsed, what is set aside, and why."""

from __future__ import annotations

import email.utils
import json

import pytest

from commentwatch.sources.client import parse_retry_after
from commentwatch.sources.danmaku import parse_danmaku_json, parse_danmaku_xml, parse_p
from commentwatch.sources.payloads import PayloadError, parse_comments, parse_videos
from commentwatch.values import Kind, Video

VIDEO = Video(id="v1", title="宝宝学走路")
WHERE = "GET http://svc/api/v1/videos/v1/danmaku"


def xml(*lines: str, cursor: str | None = "9") -> bytes:
    head = ['<?xml version="1.0" encoding="UTF-8"?>', "<i>", "<chatid>v1</chatid>"]
    if cursor is not None:
        head.append(f"<next_cursor>{cursor}</next_cursor>")
    return "\n".join([*head, *lines, "</i>"]).encode()


GOOD_P = "12.5,1,25,16777215,1700000000,0,a1b2c3d4,40000000001"


def test_xml_danmaku_become_comments():
    page = parse_danmaku_xml(xml(f'<d p="{GOOD_P}">妹妹 &amp; 哥哥 &lt;3</d>'), VIDEO, "2", WHERE)
    assert page.malformed == [] and page.next_cursor == "9"
    (item,) = page.items
    assert item.id == "40000000001" and item.kind is Kind.DANMAKU
    assert item.text == "妹妹 & 哥哥 <3" and item.author_id == "a1b2c3d4"
    assert item.created_at == 1700000000.0 and item.video is VIDEO


def test_xml_bad_items_name_their_line_and_field():
    body = xml(
        f'<d p="{GOOD_P}">ok</d>',
        '<d p="1.0,1,25,16777215,1700000000">five fields</d>',
        '<d p="1.0,x,25,16777215,1700000000,0,ab,7">bad mode</d>',
        "<d>no p</d>",
        '<d p="1.0,1,25,16777215,1700000000,0,ab,">empty dmid</d>',
        f'<d p="{GOOD_P}">nested <b>bold</b></d>',
    )
    page = parse_danmaku_xml(body, VIDEO, "2", WHERE)
    assert [d.text for d in page.items] == ["ok"]
    assert [m.reason for m in page.malformed] == [
        "danmaku xml line 6: attribute p has 5 fields, expected 8",
        "danmaku xml line 7: attribute p field 2 (mode) is 'x', expected an integer",
        "danmaku xml line 8: attribute p is missing",
        "danmaku xml line 9: attribute p field 8 (dmid) is empty",
        "danmaku xml line 10: unexpected element <b> inside <d>",
    ]
    assert page.malformed[0].raw == '<d p="1.0,1,25,16777215,1700000000">five fields</d>'
    assert page.malformed[0].where == WHERE + " line 6"
    assert page.next_cursor == "9"


@pytest.mark.parametrize(
    "body, expected",
    [
        (b'<?xml version="1.0"?>\n<i><d p="1">x</i>', "danmaku xml line 2 column"),
        (b"", "danmaku xml line 1 column 1: no element found"),
        (b"<html><body>502 Bad Gateway</body></html>", "root element is <html>, expected <i>"),
        ('<i><d p="{}">\xe5</d></i>'.encode("latin-1", "replace"), "not well-formed"),
    ],
)
def test_unreadable_xml_is_malformed_whole_and_keeps_the_cursor(body, expected):
    page = parse_danmaku_xml(body, VIDEO, "41", WHERE)
    assert page.items == [] and page.next_cursor == "41"
    (bad,) = page.malformed
    assert expected in bad.reason
    assert bad.where == WHERE


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE i [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>\n<i><d p="x">&b;</d></i>',
        b'<?xml version="1.0"?>\n<!DOCTYPE i SYSTEM "file:///etc/passwd">\n<i>&xxe;</i>',
        b'<?xml version="1.0"?>\n<!doctype i>\n<i></i>',
    ],
)
def test_doctype_and_entities_are_refused(body):
    page = parse_danmaku_xml(body, VIDEO, "3", WHERE)
    assert page.items == [] and page.next_cursor == "3"
    (bad,) = page.malformed
    assert bad.reason == "danmaku xml line 2: DOCTYPE declarations are refused"


def test_xml_control_characters_arrive_as_replacement_characters():
    body = xml(f'<d p="{GOOD_P}">a\x01b\x1fc\td</d>')
    (item,) = parse_danmaku_xml(body, VIDEO, None, WHERE).items
    assert item.text == "a\ufffdb\ufffdc\td"


def test_xml_without_cursor_keeps_items_but_stays_put():
    page = parse_danmaku_xml(xml(f'<d p="{GOOD_P}">x</d>', cursor=None), VIDEO, "5", WHERE)
    assert [d.text for d in page.items] == ["x"] and page.next_cursor == "5"
    assert "next_cursor" in page.malformed[0].reason and "not advanced" in page.malformed[0].reason


def test_parse_p_types():
    fields = parse_p(GOOD_P)
    assert not isinstance(fields, str)
    assert (fields.time, fields.mode, fields.color, fields.dmid) == (12.5, 1, 16777215, "40000000001")
    assert parse_p("a,1,25,0,0,0,h,1") == "attribute p field 1 (time) is 'a', expected a number"


def comments_body(items, cursor="7") -> bytes:
    return json.dumps({"items": items, "next_cursor": cursor}, ensure_ascii=False).encode()


def test_comments_json_item_errors_name_the_field():
    good = {"id": "c1", "author_id": "u1", "text": "好可爱", "created_at": 1.5, "parent_id": None}
    items = [
        good,
        {"id": "c2", "author_id": "u2", "text": 5, "created_at": 1.0},
        {"id": "c3", "text": "x", "created_at": "yesterday"},
        "not an object",
        {**good, "id": "c5", "parent_id": 17},
        {**good, "id": "c6", "extra": "ignored"},
    ]
    page = parse_comments(comments_body(items), VIDEO, "2", "GET u")
    assert [c.id for c in page.items] == ["c1", "c6"]
    assert [m.reason for m in page.malformed] == [
        "item 1: field 'text' is integer, expected string",
        "item 2: field 'author_id' is missing; field 'created_at' is string, expected number",
        "item 3: expected an object, got string",
        "item 4: field 'parent_id' is integer, expected string",
    ]
    assert page.malformed[0].where == "GET u item 1 (id c2)"
    assert json.loads(page.malformed[0].raw)["text"] == 5
    assert page.next_cursor == "7"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b'{"items": [', "invalid JSON at line 1 column 12: Expecting value"),
        (b"\xff\xfe{}", "body is not UTF-8: invalid byte at offset 0"),
        (b"[1, 2]", "expected a JSON object, got array"),
        (b'{"next_cursor": "3"}', "field 'items' is missing"),
        (b'{"items": {}, "next_cursor": "3"}', "field 'items' is object, expected array"),
    ],
)
def test_unreadable_comments_payload_keeps_the_cursor(body, reason):
    page = parse_comments(body, VIDEO, "4", "GET u")
    assert page.items == [] and page.next_cursor == "4"
    assert [m.reason for m in page.malformed] == [reason]
    assert page.malformed[0].raw == body.decode("utf-8", "replace")


def test_comments_with_a_bad_cursor_are_kept_but_the_cursor_stays():
    body = json.dumps({"items": [{"id": "c1", "author_id": "u", "text": "t", "created_at": 0}], "next_cursor": 12}).encode()
    page = parse_comments(body, VIDEO, "4", "GET u")
    assert [c.id for c in page.items] == ["c1"] and page.next_cursor == "4"
    assert page.malformed[0].reason == "field 'next_cursor' is integer, expected a non-empty string; cursor not advanced"


def test_empty_page_with_null_cursor_is_fine():
    page = parse_comments(b'{"items": [], "next_cursor": null}', VIDEO, None, "GET u")
    assert page.items == [] and page.malformed == [] and page.next_cursor is None


def test_danmaku_json_items():
    good = {"dmid": "9", "time": 1.5, "mode": 1, "size": 25, "color": 0, "timestamp": 1700000000, "pool": 0, "user_hash": "ab", "text": "rua"}
    page = parse_danmaku_json(comments_body([good, {**good, "dmid": "10", "mode": True}]), VIDEO, None, "GET u")
    assert [(d.id, d.text, d.kind) for d in page.items] == [("9", "rua", Kind.DANMAKU)]
    assert page.malformed[0].reason == "danmaku item 1: field 'mode' is boolean, expected integer"


def test_video_list():
    body = json.dumps(
        {
            "items": [
                {"id": "v1", "title": "萌娃", "tags": ["亲子"], "description": "", "featuring_minors": None, "updated_at": 1.0},
                {"id": "v2", "title": "t", "tags": ["ok", 3], "description": ""},
                {"id": "v3", "title": "t", "tags": [], "description": "", "featuring_minors": "yes"},
            ]
        }
    ).encode()
    listing = parse_videos(body, "GET u")
    assert listing.videos == [Video(id="v1", title="萌娃", tags=("亲子",), description="", featuring_minors=None)]
    assert [m.reason for m in listing.malformed] == [
        "video 1: field 'tags' must hold strings only",
        "video 2: field 'featuring_minors' is string, expected boolean",
    ]
    with pytest.raises(PayloadError, match="invalid JSON"):
        parse_videos(b"{", "GET u")


def test_retry_after_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(30.0, abs=1.0)
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0
