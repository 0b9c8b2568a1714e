"""How fast the harness itself is.

Reads every new comment and danmaku of a running reference service through
``CommentServiceClient`` for a while (optionally hiding one item in N) and
reports items read per second and the posted-to-read lag of comments. It
answers "is the reference service or the client the bottleneck?" before
anyone blames the watcher in ``bench live``. Danmaku are left out of the lag
because their Bilibili timestamp has whole-second resolution.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import aiohttp

from commentwatch.sources.client import CommentServiceClient
from commentwatch.values import Kind


@dataclass(frozen=True)
class ProbeReport:
    seconds: float
    items_read: int
    items_per_s: float
    malformed: int
    hides: int
    comment_lag_p50_ms: float
    comment_lag_p99_ms: float
    requests: int
    retries: int


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def probe(
    url: str, token: str, *, seconds: float, interval_s: float = 0.05, hide_every: int = 0, danmaku_format: str = "json"
) -> ProbeReport:
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        client = CommentServiceClient(url, token, session=session)
        videos = [video.id for video in await client.list_videos()]
        cursors: dict[tuple[Kind, str], str | None] = {(kind, v): None for v in videos for kind in Kind}
        lags: list[float] = []
        counts = {"read": 0, "malformed": 0, "hides": 0, "seen": 0}

        async def poll(key: tuple[Kind, str]) -> None:
            kind, video_id = key
            if kind is Kind.COMMENT:
                page = await client.comments_after(video_id, cursors[key], limit=1000)
            else:
                page = await client.danmaku_after(video_id, cursors[key], limit=5000, fmt=danmaku_format)
            cursors[key] = page.next_cursor
            now = time.time()
            counts["read"] += len(page.items)
            counts["malformed"] += len(page.malformed)
            lags.extend(now - item.created_at for item in page.items if kind is Kind.COMMENT and item.created_at)
            if hide_every:
                for item in page.items:
                    counts["seen"] += 1
                    if counts["seen"] % hide_every == 0:
                        result = await client.hide(item.kind, item.id, "reference-probe")
                        counts["hides"] += result.ok  # after the await: other polls count meanwhile

        # Catch up with what was posted before the probe started, then measure.
        await asyncio.gather(*(poll(key) for key in cursors))
        lags.clear()
        counts.update(read=0, malformed=0, hides=0)
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            await asyncio.gather(*(poll(key) for key in cursors))
            await asyncio.sleep(interval_s)
        elapsed = time.monotonic() - started
        return ProbeReport(
            seconds=round(elapsed, 2),
            items_read=counts["read"],
            items_per_s=round(counts["read"] / elapsed, 1),
            malformed=counts["malformed"],
            hides=counts["hides"],
            comment_lag_p50_ms=round(_percentile(lags, 0.50) * 1000, 1),
            comment_lag_p99_ms=round(_percentile(lags, 0.99) * 1000, 1),
            requests=client.stats.calls,
            retries=client.stats.retries,
        )
