"""The whole daemon under load, against the reference service.

The reference service posts comments and danmaku at a fixed rate and keeps
ground truth (when each item was posted, when it was hidden, whether it was
generated as offending). The worker runs as it would in production, with a
fresh record. What comes out: comments/s actually handled, and the latency
from a comment being posted to its verdict and to its being hidden.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from commentwatch.config import Config, RecordConfig, ServiceConfig
from commentwatch.daemon.run import load_judge, run_worker, wait_until_ready
from commentwatch.record.store import Record
from commentwatch.reference.process import ReferenceProcess

log = logging.getLogger("commentwatch.bench")

TOKEN_ENV = "COMMENTWATCH_BENCH_TOKEN"


@dataclass(frozen=True)
class LiveBenchOptions:
    #: Comments and danmaku posted per second.
    rate: float = 1000.0
    #: Seconds of traffic.
    duration: float = 30.0
    #: Videos in the service's catalogue.
    videos: int = 12
    offending_share: float = 0.05
    seed: int = 0
    #: Seconds between polls of a stream.
    poll_interval: float = 0.2
    #: Items asked for per poll.
    page_size: int = 500
    #: HTTP calls in flight.
    concurrency: int = 16
    #: Write one JSON line per item (times, latencies) here.
    dump: Path | None = None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[max(0, min(998, round(q * 1000) - 1))]


def bench_live(base: Config, options: LiveBenchOptions, *, verbose: bool = False) -> dict[str, Any]:
    """Run the reference service and the worker; the figures ``format_result`` prints."""
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    if not verbose:
        # Every hide and alert is logged; at a thousand comments a second that is noise here.
        logging.getLogger("commentwatch").setLevel(logging.ERROR)
    return asyncio.run(run_live(options, base))


async def run_live(options: LiveBenchOptions, base: Config) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="commentwatch-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        extra = ("--videos", str(options.videos), "--offending-share", str(options.offending_share))
        async with ReferenceProcess(rate=0, seed=options.seed, extra_args=extra) as ref:
            os.environ[TOKEN_ENV] = ref.token
            config = dataclasses.replace(
                base,
                service=ServiceConfig(base_url=ref.url, token_env=TOKEN_ENV, timeout_s=5.0),
                worker=dataclasses.replace(
                    base.worker, watch="all", minors_poll_interval_s=options.poll_interval,
                    other_poll_interval_s=options.poll_interval, discover_interval_s=30.0,
                    page_size=options.page_size, concurrency=options.concurrency, dry_run=False,
                ),
                record=RecordConfig(path=db),
            )
            log.info("loading the judge…")
            judge = await asyncio.to_thread(load_judge, config)
            stop = asyncio.Event()
            ready = asyncio.Event()
            holder: dict[str, Any] = {}

            def on_ready(worker: Any) -> None:
                holder["worker"] = worker
                ready.set()

            task = asyncio.create_task(run_worker(config, stop=stop, judge=judge, on_ready=on_ready))
            try:
                await wait_until_ready(ready, task, timeout=120)
                worker = holder["worker"]
                while len(worker.videos) < options.videos and not task.done():
                    await asyncio.sleep(0.1)
                await asyncio.sleep(1.0)

                await ref.admin_post("/admin/traffic", {"rate": options.rate})
                t0 = time.time()
                await asyncio.sleep(options.duration)
                await ref.admin_post("/admin/traffic", {"rate": 0})
                t1 = time.time()
                items = (await ref.admin_get("/admin/items", text="false"))["items"]
                keys = {f"{i['kind']}:{i['id']}" for i in items}

                reader = Record(db)
                try:
                    drained_at = None
                    deadline = time.time() + 120
                    while time.time() < deadline and not task.done():
                        judged = reader.db.execute("select count(*) from verdicts").fetchone()[0]
                        pending = reader.db.execute(
                            "select count(*) from actions where state = 'intent'").fetchone()[0]
                        if judged >= len(keys) and pending == 0:
                            drained_at = time.time()
                            break
                        await asyncio.sleep(0.2)
                    items = (await ref.admin_get("/admin/items", text="false"))["items"]
                    judged_at = dict(reader.db.execute("select key, judged_at from verdicts").fetchall())
                finally:
                    reader.close()
            finally:
                # Stop the worker whatever went wrong, and surface its own error if it had one.
                stop.set()
                await task
    if options.dump:
        with options.dump.open("w", encoding="utf-8") as out:
            for i in items:
                key = f"{i['kind']}:{i['id']}"
                out.write(json.dumps({"key": key, "video_id": i["video_id"], "posted_at": i["posted_at"],
                                      "judged_at": judged_at.get(key), "hidden_at": i["hidden_at"],
                                      "offending": i["offending"]}) + "\n")
    return summarise(items, judged_at, t0=t0, t1=t1, drained_at=drained_at, options=options,
                     semantic=config.detect.semantic)


def summarise(items: list[dict[str, Any]], judged_at: dict[str, float], *, t0: float, t1: float,
              drained_at: float | None, options: LiveBenchOptions, semantic: bool) -> dict[str, Any]:
    window = [i for i in items if t0 <= i["posted_at"] <= t1]
    to_verdict = [judged_at[f"{i['kind']}:{i['id']}"] - i["posted_at"]
                  for i in window if f"{i['kind']}:{i['id']}" in judged_at]
    to_hide = [i["hidden_at"] - i["posted_at"] for i in window if i["hidden_at"] is not None]
    last_judged = max((judged_at[f"{i['kind']}:{i['id']}"] for i in window
                       if f"{i['kind']}:{i['id']}" in judged_at), default=t1)
    offending = [i for i in window if i["offending"]]

    def ms(values: list[float], q: float) -> float | None:
        value = percentile(sorted(values), q)
        return None if value is None else round(value * 1000, 1)

    return {
        "rate_asked": options.rate,
        "duration_s": round(t1 - t0, 2),
        "semantic": semantic,
        "posted": len(window),
        "posted_per_s": round(len(window) / (t1 - t0), 1),
        "handled": len(to_verdict),
        "handled_per_s": round(len(to_verdict) / max(t1 - t0, last_judged - t0), 1),
        "drained": drained_at is not None,
        "drain_after_stop_s": None if drained_at is None else round(drained_at - t1, 2),
        "verdict_latency_ms": {"p50": ms(to_verdict, 0.5), "p99": ms(to_verdict, 0.99), "max": ms(to_verdict, 1.0)},
        "hidden": len(to_hide),
        "hide_latency_ms": {"p50": ms(to_hide, 0.5), "p99": ms(to_hide, 0.99), "max": ms(to_hide, 1.0)},
        "offending_posted": len(offending),
        "offending_hidden": sum(1 for i in offending if i["hidden_at"] is not None),
        "benign_hidden": sum(1 for i in window if not i["offending"] and i["hidden_at"] is not None),
        "settings": {"videos": options.videos, "poll_interval_s": options.poll_interval, "page_size": options.page_size,
                     "concurrency": options.concurrency, "seed": options.seed},
    }


def format_result(r: dict[str, Any]) -> str:
    v, h = r["verdict_latency_ms"], r["hide_latency_ms"]
    return "\n".join([
        (f"live bench: asked {r['rate_asked']:g}/s for {r['duration_s']} s "
        f"({'with' if r['semantic'] else 'without'} the semantic stage)"),
        f"posted   {r['posted']} items ({r['posted_per_s']}/s)",
        f"handled  {r['handled']} items ({r['handled_per_s']}/s sustained); "
        + (f"drained {r['drain_after_stop_s']} s after traffic stopped" if r["drained"] else "NOT drained"),
        f"post → verdict  p50 {v['p50']} ms  p99 {v['p99']} ms  max {v['max']} ms",
        f"post → hidden   p50 {h['p50']} ms  p99 {h['p99']} ms  max {h['max']} ms  ({r['hidden']} hidden)",
        f"offending hidden {r['offending_hidden']}/{r['offending_posted']}; benign hidden {r['benign_hidden']}",
    ])

