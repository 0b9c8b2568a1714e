"""``commentwatch lexicon lint`` and ``commentwatch lexicon impact``: for lexicon editors.

lint shows every problem as ``file:line: problem``; impact runs a draft
lexicon folder and the one in use over the same comments and lists every
verdict the edit would change, so an editor sees the effect before saving.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from commentwatch import paths
from commentwatch.cli.options import config_from_args
from commentwatch.errors import LexiconError


def configure_lexicon(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lexicon_command", metavar="ACTION", required=True)
    lint = sub.add_parser("lint", help="report every bad entry as file:line: problem; exit 1 if any")
    lint.add_argument("directory", nargs="?", help="lexicon folder (default: the configured one)")
    lint.add_argument("--config", metavar="FILE")
    lint.set_defaults(handler=run_lint)
    impact = sub.add_parser("impact", help="list the verdicts a draft lexicon folder would change")
    impact.add_argument("draft", help="the edited copy of the lexicon folder")
    impact.add_argument("files", nargs="*", help="JSON Lines comments (default: the project's labelled data)")
    impact.add_argument("--config", metavar="FILE")
    impact.add_argument("--no-semantic", action="store_true")
    impact.set_defaults(handler=run_impact)


def run_lint(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.detect.lexicon import parse_lexicon

    directory = Path(args.directory) if args.directory else config_from_args(args).detect.lexicon_dir
    try:
        lexicon = parse_lexicon(directory)
    except LexiconError as exc:
        for problem in exc.problems:
            print(problem)
        return 1
    for problem in lexicon.problems:
        print(problem)
    if lexicon.problems:
        print(f"{len(lexicon.problems)} problem(s) in {directory}", file=sys.stderr)
        return 1
    print(
        f"{directory}: {len(lexicon.entries)} entries, {len(lexicon.rules)} rules, "
        f"{len(lexicon.allow)} allowed phrases, {len(lexicon.substitutions)} substitutions: ok "
        f"(version {lexicon.version})"
    )
    return 0


def run_impact(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.measure.impact import lexicon_impact
    from commentwatch.sources.jsonl import read_comments

    config = config_from_args(args)
    files = [Path(p) for p in args.files] or sorted(paths.LABELLED_DIR.glob("*.jsonl"))
    data = read_comments(files)
    try:
        impact = lexicon_impact(config, Path(args.draft), data.comments, data.labels)
    except LexiconError as exc:
        print(f"the draft lexicon has problems, nothing compared:\n{exc}", file=sys.stderr)
        return 1
    for change in impact.changes:
        note = f"  ({change.effect})" if change.effect else ""
        print(f"{change.comment.id}: {change.before.value} → {change.after.value}{note}  "
              f"new evidence: {', '.join(change.new_terms) or '-'}\n    {change.comment.text[:120]}")
    print(
        f"{len(impact.changes)} of {impact.compared} verdicts change; on labelled comments {impact.fixed} fixed, "
        f"{impact.broken} broken (lexicon {impact.before_version} → {impact.after_version})"
    )
    return 0
