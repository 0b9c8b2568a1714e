"""``commentwatch run``, ``demo`` and ``status``: the daemon from the command line."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from pathlib import Path

from commentwatch.cli.options import config_from_args


def configure_run(parser: argparse.ArgumentParser) -> None:
    parser.description = "Watch the comment service named in the config until stopped."
    parser.add_argument("--config", required=True, type=Path, help="the TOML config (see deploy/commentwatch.toml)")
    parser.add_argument("--dry-run", action="store_true", help="alert instead of hiding, whatever the config says")
    parser.set_defaults(handler=run_run)


def run_run(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.daemon.run import run_daemon

    config = config_from_args(args)
    if args.dry_run:
        config = dataclasses.replace(config, worker=dataclasses.replace(config.worker, dry_run=True))
    run_daemon(config, verbose=args.verbose)
    return 0


def configure_demo(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Everything on localhost in one command: the reference comment service posting a mix "
                          "of benign and offending comments, and the worker hiding and flagging them live.")
    parser.add_argument("--duration", type=float, default=0.0, help="stop after S seconds (default: until Ctrl-C)")
    parser.add_argument("--rate", type=float, default=5.0, help="comments and danmaku posted per second")
    parser.add_argument("--seed", type=int, default=0, help="traffic seed (same seed, same comments)")
    parser.add_argument("--config", type=Path, help="take detect, policy and alerts settings from this config")
    parser.add_argument("--record", type=Path, help="keep the record here (default: a temporary file)")
    parser.add_argument("--dry-run", action="store_true", help="alert instead of hiding")
    parser.set_defaults(handler=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.daemon.demo import DemoOptions, run_demo

    options = DemoOptions(duration=args.duration, rate=args.rate, seed=args.seed, record=args.record,
                          dry_run=args.dry_run, verbose=args.verbose)
    return asyncio.run(run_demo(config_from_args(args), options))


def configure_status(parser: argparse.ArgumentParser) -> None:
    parser.description = "Counts by action and category, last hides, dead letters, cursor lag."
    parser.add_argument("--config", type=Path, help="the daemon's config (for record.path)")
    parser.add_argument("--record", type=Path, help="the record file (overrides the config)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(handler=run_status)


def run_status(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.record.status import format_status, status_data
    from commentwatch.record.store import Record

    path = args.record or config_from_args(args).record.path
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
