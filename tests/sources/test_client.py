"""The comment-service client against the reference service running as a real process."""

from __future__ import annotations

import random
import time

import aiohttp
import pytest

from commentwatch.sources.client import ActionResult, CommentServiceClient, ServiceError
from commentwatch.values import Kind, Video


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def make_client(reference_service, session):
    def make(**options) -> CommentServiceClient:
        settings = dict(timeout_s=2.0, max_retries=4, backoff_s=0.02, max_backoff_s=0.2, rng=random.Random(7))
        settings.update(options)
        token = settings.pop("token", reference_service.token)
        return CommentServiceClient(reference_service.base_url, token, session=session, **settings)

    return make


@pytest.fixture
def client(make_client) -> CommentServiceClient:
    return make_client()


async def test_lists_the_catalogue_with_platform_flags(client):
    videos = await client.list_videos()
    by_id = {v.id: v for v in videos}
    assert len(videos) == 12
    assert by_id["v1"].featuring_minors is True
    assert by_id["v3"].featuring_minors is None and "萌娃" in by_id["v3"].tags
    assert by_id["v8"].featuring_minors is False
    assert all(isinstance(v.tags, tuple) for v in videos)


async def test_pages_comments_by_cursor_without_gaps_or_repeats(reference_service, client):
    await client.list_videos()
    posted = [reference_service.post_comment("v2", f"第{n}条评论", author_id=f"u{n}")["id"] for n in range(7)]
    seen, cursor = [], None
    for _ in range(10):
        page = await client.comments_after("v2", cursor, limit=3)
        assert page.malformed == []
        if not page.items:
            assert page.next_cursor == cursor
            break
        seen += page.items
        cursor = page.next_cursor
    assert [c.id for c in seen] == posted
    first = seen[0]
    assert first.kind is Kind.COMMENT and first.text == "第0条评论" and first.author_id == "u0"
    assert first.video.title.startswith("女儿幼儿园")  # filled from the video list
    # Items posted later continue from the same cursor.
    late = reference_service.post_comment("v2", "后来的", parent_id=posted[0])
    page = await client.comments_after("v2", cursor)
    assert [(c.id, c.parent_id) for c in page.items] == [(late["id"], posted[0])]


async def test_unknown_video_falls_back_to_a_bare_video(reference_service, client):
    reference_service.add_video("extra", title="新视频")
    reference_service.post_comment("extra", "hi")
    page = await client.comments_after("extra", None)
    assert page.items[0].video == Video(id="extra")


async def test_every_call_needs_the_token(reference_service, make_client):
    client = make_client(token="wrong-token")
    with pytest.raises(ServiceError) as caught:
        await client.list_videos()
    assert caught.value.status == 401
    assert "401" in str(caught.value) and "/api/v1/videos" in str(caught.value)
    with pytest.raises(ServiceError, match="401"):
        await client.hide(Kind.COMMENT, "c1", "test")
    # No retries are spent on a wrong token.
    assert client.stats.attempts == 2


async def test_danmaku_in_xml_and_json_forms_agree(reference_service, client):
    texts = ["awsl", "前方高能 & <注意>", "妹妹多大了 加个微信私聊"]
    ids = [reference_service.post_danmaku("v4", t, author_id="a1b2c3d4", time=12.5, mode=5, color=16711680)["id"] for t in texts]
    xml_page = await client.danmaku_after("v4", None, fmt="xml")
    json_page = await client.danmaku_after("v4", None, fmt="json")
    for page in (xml_page, json_page):
        assert page.malformed == []
        assert [d.id for d in page.items] == ids
        assert [d.text for d in page.items] == texts
        assert all(d.kind is Kind.DANMAKU and d.author_id == "a1b2c3d4" for d in page.items)
        assert page.next_cursor == "3"
    assert xml_page.items == json_page.items
    more = await client.danmaku_after("v4", xml_page.next_cursor, fmt="xml")
    assert more.items == [] and more.next_cursor == "3"


async def test_hide_and_restore_are_idempotent(reference_service, client):
    item = reference_service.post_comment("v1", "加我vx", offending=True)
    first = await client.hide(Kind.COMMENT, item["id"], "contact spam")
    second = await client.hide(Kind.COMMENT, item["id"], "contact spam")
    assert first == ActionResult(ok=True, already=False, status=200, detail=first.detail)
    assert second.ok and second.already
    record = reference_service.item("comment", item["id"])
    assert record["hidden"] and record["hide_reason"] == "contact spam" and record["hide_calls"] == 2
    assert record["hidden_at"] >= record["posted_at"]
    restored = await client.restore(Kind.COMMENT, item["id"], "moderator: fine")
    again = await client.restore(Kind.COMMENT, item["id"], "moderator: fine")
    assert restored.ok and not restored.already and again.ok and again.already
    assert reference_service.item("comment", item["id"])["hidden"] is False


async def test_hide_danmaku_and_missing_items(reference_service, client):
    dm = reference_service.post_danmaku("v1", "加vx")
    assert (await client.hide(Kind.DANMAKU, dm["id"], "contact")).ok
    assert [h["id"] for h in reference_service.hidden()] == [dm["id"]]
    missing = await client.hide(Kind.COMMENT, "c999999", "x")
    assert not missing.ok and missing.status == 404 and "c999999" in missing.detail


async def test_500s_for_a_while_are_retried(reference_service, client):
    reference_service.post_comment("v1", "hello")
    reference_service.fault("error", count=3, path="/comments")
    page = await client.comments_after("v1", None)
    assert [c.text for c in page.items] == ["hello"]
    assert client.stats.retries == 3
    faults = reference_service.admin("GET", "/admin/faults")["faults"]
    assert faults[0]["served"] == 3 and faults[0]["count_left"] == 0


async def test_500s_for_some_seconds_are_retried(reference_service, make_client):
    client = make_client(max_retries=8, backoff_s=0.1, max_backoff_s=0.4)
    reference_service.fault("error", seconds=0.6, status=503)
    started = time.monotonic()
    videos = await client.list_videos()
    assert len(videos) == 12
    assert time.monotonic() - started >= 0.5
    assert client.stats.retries >= 1


async def test_timeouts_are_retried(reference_service, make_client):
    client = make_client(timeout_s=0.3)
    reference_service.fault("delay", delay_s=2, count=2, path="/videos")
    videos = await client.list_videos()
    assert len(videos) == 12
    assert client.stats.retries >= 2  # more only if the loaded machine is slower than 0.3 s
    assert reference_service.admin("GET", "/admin/faults")["faults"][0]["served"] == 2


async def test_hide_that_timed_out_is_retried_and_reported_done(reference_service, make_client):
    client = make_client(timeout_s=0.3)
    item = reference_service.post_comment("v1", "妹妹多大了")
    reference_service.fault("delay", delay_s=1, count=1, path="/hide")
    result = await client.hide(Kind.COMMENT, item["id"], "grooming")
    assert result.ok
    assert reference_service.item("comment", item["id"])["hidden"] is True


async def test_429_waits_for_retry_after(reference_service, client):
    reference_service.fault("rate_limit", retry_after=1, count=1)
    started = time.monotonic()
    await client.list_videos()
    assert time.monotonic() - started >= 0.95  # jittered backoff alone is at most 0.2 s here
    assert client.stats.rate_limited == 1


async def test_429_beyond_the_patience_limit_is_an_error(reference_service, make_client):
    client = make_client(max_retry_after_s=5)
    reference_service.fault("rate_limit", retry_after=120, count=1)
    with pytest.raises(ServiceError, match="Retry-After 120s"):
        await client.list_videos()


async def test_retries_exhausted_raise_service_error(reference_service, make_client):
    client = make_client(max_retries=2)
    reference_service.fault("error", status=502)
    with pytest.raises(ServiceError) as caught:
        await client.comments_after("v1", "0")
    error = caught.value
    assert error.status == 502 and error.attempts == 3 and error.method == "GET"
    assert "/api/v1/videos/v1/comments" in str(error) and "502" in str(error) and "3 attempt" in str(error)


async def test_unreachable_service_raises_after_retries(session):
    client = CommentServiceClient(
        "http://127.0.0.1:9", "t", session=session, timeout_s=0.5, max_retries=2, backoff_s=0.01
    )
    with pytest.raises(ServiceError) as caught:
        await client.list_videos()
    assert caught.value.status is None and "ClientConnectorError" in str(caught.value)


async def test_malformed_json_page_keeps_the_cursor(reference_service, client):
    reference_service.post_comment("v1", "one")
    reference_service.fault("malformed_json", count=1, path="/comments")
    broken = await client.comments_after("v1", "0")
    assert broken.items == [] and broken.next_cursor == "0"
    (bad,) = broken.malformed
    assert "invalid JSON" in bad.reason and "line 1" in bad.reason
    assert bad.where.startswith("GET ") and "/comments" in bad.where
    assert bad.raw.startswith('{"items"')
    healed = await client.comments_after("v1", broken.next_cursor)
    assert [c.text for c in healed.items] == ["one"] and healed.malformed == []


async def test_malformed_xml_page_keeps_the_cursor(reference_service, client):
    reference_service.post_danmaku("v1", "awsl")
    reference_service.fault("malformed_xml", count=1)
    broken = await client.danmaku_after("v1", None, fmt="xml")
    assert broken.items == [] and broken.next_cursor is None
    (bad,) = broken.malformed
    assert bad.reason.startswith("danmaku xml line ") and "column" in bad.reason
    healed = await client.danmaku_after("v1", None, fmt="xml")
    assert [d.text for d in healed.items] == ["awsl"]


async def test_malformed_items_are_set_aside_and_the_rest_parsed(reference_service, client):
    ids = [reference_service.post_comment("v5", f"c{n}")["id"] for n in range(3)]
    dmids = [reference_service.post_danmaku("v5", f"d{n}")["id"] for n in range(3)]
    reference_service.fault("malformed_items", item_ids=[ids[1], dmids[2]])
    page = await client.comments_after("v5", None)
    assert [c.id for c in page.items] == [ids[0], ids[2]]
    (bad,) = page.malformed
    assert "item 1" in bad.reason and "'author_id' is integer, expected string" in bad.reason
    assert "'text' is null" in bad.reason and "'created_at' is missing" in bad.reason
    assert ids[1] in bad.where and ids[1] in bad.raw
    assert page.next_cursor == "3"  # the broken item is passed, not re-read forever

    xml = await client.danmaku_after("v5", None, fmt="xml")
    assert [d.id for d in xml.items] == dmids[:2]
    (bad,) = xml.malformed
    assert bad.reason == "danmaku xml line 8: attribute p has 5 fields, expected 8"
    assert bad.raw.startswith("<d p=") and bad.raw.endswith("</d>")
    assert xml.next_cursor == "6"

    js = await client.danmaku_after("v5", None, fmt="json")
    assert [d.id for d in js.items] == dmids[:2]
    assert "'time' is string, expected number" in js.malformed[0].reason


async def test_hostile_text_passes_through(reference_service, client):
    hostile = [
        "加\u202e微信\u202c私聊",  # bidi override
        "零宽\u200b\u200d字符\ufeff",
        "控制\x01字符\x07",
        "长" * 1_000_000,
    ]
    for text in hostile:
        reference_service.post_comment("v6", text)
        reference_service.post_danmaku("v6", text)
    comments = await client.comments_after("v6", None)
    assert [c.text for c in comments.items] == hostile
    dm_json = await client.danmaku_after("v6", None, fmt="json")
    assert [d.text for d in dm_json.items] == hostile
    dm_xml = await client.danmaku_after("v6", None, fmt="xml")
    assert dm_xml.malformed == []
    # XML cannot carry C0 controls; they arrive as U+FFFD, one for one.
    assert [d.text for d in dm_xml.items] == [t.replace("\x01", "\ufffd").replace("\x07", "\ufffd") for t in hostile]


async def test_a_client_built_from_the_service_section_asks_for_that_danmaku_format(reference_service, session):
    from dataclasses import replace

    from commentwatch.config import ServiceConfig

    reference_service.post_danmaku("v4", "awsl")
    reference_service.fault("malformed_xml", path="/danmaku")  # cuts XML bodies only
    settings = ServiceConfig(base_url=reference_service.base_url, danmaku_format="xml", max_retries=0)
    as_json = CommentServiceClient.from_config(replace(settings, danmaku_format="json"), reference_service.token,
                                               session=session)
    assert [d.text for d in (await as_json.danmaku_after("v4", None)).items] == ["awsl"]
    as_xml = CommentServiceClient.from_config(settings, reference_service.token, session=session)
    page = await as_xml.danmaku_after("v4", None)
    assert page.items == [] and "format=xml" in page.malformed[0].where
