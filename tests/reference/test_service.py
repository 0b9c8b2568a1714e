"""The reference comment service as a process: API semantics, admin, faults, traffic."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from tests.helpers import AdminError


def api(service, path: str, *, token: str | None = None, raw: bool = False):
    request = urllib.request.Request(service.base_url + path)
    if token != "":
        request.add_header("Authorization", f"Bearer {token or service.token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return body if raw else json.loads(body)


def test_token_is_needed_everywhere_but_healthz(reference_service):
    for path in ("/api/v1/videos", "/api/v1/videos/v1/comments", "/admin/stats"):
        with pytest.raises(AdminError) as caught:
            reference_service.admin("GET", path, token="nope")
        assert caught.value.status == 401 and caught.value.body == {"error": "invalid bearer token"}
    with pytest.raises(urllib.error.HTTPError) as caught:
        api(reference_service, "/api/v1/videos", token="")
    assert caught.value.code == 401 and caught.value.headers["WWW-Authenticate"].startswith("Bearer")
    assert api(reference_service, "/healthz", token="") == {"ok": True}


@pytest.mark.parametrize(
    "path, status, message",
    [
        ("/api/v1/videos/v1/comments?after=abc", 400, "after: expected a cursor"),
        ("/api/v1/videos/v1/comments?limit=0", 400, "limit: expected a whole number between 1 and 1000"),
        ("/api/v1/videos/v1/danmaku?limit=5001", 400, "limit: expected a whole number between 1 and 5000"),
        ("/api/v1/videos/v1/danmaku?format=csv", 400, "format: expected 'json' or 'xml'"),
        ("/api/v1/videos/nope/comments", 404, "no video with id 'nope'"),
        ("/admin/items/comment/c42", 404, "no comment with id 'c42'"),
    ],
)
def test_bad_requests_name_what_is_wrong(reference_service, path, status, message):
    with pytest.raises(AdminError) as caught:
        reference_service.admin("GET", path)
    assert caught.value.status == status and message in caught.value.body["error"]


@pytest.mark.parametrize(
    "body, message",
    [
        ({}, "reason: required"),
        ({"reason": "  "}, "reason: must not be empty"),
        ({"reason": 3}, "reason: expected a string, got int"),
        ({"reason": "x" * 10_001}, "reason: at most 10000 characters"),
    ],
)
def test_hide_needs_a_reason(reference_service, body, message):
    item = reference_service.post_comment("v1", "x")
    with pytest.raises(AdminError) as caught:
        reference_service.admin("POST", f"/api/v1/comments/{item['id']}/hide", body)
    assert caught.value.status == 400 and message in caught.value.body["error"]
    assert reference_service.item("comment", item["id"])["hidden"] is False


def test_posting_rejects_unstorable_text(reference_service):
    request = urllib.request.Request(
        reference_service.base_url + "/admin/videos/v1/comments",
        data=b'{"text": "bad \\ud800 surrogate"}',
        method="POST",
        headers={"Authorization": f"Bearer {reference_service.token}", "Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400 and b"lone surrogate at index 4" in caught.value.read()
    with pytest.raises(AdminError, match="no video with id 'v99'"):
        reference_service.post_comment("v99", "x")


def test_cursor_is_a_per_video_sequence_shared_by_both_kinds(reference_service):
    c1 = reference_service.post_comment("v1", "a")
    d1 = reference_service.post_danmaku("v1", "b")
    c2 = reference_service.post_comment("v1", "c")
    other = reference_service.post_comment("v2", "d")
    assert (c1["seq"], d1["seq"], c2["seq"], other["seq"]) == (1, 2, 3, 1)
    page = api(reference_service, "/api/v1/videos/v1/comments?after=1")
    assert [i["id"] for i in page["items"]] == [c2["id"]] and page["next_cursor"] == "3"
    empty = api(reference_service, "/api/v1/videos/v1/comments?after=3")
    assert empty == {"items": [], "next_cursor": "3"}
    assert api(reference_service, "/api/v1/videos/v3/comments")["next_cursor"] == "0"


def test_xml_danmaku_is_well_formed_even_for_hostile_text(reference_service):
    text = "a\x00b\x08<c>&\"d\u202e\ufffe"
    dm = reference_service.post_danmaku("v1", text, author_id="ff00ff00", time=3.25, mode=4)
    body = api(reference_service, "/api/v1/videos/v1/danmaku?format=xml", raw=True)
    root = ET.fromstring(body)
    assert root.tag == "i" and root.findtext("next_cursor") == "1"
    (d,) = root.findall("d")
    assert d.text == "a\ufffdb\ufffd<c>&\"d\u202e\ufffd"
    p = d.get("p").split(",")
    assert len(p) == 8 and p[0] == "3.25000" and p[1] == "4" and p[6] == "ff00ff00" and p[7] == dm["id"]
    assert api(reference_service, "/api/v1/videos/v1/danmaku")["items"][0]["text"] == text


def test_hides_are_recorded_with_times(reference_service):
    item = reference_service.post_comment("v1", "妹妹多大了 加个微信私聊", offending=True, category="grooming")
    reference_service.post_comment("v1", "好可爱", offending=False)
    time.sleep(0.01)
    first = reference_service.admin("POST", f"/api/v1/comments/{item['id']}/hide", {"reason": "grooming"})
    again = reference_service.admin("POST", f"/api/v1/comments/{item['id']}/hide", {"reason": "grooming"})
    assert first["already"] is False and again["already"] is True and first["hidden_at"] == again["hidden_at"]
    (hidden,) = reference_service.hidden()
    assert hidden["id"] == item["id"] and hidden["offending"] is True and hidden["category"] == "grooming"
    assert hidden["hidden_at"] - hidden["posted_at"] >= 0.01
    stats = reference_service.stats()
    assert (stats["comments"], stats["offending"], stats["hidden"], stats["hide_calls"], stats["hide_already"]) == (2, 1, 1, 2, 1)
    assert stats["requests"]["POST /api/v1/comments/{item_id}/hide"] == 2


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"mode": "explode"}, "mode: expected one of"),
        ({"mode": "error", "count": 0}, "count: expected a positive integer"),
        ({"mode": "error", "status": 200}, "status: expected an HTTP error status"),
        ({"mode": "delay", "delay_s": -1}, "delay_s: expected a number between 0.0 and 3600.0"),
        ({"mode": "rate_limit", "retry_after": 1.5}, "retry_after: expected a whole number"),
        ({"mode": "malformed_items"}, "item_ids: expected a non-empty list"),
        ({"mode": "error", "probability": 2}, "probability: expected a number between 0.0 and 1.0"),
        ({"mode": "error", "sconds": 2}, "sconds: unknown field"),
    ],
)
def test_fault_requests_are_validated(reference_service, spec, message):
    with pytest.raises(AdminError) as caught:
        reference_service.admin("POST", "/admin/faults", spec)
    assert caught.value.status == 400 and message in caught.value.body["error"]


def test_faults_hit_only_the_public_api_and_run_out(reference_service):
    reference_service.fault("error", count=2, status=503, path="/videos", method="GET")
    for _ in range(2):
        with pytest.raises(AdminError) as caught:
            reference_service.admin("GET", "/api/v1/videos")
        assert caught.value.status == 503
    assert reference_service.stats()["faults_served"] == 2  # admin calls are never faulted
    assert len(api(reference_service, "/api/v1/videos")["items"]) == 12

    reference_service.fault("rate_limit", seconds=0.3, retry_after=7)
    with pytest.raises(urllib.error.HTTPError) as caught:
        api(reference_service, "/api/v1/videos")
    assert caught.value.code == 429 and caught.value.headers["Retry-After"] == "7"
    time.sleep(0.35)
    assert api(reference_service, "/api/v1/videos")["items"]
    assert reference_service.clear_faults() == 2
    assert reference_service.admin("GET", "/admin/faults") == {"faults": []}


def test_malformed_body_faults_match_the_format(reference_service):
    reference_service.post_danmaku("v1", "x")
    reference_service.fault("malformed_xml", count=1)
    # A JSON answer does not use up an XML fault.
    assert api(reference_service, "/api/v1/videos/v1/danmaku")["items"]
    body = api(reference_service, "/api/v1/videos/v1/danmaku?format=xml", raw=True)
    with pytest.raises(ET.ParseError):
        ET.fromstring(body)
    assert ET.fromstring(api(reference_service, "/api/v1/videos/v1/danmaku?format=xml", raw=True)).tag == "i"


def test_generated_traffic_is_seeded(reference_service_factory):
    a = reference_service_factory("--seed", "5", "--offending-share", "0.3")
    b = reference_service_factory("--seed", "5", "--offending-share", "0.3")
    c = reference_service_factory("--seed", "6", "--offending-share", "0.3")
    runs = []
    for service in (a, b, c):
        service.traffic(post=300)
        items = service.admin("GET", "/admin/items")["items"]
        runs.append([(i["kind"], i["video_id"], i["text"], i["offending"]) for i in items])
    assert runs[0] == runs[1] and runs[0] != runs[2]
    offending = sum(1 for *_, bad in runs[0] if bad)
    assert 50 <= offending <= 130  # 30 % of 300, loosely
    kinds = {kind for kind, *_ in runs[0]}
    assert kinds == {"comment", "danmaku"}


def test_traffic_runs_at_a_rate_and_can_be_steered(reference_service_factory):
    service = reference_service_factory("--rate", "200", "--prefill", "10")
    deadline = time.monotonic() + 10
    while service.stats()["traffic"]["posted"] < 60 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.stats()["traffic"]["posted"] >= 60
    service.traffic(rate=0)
    settled = service.stats()["traffic"]["posted"]
    time.sleep(0.2)
    assert service.stats()["traffic"]["posted"] == settled
    with pytest.raises(AdminError, match="rate: expected a non-negative number"):
        service.traffic(rate=-1)


def test_standing_faults_from_the_command_line(reference_service_factory):
    service = reference_service_factory("--fault-error-rate", "1.0")
    with pytest.raises(AdminError) as caught:
        service.admin("GET", "/api/v1/videos")
    assert caught.value.status == 500
    assert service.stats()["videos"] == 12


async def test_probe_reads_everything_posted(reference_service_factory):
    from commentwatch.reference.probe import probe

    service = reference_service_factory("--rate", "100", "--offending-share", "0.2")
    report = await probe(service.base_url, service.token, seconds=0.5, hide_every=10, danmaku_format="xml")
    assert report.items_read > 0 and report.malformed == 0 and report.hides > 0
    assert report.comment_lag_p50_ms >= 0
    stats = service.stats()
    # The catch-up read before measuring hides too; nothing is hidden twice.
    assert stats["hide_calls"] >= report.hides and stats["ever_hidden"] == stats["hide_calls"]
    assert stats["hide_already"] == 0


def test_an_unlisted_video_keeps_its_streams_and_a_removed_one_answers_404(reference_service):
    reference_service.admin("POST", "/admin/videos", {"id": "gone1", "title": "t"})
    reference_service.admin("POST", "/admin/videos", {"id": "quiet1", "title": "t", "listed": False})
    listed = {v["id"] for v in api(reference_service, "/api/v1/videos")["items"]}
    assert "gone1" in listed and "quiet1" not in listed
    reference_service.post_comment("quiet1", "还在")
    assert [c["text"] for c in api(reference_service, "/api/v1/videos/quiet1/comments")["items"]] == ["还在"]

    assert reference_service.admin("DELETE", "/admin/videos/gone1") == {"removed": "gone1"}
    assert "gone1" not in {v["id"] for v in api(reference_service, "/api/v1/videos")["items"]}
    for path in ("/api/v1/videos/gone1/comments", "/api/v1/videos/gone1/danmaku"):
        with pytest.raises(AdminError) as caught:
            reference_service.admin("GET", path)
        assert caught.value.status == 404 and "no video with id 'gone1'" in caught.value.body["error"]
    with pytest.raises(AdminError) as caught:
        reference_service.admin("DELETE", "/admin/videos/gone1")
    assert caught.value.status == 404
    with pytest.raises(AdminError) as caught:
        reference_service.admin("POST", "/admin/videos", {"id": "x1", "listed": "no"})
    assert caught.value.status == 400 and "listed: expected true or false" in caught.value.body["error"]
