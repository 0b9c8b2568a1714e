"""``commentwatch lexicon lint`` and ``commentwatch lexicon impact``: for lexicon editors.

lint shows every problem as ``file:line: problem``; impact runs a draft
lexicon folder and the one in use over the same comments and lists every
verdict the edit would change, so an editor sees the effect before saving.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from commentwatch.config import DEFAULT_DATA_DIR, load_config
from commentwatch.detect.lexicon import LexiconError, parse_lexicon
from commentwatch.scan import parse_line
from commentwatch.values import Action


def run_lint(args: argparse.Namespace) -> int:
    directory = Path(args.directory) if args.directory else load_config(args.config).detect.lexicon_dir
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


def _load_comments(paths: list[Path]):
    comments, labels = [], {}
    for path in paths:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                parsed = parse_line(number, raw)
                if parsed.comment is None:
                    print(f"{path}:{number}: skipped: {parsed.error}", file=sys.stderr)
                    continue
                comments.append(parsed.comment)
                try:
                    labels[parsed.comment.id] = json.loads(raw).get("label")
                except (ValueError, AttributeError):
                    pass
    return comments, labels


def run_impact(args: argparse.Namespace) -> int:
    from commentwatch.judge import Judge

    config = load_config(args.config)
    config = replace(config, detect=replace(config.detect, semantic=not args.no_semantic and config.detect.semantic))
    paths = [Path(p) for p in args.files] or sorted((DEFAULT_DATA_DIR / "labelled").glob("*.jsonl"))
    try:
        comments, labels = _load_comments(paths)
    except OSError as exc:
        print(f"commentwatch lexicon impact: cannot read {exc.filename}: {exc.strerror}", file=sys.stderr)
        return 2
    try:
        before = Judge.from_config(config)
        after = Judge.from_config(replace(config, detect=replace(config.detect, lexicon_dir=Path(args.draft))))
    except LexiconError as exc:
        print(f"the draft lexicon has problems, nothing compared:\n{exc}", file=sys.stderr)
        return 1
    old = before.judge_many(comments)
    new = after.judge_many(comments)
    changed = 0
    better = worse = 0
    for comment, a, b in zip(comments, old, new, strict=True):
        if a.action == b.action:
            continue
        changed += 1
        label = labels.get(comment.id)
        verdict_note = ""
        if label in (0, 1):
            was_right = (a.action != Action.ALLOW) == bool(label)
            is_right = (b.action != Action.ALLOW) == bool(label)
            if is_right and not was_right:
                better += 1
                verdict_note = "  (fixed)"
            elif was_right and not is_right:
                worse += 1
                verdict_note = "  (broken)"
        terms = ", ".join(sorted({e.term for e in b.evidence} - {e.term for e in a.evidence})) or "-"
        print(f"{comment.id}: {a.action.value} → {b.action.value}{verdict_note}  new evidence: {terms}\n    {comment.text[:120]}")
    print(
        f"{changed} of {len(comments)} verdicts change; on labelled comments {better} fixed, {worse} broken "
        f"(lexicon {before.lexicon_version} → {after.lexicon_version})"
    )
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("lexicon", help="lint a lexicon folder or preview the impact of an edit")
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
