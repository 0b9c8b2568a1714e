"""The ``commentwatch`` command line: one door, one room per command family.

Every command is a row of ``COMMANDS``: its name, its one-line help and the
module of this package that builds its arguments and runs it. A command
module only parses arguments and calls one library function with typed
options; the work lives in the stage packages.

Only the module of the command being run is imported (see ``build_parser``),
and a command module imports the library inside its handlers, so
``commentwatch --help`` and a command's ``--help`` cost argparse alone
however heavy the command is. These two are the package's deferred imports
by design. Adding a command: write ``cli/<family>.py`` with a
``configure_<name>(parser)`` that sets ``handler``, and add a row here.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from commentwatch.errors import CommentwatchError


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    #: The ``commentwatch.cli`` module with ``configure_<name>`` (dashes as underscores).
    module: str


#: Every command, in the order ``commentwatch --help`` lists them.
COMMANDS: tuple[Command, ...] = (
    Command("scan", "judge comments: JSON Lines in, one verdict line out per input line", "scan"),
    Command("lexicon", "lint a lexicon folder or preview the impact of an edit", "lexicon"),
    Command("bench", "measure throughput (scan path; 'embed' for a model's batch sweep; "
                     "'live' against the reference service)", "measure"),
    Command("eval", "precision/recall of the scan path on labelled comments (JSONL) or COLD (CSV)", "measure"),
    Command("run", "run the monitor daemon", "daemon"),
    Command("demo", "start a reference service with traffic and a worker on localhost, and show what happens",
            "daemon"),
    Command("status", "summarise the daemon's record", "daemon"),
    Command("train", "train the semantic classifier from labelled data", "train"),
    Command("model", "the default embedding model", "train"),
    Command("reference-service", "run the reference comment service (for demos, tests and benchmarks)",
            "reference"),
    Command("traffic", "change a running reference service's traffic rate or post generated items", "reference"),
    Command("reference-probe", "read a running reference service through the client and report items/s and lag",
            "reference"),
)


def _chosen(argv: Sequence[str]) -> str | None:
    """The command named in ``argv``: its first word that is not an option."""
    for word in argv:
        if not word.startswith("-"):
            return word
    return None


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The whole parser, with full arguments for the command ``argv`` names.

    The other commands get their name and help only: importing a command's
    module can pull in spaCy, torch or aiohttp, and a deferred import here is
    what keeps every ``--help`` quick. This is the one place the package
    imports its own modules late by design.
    """
    parser = argparse.ArgumentParser(
        prog="commentwatch",
        description="Watch comments and danmaku on children's videos; hide or flag harmful ones.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    chosen = _chosen(argv)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help)
        if command.name == chosen:
            module = importlib.import_module(f"commentwatch.cli.{command.module}")
            getattr(module, f"configure_{command.name.replace('-', '_')}")(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # jieba announces its dictionary loading on every start, at a level it
    # sets itself when imported (after --help has already exited).
    import jieba

    jieba.setLogLevel(logging.WARNING)
    try:
        return int(args.handler(args) or 0)
    except CommentwatchError as exc:
        print(f"commentwatch: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
