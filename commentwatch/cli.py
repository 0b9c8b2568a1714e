"""The ``commentwatch`` command line.

Each subcommand lives beside the stage it drives and exposes
``register(subparsers)``; this module only lists them, so adding a command
never means editing another command's code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from commentwatch.config import ConfigError

#: Modules that each add one or more subcommands through ``register``.
COMMAND_MODULES: tuple[str, ...] = (
    "commentwatch.scan",
    "commentwatch.lexicon_tools",
    "commentwatch.measure.bench",
    "commentwatch.measure.evaluate",
    "commentwatch.daemon_command",
    "commentwatch.train_command",
    "commentwatch.reference.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="commentwatch",
        description="Watch comments and danmaku on children's videos; hide or flag harmful ones.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # jieba announces its dictionary loading on every start, at a level it
    # sets itself when imported.
    import jieba

    jieba.setLogLevel(logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except ConfigError as exc:
        print(f"commentwatch: config error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
