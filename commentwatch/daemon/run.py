"""Build a worker from a Config and run it until told to stop.

Secrets are read first, before anything slow happens, so a missing token
fails at start with the config key that names it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from typing import Any

import aiohttp

from commentwatch.act.alerter import Alerter
from commentwatch.act.hide import Hider
from commentwatch.act.ratelimit import AlertGate, RedisAlertGate, SqliteAlertGate
from commentwatch.act.sinks import EmailSink, Sink, WebhookSink
from commentwatch.config import AlertsConfig, Config
from commentwatch.daemon.metrics import Metrics
from commentwatch.daemon.secrets import Secrets, read_secrets
from commentwatch.daemon.worker import Judging, PeriodicJob, Worker
from commentwatch.record.store import Record
from commentwatch.sources.client import CommentServiceClient

log = logging.getLogger("commentwatch.daemon")


def build_sinks(settings: AlertsConfig, secrets: Secrets, session: aiohttp.ClientSession) -> list[Sink]:
    """The ``[alerts]`` section's webhooks and mailboxes, with the secrets read for them."""
    sinks: list[Sink] = []
    for i, (hook, url) in enumerate(zip(settings.webhooks, secrets.webhook_urls, strict=True)):
        sinks.append(WebhookSink(hook.name or f"{hook.format}-{i}", url, hook.format, session=session,
                                 timeout_s=settings.timeout_s))
    for i, (mail, password) in enumerate(zip(settings.email, secrets.email_passwords, strict=True)):
        sinks.append(EmailSink(f"email-{i}", host=mail.host, port=mail.port, sender=mail.sender, to=mail.to,
                               username=mail.username, password=password, security=mail.security,
                               timeout_s=mail.timeout_s))
    return sinks


def quiet_scheduler(verbose: bool = False) -> None:
    """apscheduler logs every job run at INFO; with polls every second that drowns the log."""
    if not verbose:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def run_until_signal(config: Config, *, duration: float = 0.0,
                           on_ready: Callable[[Worker], None] | None = None, **kwargs: Any) -> None:
    """``run_worker`` until SIGTERM or SIGINT, or for ``duration`` seconds of watching when above 0.

    The seconds count from when the worker is ready: loading the models
    (several seconds on a busy machine) is not watching.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def ready(worker: Worker) -> None:
        if duration > 0:
            loop.call_later(duration, stop.set)
        if on_ready is not None:
            on_ready(worker)

    await run_worker(config, stop=stop, on_ready=ready, **kwargs)


def run_daemon(config: Config, *, verbose: bool = False) -> None:
    """The daemon as ``commentwatch run`` starts it: secrets checked before any model loads."""
    read_secrets(config)
    quiet_scheduler(verbose)
    asyncio.run(run_until_signal(config))


def load_judge(config: Config) -> Judging:
    # Deferred: spaCy and the embedding model take seconds to import, and
    # ``status`` and the tests import this module without judging anything.
    from commentwatch.judge import Judge

    return Judge.from_config(config)


def housekeeping(config: Config, record: Record, alerter: Alerter) -> tuple[PeriodicJob, ...]:
    """The record's and the alerter's periodic jobs, each at the interval of its own section."""
    retention = config.record.retention_days

    async def prune() -> None:
        removed = record.prune(retention)
        if any(removed.values()):
            log.info("pruned records older than %d days: %s", retention, removed)

    return (
        PeriodicJob("alert_summaries", alerter.flush_summaries, config.alerts.summary_interval_s),
        PeriodicJob("prune", prune, config.record.prune_interval_s, at_start=True),
    )


async def run_worker(
    config: Config,
    *,
    stop: asyncio.Event,
    judge: Judging | None = None,
    on_ready: Callable[[Worker], None] | None = None,
) -> None:
    """Run the daemon on the current loop until ``stop`` is set.

    The one place that sees the whole config: each component is handed its own section.
    """
    secrets = read_secrets(config)
    record = Record(config.record.path)
    metrics = Metrics()
    gate: AlertGate | None = None
    try:
        if config.metrics.port:
            metrics.serve(config.metrics.host, config.metrics.port)
            log.info("metrics on http://%s:%d/metrics", config.metrics.host, config.metrics.port)
        if judge is None:
            log.info("loading the judge (lexicons, models)…")
            judge = await asyncio.to_thread(load_judge, config)
        gate = RedisAlertGate(secrets.redis_url) if secrets.redis_url else SqliteAlertGate(record)
        connector = aiohttp.TCPConnector(limit=max(16, config.worker.concurrency * 2))
        async with aiohttp.ClientSession(connector=connector) as session:
            client = CommentServiceClient.from_config(config.service, secrets.service_token, session=session)
            alerter = Alerter(sinks=build_sinks(config.alerts, secrets, session), gate=gate, record=record,
                              window_s=config.alerts.window_s)
            hider = Hider(client, record, reason=config.worker.hide_reason, metrics=metrics)
            worker = Worker(config.worker, judge=judge, client=client, record=record, hider=hider,
                            alerter=alerter, metrics=metrics, jobs=housekeeping(config, record, alerter))
            worker.start()
            log.info("worker started: service %s, record %s, %s%s", config.service.base_url, config.record.path,
                     "watching videos featuring children" if config.worker.watch == "minors" else "watching all videos",
                     ", DRY RUN (alerts instead of hides)" if config.worker.dry_run else "")
            if on_ready is not None:
                on_ready(worker)
            try:
                await stop.wait()
            finally:
                await worker.stop()
                log.info("worker stopped")
    finally:
        if gate is not None:
            await gate.close()
        await asyncio.to_thread(metrics.close)
        record.close()


async def wait_until_ready(ready: asyncio.Event, task: asyncio.Task[None], *, timeout: float) -> None:
    """Wait for ``on_ready``, or fail at once with the error that ended ``run_worker``'s task."""
    waiting = asyncio.ensure_future(ready.wait())
    done, _ = await asyncio.wait({waiting, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    if task in done:
        task.result()
        raise RuntimeError("the worker stopped before it was ready")
    if not done:
        raise TimeoutError(f"the worker was not ready within {timeout:g} s")
