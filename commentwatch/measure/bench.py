"""Scan-path throughput, measured the way the scan path runs.

Three figures on the same corpus, one core unless asked: the bare
pyahocorasick floor (the least any Aho-Corasick matcher costs), the lexicon
stage (normalisation, lexicon and contact detectors) and the whole path
(``Judge.judge_many`` in batches, as scan and the daemon call it). The
lexicon stage is also given as a multiple of the floor, since machines
differ and the multiple does not. ``commentwatch bench scan --help`` says
the same for users.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

import ahocorasick

from commentwatch.config import Config
from commentwatch.detect.contact import ContactDetector
from commentwatch.detect.matcher import LexiconMatcher
from commentwatch.judge import Judge
from commentwatch.training.corpus import load_corpus
from commentwatch.values import Comment


@dataclass(frozen=True)
class ScanBenchOptions:
    #: COLD-format CSV or JSON Lines with a text field; ``None``: COLD train if present.
    corpus: str | None = None
    size: int = 20000
    #: Runs per stage; the best is reported.
    repeat: int = 3
    #: Use every core instead of pinning to one.
    all_cores: bool = False


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


def bench_scan(config: Config, options: ScanBenchOptions) -> dict:
    """Comments/s of the floor, the lexicon stage and the whole scan path, on one core unless asked."""
    pinned = _pin_to_one_core() if not options.all_cores else "all cores"
    if not options.all_cores:
        # One core means one thread for every numeric library too: BLAS
        # threads fighting over a pinned core would only measure contention.
        import torch
        from threadpoolctl import threadpool_limits

        torch.set_num_threads(1)
        threadpool_limits(1)
    source, texts = load_corpus(options.corpus, options.size)
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
    floor_rate = _rate(len(texts), floor_pass, options.repeat)
    lexicon_rate = _rate(len(texts), lexicon_pass, options.repeat)
    scan_rate = _rate(len(texts), scan_pass, max(1, options.repeat - 1))
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


def format_scan(result: dict) -> str:
    """The figures as the table ``commentwatch bench`` prints."""
    return "\n".join([
        f"corpus: {result['corpus']} ({result['comments']} comments, mean {result['mean_chars']} chars)",
        (f"cores: {result['cores']}; semantic stage: {'on' if result['semantic'] else 'off'}; "
        f"{result['lexicon_entries']} lexicon entries"),
        f"  bare pyahocorasick floor   {result['floor_per_s']:>10,} comments/s",
        (f"  lexicon stage              {result['lexicon_stage_per_s']:>10,} comments/s  "
        f"({result['lexicon_stage_cost_vs_floor']}x the floor's cost)"),
        f"  whole scan path            {result['scan_path_per_s']:>10,} comments/s",
        f"  peak memory                {result['peak_rss_mib']:>10} MiB",
    ])
