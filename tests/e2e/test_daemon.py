"""The worker against the reference comment service, both real, on loopback."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace

import pytest

from commentwatch.config import WebhookSinkConfig
from tests.helpers import (
    BENIGN,
    OFFENDING,
    WebhookReceiver,
    daemon_config,
    eventually,
    hidden_item,
    item,
    post,
    query,
    redis_server,
)

pytestmark = pytest.mark.slow


async def test_offending_comment_is_hidden_with_evidence_and_benign_is_not(tmp_path, service, worker):
    db = tmp_path / "r.db"
    task = await worker(daemon_config(db, service.url))
    bad = await post(service, OFFENDING)
    good = await post(service, BENIGN)
    bad_danmaku = await post(service, OFFENDING, kind="danmaku", author="u2")

    hidden = await eventually(
        lambda: hidden_item(service, "comment", bad["id"]), timeout=10, what="the offending comment hidden")
    assert hidden["hidden_at"] - hidden["posted_at"] < 5.0
    assert hidden["hide_calls"] == 1
    await eventually(lambda: hidden_item(service, "danmaku", bad_danmaku["id"]), timeout=10, what="danmaku hidden")
    await eventually(lambda: query(db, "select 1 from verdicts where key = ?", (f"comment:{good['id']}",)),
                     what="the benign comment judged")
    assert (await item(service, "comment", good["id"]))["hidden"] is False

    ((action, evidence, state, already),) = query(
        db, "select v.action, v.evidence, a.state, a.already from verdicts v join actions a using (key) "
            "where key = ?", (f"comment:{bad['id']}",))
    assert (action, state, already) == ("hide", "done", 0)
    terms = json.loads(evidence)
    assert terms and all({"category", "term", "start", "end", "source"} <= set(e) for e in terms)
    assert any(OFFENDING[e["start"]:e["end"]] for e in terms)
    assert query(db, "select action from verdicts where key = ?", (f"comment:{good['id']}",)) == [("allow",)]
    assert query(db, "select count(*) from actions where key = ?", (f"comment:{good['id']}",)) == [(0,)]
    assert not task.done()  # the worker is still running


@pytest.fixture(params=["sqlite", "redis"])
def gate_url(request, tmp_path):
    """Where alert rate limits live: "" for the SQLite record, else a real Redis."""
    if request.param == "sqlite":
        yield ""
        return
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    with redis_server(tmp_path) as url:
        yield url


async def test_dry_run_alerts_a_webhook_in_dingtalk_format_and_never_hides(gate_url, tmp_path, service, worker,
                                                                           monkeypatch):
    receiver = WebhookReceiver()
    await receiver.start()
    monkeypatch.setenv("CW_TEST_HOOK", receiver.url)
    try:
        hooks = (WebhookSinkConfig(url_env="CW_TEST_HOOK", format="dingtalk", name="mods"),)
        config = daemon_config(tmp_path / "r.db", service.url, webhooks=hooks, dry_run=True)
        await worker(replace(config, alerts=replace(config.alerts, redis_url=gate_url)))
        bad = await post(service, OFFENDING, author="groomer")
        await post(service, OFFENDING + " 再来", author="groomer")  # same author+video: aggregated
        await eventually(lambda: receiver.received, what="an alert at the webhook")
        await asyncio.sleep(1.0)
        alerts = [p for p in receiver.received if "dry run" in p["markdown"]["title"]]
        assert len(alerts) == 1
        (payload,) = alerts
        assert payload["msgtype"] == "markdown"
        assert "小妹妹加我QQ" in payload["markdown"]["text"] and "contact" in payload["markdown"]["text"]
        assert (await item(service, "comment", bad["id"]))["hide_calls"] == 0
        stats = await service.admin_get("/admin/stats")
        assert stats["hide_calls"] == 0
        windows = query(tmp_path / "r.db", "select key from alert_windows")
        # With Redis the window lives there, so that several workers share it.
        assert windows == ([] if gate_url else [("kid1:groomer",)])
    finally:
        await receiver.stop()


async def test_outage_timeouts_and_429_are_retried_and_nothing_is_lost(tmp_path, service, worker):
    db = tmp_path / "r.db"
    await worker(daemon_config(db, service.url))
    await service.admin_post("/admin/faults", [
        {"mode": "error", "status": 500, "path": "/comments", "seconds": 2},
        {"mode": "delay", "delay_s": 3, "path": "/danmaku", "seconds": 2},
        {"mode": "error", "status": 503, "path": "/hide", "count": 6},
        {"mode": "rate_limit", "retry_after": 1, "path": "/videos", "count": 2},
    ])
    posted = []
    for i in range(4):
        posted.append(("comment", await post(service, f"{OFFENDING} {i}", author=f"a{i}"), True))
        posted.append(("comment", await post(service, f"{BENIGN} {i}", author=f"b{i}"), False))
        posted.append(("danmaku", await post(service, f"{OFFENDING} {i}", kind="danmaku", author=f"d{i}"), True))

    async def all_done():
        records = [await item(service, kind, p["id"]) for kind, p, _ in posted]
        return records if all(r["hidden"] == bad for r, (_, _, bad) in zip(records, posted)) else None

    records = await eventually(all_done, timeout=30, interval=0.3, what="every offending item hidden")
    assert all(r["hide_calls"] == (1 if bad else 0) for r, (_, _, bad) in zip(records, posted))
    keys = {f"{kind}:{p['id']}" for kind, p, _ in posted}
    await eventually(lambda: keys <= {k for (k,) in query(db, "select key from verdicts")},
                     what="every item judged and recorded")
    served = (await service.admin_get("/admin/stats"))["faults_served"]
    assert served, "the faults were never served; the test proved nothing"
    assert query(db, "select count(*) from actions where state != 'done'") == [(0,)]


async def test_malformed_json_and_xml_land_in_dead_letters_with_a_logged_reason(tmp_path, service, worker,
                                                                                caplog):
    db = tmp_path / "r.db"
    broken = await post(service, BENIGN + " 坏的", author="x")
    await service.admin_post("/admin/faults", [
        {"mode": "malformed_json", "path": "/comments", "count": 1},
        {"mode": "malformed_xml", "path": "/danmaku", "count": 1},
        {"mode": "malformed_items", "item_ids": [broken["id"]]},
    ])
    bad = await post(service, OFFENDING)
    bad_danmaku = await post(service, OFFENDING, kind="danmaku")
    with caplog.at_level("WARNING", logger="commentwatch.worker"):
        await worker(_xml_config(db, service.url))
        await eventually(lambda: hidden_item(service, "comment", bad["id"]), timeout=15, what="comment hidden")
        await eventually(lambda: hidden_item(service, "danmaku", bad_danmaku["id"]), timeout=15, what="danmaku hidden")
    letters = query(db, "select kind, location, reason, raw from dead_letters order by id")
    kinds = {kind for kind, *_ in letters}
    assert kinds == {"comment", "danmaku"}, letters
    assert all(reason and raw for _, _, reason, raw in letters)
    assert any(broken["id"] in location for _, location, _, _ in letters), "the broken item was not filed"
    assert any("dead letter" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    # The broken item was filed, not judged; everything else was judged.
    judged = {k for (k,) in query(db, "select key from verdicts")}
    assert f"comment:{bad['id']}" in judged and f"comment:{broken['id']}" not in judged


def _xml_config(db, url):
    import dataclasses

    config = daemon_config(db, url)
    return dataclasses.replace(config, service=dataclasses.replace(config.service, danmaku_format="xml"))


async def test_a_hide_the_service_refuses_is_recorded_and_alerted(tmp_path, service, worker):
    db = tmp_path / "r.db"
    await service.admin_post("/admin/faults", {"mode": "error", "status": 404, "path": "/hide"})
    await worker(daemon_config(db, service.url))
    bad = await post(service, OFFENDING)
    key = f"comment:{bad['id']}"
    await eventually(lambda: query(db, "select 1 from actions where key = ? and state = 'failed'", (key,)),
                     what="the refused hide recorded")
    ((status, detail),) = query(db, "select status, detail from actions where key = ?", (key,))
    assert status == 404 and bad["id"] in detail
    await eventually(lambda: query(db, "select title from alerts where key = ?", (key,)), what="an alert")
    ((title,),) = query(db, "select title from alerts where key = ?", (key,))
    assert title.startswith("hide refused by the service")
    assert (await item(service, "comment", bad["id"]))["hidden"] is False


async def test_a_hide_refused_on_retry_is_alerted_too(tmp_path, service, worker):
    db = tmp_path / "r.db"
    # The service is down for the page's hide (three tries: max_retries=2), then refuses it for good.
    await service.admin_post("/admin/faults", {"mode": "error", "status": 503, "path": "/hide", "count": 3})
    await service.admin_post("/admin/faults", {"mode": "error", "status": 404, "path": "/hide"})
    await worker(daemon_config(db, service.url))
    bad = await post(service, OFFENDING)
    key = f"comment:{bad['id']}"
    await eventually(lambda: query(db, "select 1 from actions where key = ? and state = 'intent'", (key,)),
                     what="the hide left as an intent")
    await eventually(lambda: query(db, "select title from alerts where key = ?", (key,)), timeout=20,
                     what="an alert once the retry is refused")
    ((state, status),) = query(db, "select state, status from actions where key = ?", (key,))
    assert (state, status) == ("failed", 404)
    ((title,),) = query(db, "select title from alerts where key = ?", (key,))
    assert title.startswith("hide refused by the service")
