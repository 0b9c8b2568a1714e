"""``commentwatch scan``: the JSON Lines contract other tools build on.

Input, one object per line: ``{"id": str, "text": str, "video":
{"featuring_minors": bool, "title": str, "tags": [str]}}`` (``video`` and
its keys optional). Output: exactly one JSON line per input line, in order —
a verdict, or ``{"id", "line", "error"}`` naming what was wrong. A bad line
never stops the scan; only unreadable input does.
"""

from __future__ import annotations

import argparse
import sys

from commentwatch.cli.options import add_judge_arguments, config_from_args
from commentwatch.errors import InputError


def configure_scan(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("file", nargs="?", help="JSON Lines file (default: standard input)")
    parser.add_argument("--text", help="judge one text and print a readable verdict")
    parser.add_argument("--minors", action="store_true", help="with --text: the video features children")
    parser.add_argument("--title", help="with --text: the video's title")
    add_judge_arguments(parser)
    parser.set_defaults(handler=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.judge import Judge
    from commentwatch.scan import render_verdict, scan_stream
    from commentwatch.values import Comment, Video

    config = config_from_args(args)
    if args.text is not None:
        judge = Judge.from_config(config)
        video = Video(featuring_minors=True if args.minors else None, title=args.title or "")
        verdict = judge.judge(Comment(id="text", text=args.text, video=video))
        print(render_verdict(args.text, verdict, colour=sys.stdout.isatty()))
        return 0
    if args.file in (None, "-"):
        source = sys.stdin.buffer
    else:
        try:
            source = open(args.file, "rb")  # noqa: SIM115 (closed below, once the judge has loaded)
        except OSError as exc:
            raise InputError(f"cannot read {args.file}: {exc.strerror}") from None
    with source:
        counts = scan_stream(Judge.from_config(config), source, sys.stdout)
    if counts["errors"]:
        print(f"commentwatch scan: {counts['errors']} of {counts['lines']} lines had errors", file=sys.stderr)
    return 0
