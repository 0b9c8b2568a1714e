"""``commentwatch run``, ``demo`` and ``status``: the daemon from the command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from commentwatch.config import Config, RecordConfig, ServiceConfig, load_config

log = logging.getLogger("commentwatch.daemon")

#: The environment variable ``demo`` puts its throwaway service token in.
DEMO_TOKEN_ENV = "COMMENTWATCH_DEMO_TOKEN"


def register(subparsers: argparse._SubParsersAction) -> None:
    run = subparsers.add_parser("run", help="run the monitor daemon",
                                description="Watch the comment service named in the config until stopped.")
    run.add_argument("--config", required=True, type=Path, help="the TOML config (see deploy/commentwatch.toml)")
    run.add_argument("--dry-run", action="store_true", help="alert instead of hiding, whatever the config says")
    run.set_defaults(handler=run_command)

    demo = subparsers.add_parser(
        "demo", help="start a reference service with traffic and a worker on localhost, and show what happens",
        description="Everything on localhost in one command: the reference comment service posting a mix "
                    "of benign and offending comments, and the worker hiding and flagging them live.",
    )
    demo.add_argument("--duration", type=float, default=0.0, help="stop after S seconds (default: until Ctrl-C)")
    demo.add_argument("--rate", type=float, default=5.0, help="comments and danmaku posted per second")
    demo.add_argument("--seed", type=int, default=0, help="traffic seed (same seed, same comments)")
    demo.add_argument("--config", type=Path, help="take detect, policy and alerts settings from this config")
    demo.add_argument("--record", type=Path, help="keep the record here (default: a temporary file)")
    demo.add_argument("--dry-run", action="store_true", help="alert instead of hiding")
    demo.set_defaults(handler=demo_command)

    status = subparsers.add_parser("status", help="summarise the daemon's record",
                                   description="Counts by action and category, last hides, dead letters, cursor lag.")
    status.add_argument("--config", type=Path, help="the daemon's config (for record.path)")
    status.add_argument("--record", type=Path, help="the record file (overrides the config)")
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.set_defaults(handler=status_command)


def quiet_scheduler(verbose: bool = False) -> None:
    """apscheduler logs every job run at INFO; with polls every second that drowns the log."""
    if not verbose:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def _run_until_signal(config: Config, *, duration: float = 0.0, **kwargs: Any) -> None:
    from commentwatch.daemon.run import run_worker

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if duration > 0:
        loop.call_later(duration, stop.set)
    await run_worker(config, stop=stop, **kwargs)


def run_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.dry_run:
        config = dataclasses.replace(config, worker=dataclasses.replace(config.worker, dry_run=True))
    from commentwatch.daemon.secrets import read_secrets

    read_secrets(config)  # fail fast, before loading models
    quiet_scheduler(args.verbose)
    asyncio.run(_run_until_signal(config))
    return 0


def demo_config(base: Config, *, url: str, record_path: Path, dry_run: bool) -> Config:
    """The user's detect/policy/alerts settings, pointed at the local service, polling briskly."""
    return dataclasses.replace(
        base,
        service=ServiceConfig(base_url=url, token_env=DEMO_TOKEN_ENV, timeout_s=5.0),
        worker=dataclasses.replace(base.worker, minors_poll_interval_s=0.5, other_poll_interval_s=2.0,
                                   discover_interval_s=10.0, dry_run=dry_run or base.worker.dry_run),
        record=RecordConfig(path=record_path),
    )


def demo_command(args: argparse.Namespace) -> int:
    base = load_config(args.config) if args.config else Config()
    quiet_scheduler(args.verbose)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    return asyncio.run(_demo(args, base))


async def _demo(args: argparse.Namespace, base: Config) -> int:
    import aiohttp

    from commentwatch.daemon.reference_process import ReferenceProcess

    with tempfile.TemporaryDirectory(prefix="commentwatch-demo-") as tmp:
        record_path = args.record or Path(tmp) / "demo.db"
        async with ReferenceProcess(rate=args.rate, seed=args.seed, log_path=str(Path(tmp) / "service.log")) as ref:
            print(f"reference comment service on {ref.url}, posting {args.rate:g} comments/s "
                  f"(seed {args.seed}); record in {record_path}", flush=True)
            print("Ctrl-C stops." if not args.duration else f"Stopping after {args.duration:g} s.", flush=True)
            os.environ[DEMO_TOKEN_ENV] = ref.token
            config = demo_config(base, url=ref.url, record_path=record_path, dry_run=args.dry_run)
            started = time.time()
            await _run_until_signal(config, duration=args.duration)
            try:
                stats = await ref.admin_get("/admin/stats")
            except aiohttp.ClientError as exc:  # the service was stopped from outside
                stats = None
                print(f"\nthe reference service is gone ({exc}); no traffic figures", flush=True)
        if stats is not None:
            print(f"\nIn {time.time() - started:.0f} s the service posted {stats['comments']} comments and "
                  f"{stats['danmaku']} danmaku ({stats['offending']} generated as offending); "
                  f"{stats['hidden']} are hidden now ({stats['hidden_offending']} of them offending).")
        from commentwatch.record.store import Record

        record = Record(record_path)
        try:
            print(format_status(status_data(record)))
        finally:
            record.close()
    return 0


def status_data(record: Any, *, limit: int = 10) -> dict[str, Any]:
    now = time.time()
    return {
        "record": str(record.path),
        "schema_version": record.schema_version,
        "totals": record.counts(),
        "last_24h": record.counts(since=now - 86400),
        "last_hides": record.last_hides(limit),
        "dead_letters": record.last_dead_letters(limit),
        "cursors": [
            {**c, "idle_s": round(now - c["updated_at"], 1) if c["updated_at"] else None}
            for c in record.cursor_lag()
        ],
        "pending_hides": len(record.pending_intents()),
    }


def _pairs(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in mapping.items()) or "none"


def format_status(data: dict[str, Any]) -> str:
    t, d = data["totals"], data["last_24h"]
    lines = [
        f"record {data['record']} (schema v{data['schema_version']})",
        f"comments seen: {t['comments']} (last 24 h: {d['comments']}); videos watched: {t['videos_watched']}",
        f"verdicts: {_pairs(t['by_action'])}",
        f"categories: {_pairs(t['by_category'])}",
        f"hides: {_pairs(t['hides'])}; pending: {data['pending_hides']}",
        f"alerts: {_pairs(t['alerts'])}",
        f"dead letters: {t['dead_letters']}",
    ]
    if data["last_hides"]:
        lines.append("last hides:")
        for h in data["last_hides"]:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(h["done_at"])) if h["done_at"] else "pending"
            terms = ", ".join(f"{e['category']}:{e['term']}" for e in json.loads(h["evidence"] or "[]")[:4])
            text = (h["text"] or "").replace("\n", " ")
            lines.append(f"  {when} {h['key']} on {h['video_id']} [{h['state']}"
                         f"{', already hidden' if h['already'] else ''}] {text[:60]} ({terms})")
    if data["dead_letters"]:
        lines.append("dead letters:")
        for dl in data["dead_letters"]:
            lines.append(f"  {dl['kind']} of {dl['video_id']} at {dl['location']}: {dl['reason']}")
    if data["cursors"]:
        lines.append("cursors (stream: cursor, seconds since it last moved):")
        for c in data["cursors"]:
            lines.append(f"  {c['video_id']}/{c['kind']}: {c['cursor']}, {c['idle_s']} s")
    return "\n".join(lines)


def status_command(args: argparse.Namespace) -> int:
    from commentwatch.record.store import Record

    path = args.record or (load_config(args.config).record.path if args.config else Config().record.path)
    if not Path(path).exists():
        print(f"commentwatch: no record at {path} (has the daemon run with this config?)")
        return 1
    record = Record(path)
    try:
        data = status_data(record)
    finally:
        record.close()
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else format_status(data))
    return 0
