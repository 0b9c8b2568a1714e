"""kill -9 a real worker process mid-stream, restart it: nothing lost, nothing acted on twice."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commentwatch.reference.process import ReferenceProcess
from tests.helpers import TOKEN_ENV, eventually, query

pytestmark = pytest.mark.slow

CONFIG = """
[detect]
semantic = false

[service]
base_url = "{url}"
token_env = "{token_env}"
timeout_s = 2.0
max_retries = 2
backoff_s = 0.05
max_backoff_s = 0.5

[worker]
watch = "all"
minors_poll_interval_s = 0.2
other_poll_interval_s = 0.2
discover_interval_s = 0.5
page_size = 50

[record]
path = "{db}"
"""


def start_worker(config: Path, token: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "commentwatch.daemon", "--config", str(config)],
        env={**os.environ, TOKEN_ENV: token}, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )


def done_hides(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return query(db, "select count(*) from actions where state = 'done'")[0][0]
    except Exception:  # the worker may still be creating the tables
        return 0


async def test_kill_9_mid_stream_then_restart_loses_nothing_and_hides_once(tmp_path):
    db = tmp_path / "record.db"
    log = tmp_path / "worker.log"
    async with ReferenceProcess(seed=7, extra_args=("--videos", "3", "--offending-share", "0.3")) as ref:
        config = tmp_path / "worker.toml"
        config.write_text(CONFIG.format(url=ref.url, token_env=TOKEN_ENV, db=db), encoding="utf-8")
        await ref.admin_post("/admin/traffic", {"rate": 120})
        worker = start_worker(config, ref.token, log)
        try:
            await eventually(lambda: done_hides(db) >= 5, timeout=60, what=f"hides before the kill ({log})")
            worker.kill()  # SIGKILL: no cleanup, no flush, mid-page
            worker.wait(timeout=10)
            assert worker.returncode == -9
            judged_at_kill = query(db, "select count(*) from verdicts")[0][0]
            await asyncio.sleep(1.0)  # traffic goes on while the worker is dead
            worker = start_worker(config, ref.token, log)
            await asyncio.sleep(2.0)
            await ref.admin_post("/admin/traffic", {"rate": 0})
            posted = await ref.admin_get("/admin/items", text="false")
            items = posted["items"]
            keys = {f"{i['kind']}:{i['id']}" for i in items}

            def caught_up():
                judged = {k for (k,) in query(db, "select key from verdicts")}
                pending = query(db, "select count(*) from actions where state = 'intent'")[0][0]
                return keys <= judged and pending == 0

            await eventually(caught_up, timeout=60, interval=0.3, what="the restarted worker catching up")
            final = {f"{i['kind']}:{i['id']}": i for i in (await ref.admin_get("/admin/items", text="false"))["items"]}
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    assert worker.returncode == 0, log.read_text(errors="replace")[-3000:]

    assert judged_at_kill < len(keys), "the kill did not happen mid-stream"
    actions = {k: (state, already) for k, state, already in query(db, "select key, state, already from actions")}
    hide_verdicts = {k for (k,) in query(db, "select key from verdicts where action = 'hide'")}
    assert len(hide_verdicts) >= 5
    # Nothing skipped: every hide verdict was carried out, and nothing else was hidden.
    assert set(actions) == hide_verdicts
    assert all(state == "done" for state, _ in actions.values())
    hidden = {k for k, i in final.items() if i["hidden"]}
    assert hidden == hide_verdicts
    # Nothing acted on twice: one hide call per item, except a call that was in
    # flight at the kill, which the service then answered "already hidden".
    twice = {k for k, i in final.items() if i["hide_calls"] > 1}
    assert all(actions[k][1] == 1 for k in twice), twice
    assert all(i["hide_calls"] <= 2 for i in final.values())
    # Nothing recorded twice either.
    assert query(db, "select count(*), count(distinct key) from comments")[0] == (len(final), len(final))
