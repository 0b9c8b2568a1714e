"""``commentwatch bench``: throughput of the scan path, measured the way it runs.

``bench scan`` (the default) times, on one core and the same corpus:

- the bare floor: one pyahocorasick pass of the lexicon's terms over the raw
  texts — what any Aho-Corasick matcher costs at the least;
- the lexicon stage: normalisation (all streams) + lexicon + contact
  detectors, no segmentation;
- the whole scan path: ``Judge.judge_many`` in batches, exactly as the
  scan command and the daemon call it (semantic stage as configured);

and prints comments/s for each, the lexicon stage's cost as a multiple of
the floor, and peak memory. The corpus is the COLD training split when it
sits beside the checkout, else comments generated from the project's own
labelled data.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import ahocorasick

from commentwatch.config import DEFAULT_DATA_DIR, PACKAGE_DIR, load_config
from commentwatch.values import Comment

#: Where the COLD splits sit when the checkout has the shared data beside it.
COLD_DIR = PACKAGE_DIR.parent.parent / "shared" / "data" / "cold"


def read_cold(path: Path, limit: int | None = None) -> list[tuple[str, int]]:
    """(text, label) rows of a COLD CSV (UTF-8 with BOM; columns TEXT, label)."""
    rows = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"TEXT", "label"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: not a COLD CSV: missing column(s) {', '.join(sorted(missing))}")
        for number, row in enumerate(reader, start=2):
            try:
                rows.append((row["TEXT"], int(row["label"])))
            except (TypeError, ValueError):
                raise ValueError(f"{path}:{number}: label must be 0 or 1, got {row['label']!r}") from None
            if limit and len(rows) >= limit:
                break
    return rows


def generated_corpus(size: int, seed: int = 7) -> list[str]:
    """Comments recombined from the project's labelled data (no COLD needed)."""
    texts = []
    for path in sorted((DEFAULT_DATA_DIR / "labelled").glob("*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    if not texts:
        raise RuntimeError("no corpus: neither the COLD data nor the labelled data is present")
    rng = random.Random(seed)
    return [" ".join(rng.sample(texts, k=rng.randint(1, 3))) for _ in range(size)]


def load_corpus(path: str | None, size: int) -> tuple[str, list[str]]:
    if path:
        p = Path(path)
        if p.suffix == ".csv":
            return str(p), [t for t, _ in read_cold(p, size)]
        with open(p, encoding="utf-8") as handle:
            return str(p), [json.loads(line)["text"] for line in handle if line.strip()][:size]
    cold = COLD_DIR / "train.csv"
    if cold.exists():
        return str(cold), [t for t, _ in read_cold(cold, size)]
    return "generated from the labelled data", generated_corpus(size)


def _rate(count: int, work: Callable[[], None], repeat: int) -> float:
    """Best of ``repeat`` runs, in items per second."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return count / best


def _pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    return "not pinned (no sched_setaffinity)"


def bench_scan(args: argparse.Namespace) -> dict:
    from commentwatch.detect.contact import ContactDetector
    from commentwatch.detect.matcher import LexiconMatcher
    from commentwatch.judge import Judge

    pinned = _pin_to_one_core() if not args.all_cores else "all cores"
    if not args.all_cores:
        # One core means one thread for every numeric library too: BLAS
        # threads fighting over a pinned core would only measure contention.
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(1)
        threadpool_limits(1)
    config = load_config(args.config)
    if args.no_semantic:
        config = replace(config, detect=replace(config.detect, semantic=False))
    source, texts = load_corpus(args.corpus, args.size)
    judge = Judge.from_config(config)
    lexicon = judge.lexicon
    normalizer = judge.normalizer
    matcher = LexiconMatcher(lexicon, normalizer)
    contacts = ContactDetector()

    floor = ahocorasick.Automaton()
    for entry in lexicon.entries:
        floor.add_word(entry.term, entry.term)
    floor.make_automaton()

    def floor_pass() -> None:
        for text in texts:
            for _ in floor.iter(text):
                pass

    def lexicon_pass() -> None:
        for text in texts:
            normalized = normalizer.normalize(text)
            matcher.find(normalized, others=contacts.find(normalized))  # as the pipeline runs them

    comments = [Comment(id=str(i), text=t) for i, t in enumerate(texts)]

    def scan_pass() -> None:
        for start in range(0, len(comments), 256):
            judge.judge_many(comments[start : start + 256])

    lexicon_pass()  # warm the per-character tables
    floor_rate = _rate(len(texts), floor_pass, args.repeat)
    lexicon_rate = _rate(len(texts), lexicon_pass, args.repeat)
    scan_rate = _rate(len(texts), scan_pass, max(1, args.repeat - 1))
    return {
        "corpus": source,
        "comments": len(texts),
        "mean_chars": round(sum(map(len, texts)) / max(len(texts), 1), 1),
        "cores": pinned,
        "semantic": config.detect.semantic,
        "lexicon_entries": len(lexicon.entries),
        "floor_per_s": round(floor_rate),
        "lexicon_stage_per_s": round(lexicon_rate),
        "lexicon_stage_cost_vs_floor": round(floor_rate / lexicon_rate, 2),
        "scan_path_per_s": round(scan_rate),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_bench_scan(args: argparse.Namespace) -> int:
    result = bench_scan(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"corpus: {result['corpus']} ({result['comments']} comments, mean {result['mean_chars']} chars)")
    print(f"cores: {result['cores']}; semantic stage: {'on' if result['semantic'] else 'off'}; "
          f"{result['lexicon_entries']} lexicon entries")
    print(f"  bare pyahocorasick floor   {result['floor_per_s']:>10,} comments/s")
    print(f"  lexicon stage              {result['lexicon_stage_per_s']:>10,} comments/s  "
          f"({result['lexicon_stage_cost_vs_floor']}x the floor's cost)")
    print(f"  whole scan path            {result['scan_path_per_s']:>10,} comments/s")
    print(f"  peak memory                {result['peak_rss_mib']:>10} MiB")
    return 0


def add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", help="COLD-format CSV or JSON Lines with a text field (default: COLD train if present)")
    parser.add_argument("--size", type=int, default=20000, help="comments to use (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the best is reported")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    parser.add_argument("--config", metavar="FILE")
    parser.add_argument("--no-semantic", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "bench", help="measure throughput (scan path; 'embed' for a model's batch sweep; 'live' against the reference service)")
    add_scan_arguments(parser)
    parser.set_defaults(handler=run_bench_scan)
    suites = parser.add_subparsers(dest="suite", metavar="SUITE")
    scan = suites.add_parser("scan", help="scan-path throughput (the default)", description=__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    add_scan_arguments(scan)
    scan.set_defaults(handler=run_bench_scan)
    from commentwatch.measure.bench_embed import add_embed_parser

    add_embed_parser(suites)
    try:
        from commentwatch.measure.bench_live import add_live_parser
    except ImportError:
        return
    add_live_parser(suites)
