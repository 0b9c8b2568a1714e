"""The worker: discover videos, poll their comments and danmaku, judge, act, record.

Everything runs on one asyncio loop driven by apscheduler's AsyncIOScheduler.
The judge is CPU-bound, so it runs on a single dedicated thread: the loop stays
free for HTTP, and lexicon reloads never race a judgement in progress.

Per page, the order is what makes a kill -9 harmless: record comments,
verdicts and hide intents (one transaction) → hide and alert → record the
outcomes → advance the cursor. A restart re-reads from the last cursor and
the record tells it what is already done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from commentwatch.act.alerter import Alerter, describe_evidence
from commentwatch.act.hide import Hider
from commentwatch.config import WorkerConfig
from commentwatch.daemon.metrics import Metrics
from commentwatch.record.store import Record, comment_key
from commentwatch.sources.client import CommentServiceClient, Page, ServiceError
from commentwatch.values import Action, Comment, HideOutcome, Kind, Verdict, Video

log = logging.getLogger("commentwatch.worker")

T = TypeVar("T")

#: How often hide intents the service did not confirm are tried again.
RETRY_INTERVAL_S = 5.0
#: How often alerts that no sink accepted are sent again.
ALERT_RETRY_INTERVAL_S = 30.0


class Judging(Protocol):
    """What the worker needs of a judge (``commentwatch.judge.Judge`` is one)."""

    @property
    def lexicon_version(self) -> str: ...

    def judge_many(self, comments: Sequence[Comment]) -> list[Verdict]: ...

    def features_minors(self, video: Video) -> bool: ...

    def reload_if_changed(self) -> bool: ...


@dataclasses.dataclass(frozen=True)
class PeriodicJob:
    """Another component's housekeeping the worker schedules, at the interval that component's section sets."""

    id: str
    run: Callable[[], Awaitable[Any]]
    every_s: float
    #: Run once at start as well, not only after the first interval.
    at_start: bool = False


class Worker:
    def __init__(
        self,
        settings: WorkerConfig,
        *,
        judge: Judging,
        client: CommentServiceClient,
        record: Record,
        hider: Hider,
        alerter: Alerter,
        metrics: Metrics,
        jobs: Sequence[PeriodicJob] = (),
    ) -> None:
        self.settings = settings
        self.judge = judge
        self.client = client
        self.record = record
        self.hider = hider
        self.alerter = alerter
        self.metrics = metrics
        self.jobs = tuple(jobs)
        self.scheduler: AsyncIOScheduler | None = None
        self.videos: dict[str, Video] = {}
        #: Our decision per video id: does it feature children?
        self.minors: dict[str, bool] = {}
        #: When (monotonic) each known video was last in the video list.
        self._last_listed: dict[str, float] = {}
        self._polls = asyncio.Semaphore(settings.concurrency)
        self._polling: set[tuple[str, Kind]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = False
        # One thread for the judge: CPU-bound work off the loop, and reloads
        # serialised with judgements.
        self._judge_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="judge")

    async def in_judge_thread(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._judge_thread, fn, *args)

    # -- scheduling -----------------------------------------------------------

    def start(self) -> AsyncIOScheduler:
        """Schedule every job on the running loop and start the scheduler."""
        w = self.settings
        scheduler = AsyncIOScheduler(timezone="UTC")
        now = _now_dt()
        once = {"max_instances": 1, "coalesce": True}
        every = {
            "discover": (self.discover, w.discover_interval_s, now),
            "retry_pending": (self.retry_pending, RETRY_INTERVAL_S, now),
            "lexicon_reload": (self.reload_lexicon, w.lexicon_reload_interval_s, None),
            "alert_retries": (self.alerter.retry_failed, ALERT_RETRY_INTERVAL_S, None),
            **{job.id: (job.run, job.every_s, now if job.at_start else None) for job in self.jobs},
        }
        for job_id, (job, seconds, first) in every.items():
            extra = {"next_run_time": first} if first is not None else {}
            scheduler.add_job(self._tracked(job), "interval", seconds=seconds, id=job_id, **once, **extra)
        hour, minute = (int(x) for x in w.digest_at.split(":"))
        scheduler.add_job(self._tracked(self.digest), CronTrigger(hour=hour, minute=minute, timezone="UTC"),
                          id="digest", misfire_grace_time=3600, **once)
        scheduler.start()
        self.scheduler = scheduler
        return scheduler

    async def stop(self) -> None:
        """Stop scheduling, cancel jobs in flight and wait for them to unwind."""
        self._stopping = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        running = [t for t in self._tasks if not t.done()]
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        self._judge_thread.shutdown(wait=True, cancel_futures=True)

    def _tracked(self, job: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a job so stop() can find and cancel it while it runs."""

        @functools.wraps(job)
        async def run(*args: Any) -> Any:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                return await job(*args)
            except asyncio.CancelledError:
                if self._stopping:
                    return None  # stop() cancelled it; nothing to report
                raise
            except Exception:
                self.metrics.errors.labels(stage=job.__name__).inc()
                log.exception("job %s failed", job.__name__)
                return None
            finally:
                self._tasks.discard(task)

        return run

    def _schedule_polls(self, video: Video, minors: bool) -> None:
        assert self.scheduler is not None
        seconds = self.settings.minors_poll_interval_s if minors else self.settings.other_poll_interval_s
        kinds = [Kind.COMMENT] + ([Kind.DANMAKU] if self.settings.danmaku else [])
        for kind in kinds:
            job_id = f"poll:{kind.value}:{video.id}"
            job = self.scheduler.get_job(job_id)
            if job is not None and getattr(job.trigger, "interval", None) is not None \
                    and job.trigger.interval.total_seconds() == seconds:
                continue
            # A few instances may overlap; the extra ones return at once (see poll).
            self.scheduler.add_job(self._tracked(self.poll), "interval", seconds=seconds, args=[video.id, kind],
                                   id=job_id,
                                   replace_existing=True, next_run_time=_now_dt(), max_instances=3,
                                   coalesce=True, misfire_grace_time=max(1, int(seconds * 4)))

    def _unschedule_polls(self, video_id: str) -> None:
        assert self.scheduler is not None
        for kind in Kind:
            job = self.scheduler.get_job(f"poll:{kind.value}:{video_id}")
            if job is not None:
                job.remove()

    # -- jobs -------------------------------------------------------------------

    async def discover(self) -> None:
        """List videos; decide which feature children; (un)schedule their polling."""
        try:
            listing = await self.client.videos()
        except ServiceError as exc:
            self.metrics.errors.labels(stage="discover").inc()
            log.warning("video discovery failed, will retry: %s", exc)
            return
        for bad in listing.malformed:
            if self.record.add_dead_letter(video_id="", kind="video", location=bad.where, reason=bad.reason,
                                           raw=bad.raw):
                self.metrics.dead_letters.labels(kind="video").inc()
                log.warning("dead letter from the video list at %s: %s", bad.where, bad.reason)
        listed_at = time.monotonic()
        for video in listing.videos:
            minors = bool(await self.in_judge_thread(self.judge.features_minors, video))
            watched = minors or self.settings.watch == "all"
            known = video.id in self.videos
            self.videos[video.id] = video
            self.minors[video.id] = minors
            self._last_listed[video.id] = listed_at
            self.record.upsert_video(video, minors=minors, watched=watched)
            if watched:
                if not known:
                    log.info("watching video %s “%s”%s", video.id, video.title,
                             " (features children)" if minors else "")
                self._schedule_polls(video, minors)
            elif known:
                self._unschedule_polls(video.id)
        grace = self.settings.unlisted_grace_s
        for video_id, seen in list(self._last_listed.items()):
            if listed_at - seen > grace:
                self.forget(video_id, f"missing from the video list for {listed_at - seen:.0f} s")

    def forget(self, video_id: str, why: str) -> None:
        """Stop polling a video and drop what is kept about it in memory."""
        if video_id not in self.videos:
            return
        if self.scheduler is not None:
            self._unschedule_polls(video_id)
        video = self.videos.pop(video_id)
        minors = self.minors.pop(video_id, False)
        self._last_listed.pop(video_id, None)
        self.record.upsert_video(video, minors=minors, watched=False)
        log.info("no longer watching video %s “%s”: %s", video_id, video.title, why)

    async def poll(self, video_id: str, kind: Kind) -> int:
        """Read every new page of one stream; returns how many items were handled."""
        stream = (video_id, kind)
        if stream in self._polling:
            return 0
        self._polling.add(stream)
        handled = 0
        try:
            while True:
                cursor = self.record.cursor(video_id, kind)
                async with self._polls:
                    try:
                        page = await self._fetch(video_id, kind, cursor)
                    except ServiceError as exc:
                        if exc.status == 404:  # the video was deleted
                            self.forget(video_id, f"its {kind.value} stream answers 404")
                            return handled
                        self.metrics.errors.labels(stage="poll").inc()
                        log.warning("polling %s of %s failed, will retry: %s", kind.value, video_id, exc)
                        return handled
                handled += await self.handle_page(video_id, kind, page, cursor)
                more = page.next_cursor not in (None, cursor) and len(page.items) + len(page.malformed) >= \
                    self.settings.page_size
                if not more:
                    return handled
        finally:
            self._polling.discard(stream)

    async def _fetch(self, video_id: str, kind: Kind, cursor: str | None) -> Page:
        size = self.settings.page_size
        if kind is Kind.DANMAKU:
            return await self.client.danmaku_after(video_id, cursor, limit=size)
        return await self.client.comments_after(video_id, cursor, limit=size)

    async def handle_page(self, video_id: str, kind: Kind, page: Page, cursor: str | None) -> int:
        """Judge, record, act on one page, then move the cursor past it."""
        for bad in page.malformed:
            if self.record.add_dead_letter(video_id=video_id, kind=kind.value, location=bad.where,
                                           reason=bad.reason, raw=bad.raw):
                self.metrics.dead_letters.labels(kind=kind.value).inc()
                log.warning("dead letter from %s of %s at %s: %s", kind.value, video_id, bad.where, bad.reason)
        comments = self._with_video(video_id, page.items)
        if comments:
            await self.judge_and_act(comments)
        if page.next_cursor is not None and page.next_cursor != cursor:
            newest = max((c.created_at or 0.0 for c in comments), default=None) or None
            self.record.advance_cursor(video_id, kind, page.next_cursor, last_item_at=newest)
        return len(comments)

    def _with_video(self, video_id: str, items: Sequence[Comment]) -> list[Comment]:
        """Attach the full video (with our minors decision) so the judge applies the right policy."""
        video = self.videos.get(video_id, Video(id=video_id))
        minors = self.minors.get(video_id)
        if minors is not None:
            video = dataclasses.replace(video, featuring_minors=minors)
        return [dataclasses.replace(c, video=video) for c in items]

    async def judge_and_act(self, comments: Sequence[Comment]) -> list[Verdict]:
        started = time.perf_counter()
        verdicts = await self.in_judge_thread(self.judge.judge_many, list(comments))
        self.metrics.judge_seconds.observe(time.perf_counter() - started)
        dry_run = self.settings.dry_run
        hide_keys: list[str] = []
        to_alert: list[tuple[Comment, Verdict, str]] = []
        for comment, verdict in zip(comments, verdicts, strict=True):
            self.metrics.comments_seen.labels(kind=comment.kind.value).inc()
            self.metrics.verdicts.labels(action=verdict.action.value).inc()
            if verdict.action is Action.HIDE and not dry_run:
                hide_keys.append(comment_key(comment.kind, comment.id))
            elif verdict.action is Action.HIDE:
                to_alert.append((comment, verdict, "would hide (dry run)"))
            elif verdict.action is Action.ALERT:
                to_alert.append((comment, verdict, "needs review"))
        intents = self.record.record_page(comments, verdicts, lexicon_version=str(self.judge.lexicon_version),
                                          hide_keys=hide_keys)
        by_key = {comment_key(c.kind, c.id): (c, v) for c, v in zip(comments, verdicts, strict=True)}
        outcomes = await asyncio.gather(*(self.hider.execute(intent) for intent in intents))
        for intent, outcome in zip(intents, outcomes, strict=True):
            comment, verdict = by_key[intent.key]
            if outcome is HideOutcome.DONE and comment.created_at:
                self.metrics.post_to_action_seconds.observe(max(0.0, time.time() - comment.created_at))
            log.info("HIDE %s %s on %s by %s [%s]: %s\n    %s", outcome, intent.key, comment.video.id,
                     comment.author_id or "?", ", ".join(verdict.categories), _short(comment.text),
                     "\n    ".join(describe_evidence(verdict)) or "(no evidence)")
            if outcome is HideOutcome.FAILED:  # the service refused for good: a human must look
                to_alert.append((comment, verdict, "hide refused by the service"))
        for comment, verdict, why in to_alert:
            outcome = await self.alerter.alert(comment, verdict, why=why)
            self.metrics.alerts.labels(outcome=outcome).inc()
        return verdicts

    async def retry_pending(self) -> int:
        """Finish hide intents left by a crash or an unreachable service."""
        pending = self.record.pending_intents()
        outcomes = await asyncio.gather(*(self.hider.execute(intent) for intent in pending))
        if pending:
            settled = sum(1 for o in outcomes if o in (HideOutcome.DONE, HideOutcome.FAILED))
            # Every few seconds while the service is down: say so only when
            # something actually settled.
            log.log(logging.INFO if settled else logging.DEBUG,
                    "pending hides: %d tried, %d settled", len(pending), settled)
        for intent, outcome in zip(pending, outcomes, strict=True):
            # Refused for good (or given up) here as on a fresh page: a human must look.
            judged = self.record.judged(intent.key) if outcome is HideOutcome.FAILED else None
            if judged is not None:
                comment, verdict = judged
                (comment,) = self._with_video(comment.video.id, [comment])
                alerted = await self.alerter.alert(comment, verdict, why="hide refused by the service")
                self.metrics.alerts.labels(outcome=alerted).inc()
        return sum(1 for o in outcomes if o is HideOutcome.DONE)

    async def reload_lexicon(self) -> bool:
        try:
            reloaded = bool(await self.in_judge_thread(self.judge.reload_if_changed))
        except Exception as exc:  # noqa: BLE001 — a broken edit must not stop the daemon; the old lexicon stays
            self.metrics.errors.labels(stage="lexicon_reload").inc()
            log.error("lexicon reload failed, keeping the previous lexicon: %s", exc)
            return False
        if reloaded:
            log.info("lexicon reloaded: version %s", self.judge.lexicon_version)
        return reloaded

    async def digest(self) -> None:
        await self.alerter.digest(hours=24.0)



def _short(text: str, limit: int = 120) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


def _now_dt() -> datetime:
    return datetime.now(UTC)
