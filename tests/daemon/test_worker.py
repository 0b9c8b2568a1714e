"""Worker behaviour: which videos are watched, lexicon hot reload, metrics, schedule."""

from __future__ import annotations

import asyncio
import shutil
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from commentwatch.config import MetricsConfig
from commentwatch.paths import LEXICON_DIR
from tests.helpers import (
    OFFENDING,
    daemon_config,
    eventually,
    free_port,
    hidden_item,
    item,
    post,
    query,
)

pytestmark = pytest.mark.slow


async def test_by_default_only_videos_featuring_children_are_watched(tmp_path, service, worker):
    await service.admin_post("/admin/videos", {"id": "adult1", "title": "股市复盘", "tags": ["财经"],
                                               "description": "", "featuring_minors": False})
    # The platform does not say; the title's words do (lexicons/minor_video.txt).
    await service.admin_post("/admin/videos", {"id": "guess1", "title": "小学生舞蹈比赛 一年级",
                                               "tags": ["儿童"],
                                               "description": "幼儿园 小朋友", "featuring_minors": None})
    db = tmp_path / "r.db"
    await worker(daemon_config(db, service.url, watch="minors"))
    on_child = await post(service, OFFENDING, video="kid1")
    on_guess = await post(service, OFFENDING, video="guess1")
    on_adult = await post(service, OFFENDING, video="adult1")
    await eventually(lambda: hidden_item(service, "comment", on_child["id"]), what="hidden on the flagged video")
    await eventually(lambda: hidden_item(service, "comment", on_guess["id"]), what="hidden on the guessed video")
    await asyncio.sleep(0.6)  # several poll rounds
    assert (await item(service, "comment", on_adult["id"]))["hide_calls"] == 0
    assert not query(db, "select 1 from comments where video_id = 'adult1'")
    watched = dict(query(db, "select id, watched from videos where id in ('kid1', 'guess1', 'adult1')"))
    assert watched == {"kid1": 1, "guess1": 1, "adult1": 0}


SECOND_CHILD_VIDEO = {"id": "kid2", "title": "幼儿园毕业典礼", "tags": ["儿童"], "description": "",
                      "featuring_minors": True}


async def _watching_kid2(service, db):
    on_kid2 = await post(service, OFFENDING, video="kid2")
    await eventually(lambda: hidden_item(service, "comment", on_kid2["id"]), what="kid2 watched")


async def _no_longer_watched(service, db):
    await eventually(lambda: query(db, "select 1 from videos where id = 'kid2' and watched = 0"),
                     what="kid2 no longer watched")
    later = await post(service, OFFENDING, video="kid2")
    still = await post(service, OFFENDING, video="kid1")
    await eventually(lambda: hidden_item(service, "comment", still["id"]), what="kid1 still watched")
    await asyncio.sleep(0.6)  # several poll rounds
    assert (await item(service, "comment", later["id"]))["hide_calls"] == 0
    assert not query(db, "select 1 from comments where id = ?", (later["id"],))


async def test_a_video_missing_from_the_list_past_the_grace_is_no_longer_polled(tmp_path, service, worker):
    await service.admin_post("/admin/videos", SECOND_CHILD_VIDEO)
    db = tmp_path / "r.db"
    await worker(daemon_config(db, service.url, unlisted_grace_s=1.0))
    await _watching_kid2(service, db)
    await service.admin_post("/admin/videos", {**SECOND_CHILD_VIDEO, "listed": False})
    # Within the grace it is still polled: the list may show recent uploads only.
    await asyncio.sleep(0.6)
    assert query(db, "select watched from videos where id = 'kid2'") == [(1,)]
    await _no_longer_watched(service, db)


async def test_a_deleted_video_is_dropped_at_its_first_404(tmp_path, service, worker):
    await service.admin_post("/admin/videos", SECOND_CHILD_VIDEO)
    db = tmp_path / "r.db"
    await worker(daemon_config(db, service.url))  # the default grace: hours
    await _watching_kid2(service, db)
    await service.admin_delete("/admin/videos/kid2")
    await eventually(lambda: query(db, "select 1 from videos where id = 'kid2' and watched = 0"),
                     timeout=3, what="kid2 dropped")
    still = await post(service, OFFENDING, video="kid1")
    await eventually(lambda: hidden_item(service, "comment", still["id"]), what="kid1 still watched")


async def test_a_lexicon_edit_applies_without_restart(tmp_path, service, worker):
    lexicon = tmp_path / "lexicon"
    shutil.copytree(LEXICON_DIR, lexicon)
    db = tmp_path / "r.db"
    config = daemon_config(db, service.url, lexicon_reload_interval_s=0.3)
    await worker(replace(config, detect=replace(config.detect, lexicon_dir=lexicon)))
    text = "蓝鲸暗号七七七走起"
    before = await post(service, text)
    key = f"comment:{before['id']}"
    await eventually(lambda: query(db, "select 1 from verdicts where key = ?", (key,)), what="first verdict")
    ((action, version_before),) = query(db, "select action, lexicon_version from verdicts where key = ?", (key,))
    assert action == "allow"

    with (lexicon / "sexual_ad.txt").open("a", encoding="utf-8") as f:
        f.write("\n蓝鲸暗号 | 3 | exact | | added by a test\n")

    async def reloaded_and_hidden():
        after = await post(service, text + "!")
        try:
            return await eventually(lambda: hidden_item(service, "comment", after["id"]), timeout=1.5)
        except AssertionError:
            return None

    hidden = await eventually(reloaded_and_hidden, timeout=20, what="the new term in use")
    ((version_after,),) = query(db, "select lexicon_version from verdicts where key = ?", (f"comment:{hidden['id']}",))
    assert version_after != version_before
    assert (await item(service, "comment", before["id"]))["hidden"] is False  # no retroactive action


async def test_metrics_endpoint_counts_comments_verdicts_and_hides(tmp_path, service, worker):
    port = free_port()
    config = replace(daemon_config(tmp_path / "r.db", service.url), metrics=MetricsConfig(port=port))
    await worker(config)
    bad = await post(service, OFFENDING)
    await eventually(lambda: hidden_item(service, "comment", bad["id"]), what="hidden")

    def scrape() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return response.read().decode()

    text = await asyncio.to_thread(scrape)
    assert 'commentwatch_hides_total{outcome="hidden"} 1.0' in text
    assert 'commentwatch_verdicts_total{action="hide"}' in text
    assert 'commentwatch_comments_seen_total{kind="comment"}' in text
    assert "commentwatch_hide_seconds_bucket" in text


async def test_digest_retention_and_retry_jobs_are_scheduled(tmp_path, service, worker, monkeypatch):
    from commentwatch.daemon import run as run_module

    seen = {}
    original = run_module.Worker.start

    def start(self):
        seen["worker"] = self
        return original(self)

    monkeypatch.setattr(run_module.Worker, "start", start)
    await worker(daemon_config(tmp_path / "r.db", service.url, digest_at="06:30"))
    scheduler = seen["worker"].scheduler
    digest = scheduler.get_job("digest")
    assert (digest.next_run_time.hour, digest.next_run_time.minute) == (6, 30)
    assert {"discover", "retry_pending", "lexicon_reload", "alert_summaries", "alert_retries", "prune"} <= {
        job.id for job in scheduler.get_jobs()}
    await eventually(lambda: any(job.id == "poll:comment:kid1" for job in scheduler.get_jobs()),
                     what="the child's video polled")


def test_lexicon_dir_default_exists():
    assert Path(LEXICON_DIR).is_dir()
