"""The demo: a reference service posting traffic, and the worker judging it live, on localhost.

Everything a newcomer needs to see the project work, in one command: the
worker hides and flags comments as they arrive, and when it stops the
service's ground truth and the record's summary say how it did.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
import time
from pathlib import Path

import aiohttp

from commentwatch.config import Config, RecordConfig, ServiceConfig
from commentwatch.daemon.run import quiet_scheduler, run_until_signal
from commentwatch.record.status import format_status, status_data
from commentwatch.record.store import Record
from commentwatch.reference.process import ReferenceProcess

#: The environment variable ``demo`` puts its throwaway service token in.
DEMO_TOKEN_ENV = "COMMENTWATCH_DEMO_TOKEN"


@dataclasses.dataclass(frozen=True)
class DemoOptions:
    #: Stop after this many seconds; 0 runs until Ctrl-C.
    duration: float = 0.0
    #: Comments and danmaku posted per second.
    rate: float = 5.0
    #: Traffic seed (same seed, same comments).
    seed: int = 0
    #: Keep the record here; ``None`` uses a temporary file.
    record: Path | None = None
    #: Alert instead of hiding.
    dry_run: bool = False
    verbose: bool = False


def demo_config(base: Config, *, url: str, record_path: Path, dry_run: bool) -> Config:
    """The user's detect/policy/alerts settings, pointed at the local service, polling briskly."""
    return dataclasses.replace(
        base,
        service=ServiceConfig(base_url=url, token_env=DEMO_TOKEN_ENV, timeout_s=5.0),
        worker=dataclasses.replace(base.worker, minors_poll_interval_s=0.5, other_poll_interval_s=2.0,
                                   discover_interval_s=10.0, dry_run=dry_run or base.worker.dry_run),
        record=RecordConfig(path=record_path),
    )


def show_times_only() -> None:
    """The demo's log lines are read by a person: a clock and the message."""
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))


async def run_demo(base: Config, options: DemoOptions) -> int:
    quiet_scheduler(options.verbose)
    show_times_only()
    with tempfile.TemporaryDirectory(prefix="commentwatch-demo-") as tmp:
        record_path = options.record or Path(tmp) / "demo.db"
        async with ReferenceProcess(rate=options.rate, seed=options.seed,
                                    log_path=str(Path(tmp) / "service.log")) as ref:
            print(f"reference comment service on {ref.url}, posting {options.rate:g} comments/s "
                  f"(seed {options.seed}); record in {record_path}", flush=True)
            print("Ctrl-C stops." if not options.duration else f"Stopping after {options.duration:g} s.", flush=True)
            os.environ[DEMO_TOKEN_ENV] = ref.token
            config = demo_config(base, url=ref.url, record_path=record_path, dry_run=options.dry_run)
            started = time.time()
            await run_until_signal(config, duration=options.duration)
            try:
                stats = await ref.admin_get("/admin/stats")
            except aiohttp.ClientError as exc:  # the service was stopped from outside
                stats = None
                print(f"\nthe reference service is gone ({exc}); no traffic figures", flush=True)
        if stats is not None:
            print(f"\nIn {time.time() - started:.0f} s the service posted {stats['comments']} comments and "
                  f"{stats['danmaku']} danmaku ({stats['offending']} generated as offending); "
                  f"{stats['hidden']} are hidden now ({stats['hidden_offending']} of them offending).")
        record = Record(record_path)
        try:
            print(format_status(status_data(record)))
        finally:
            record.close()
    return 0
