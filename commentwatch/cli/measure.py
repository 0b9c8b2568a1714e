"""``commentwatch eval`` and ``commentwatch bench`` (scan, embed, live): thin over ``commentwatch.measure``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from commentwatch.cli.options import add_judge_arguments, config_from_args

EVAL_DESCRIPTION = """``commentwatch eval``: how good are the lexicons (and the model) on labelled data?

Every edit to a lexicon can make things better or worse; this command says
which. It judges labelled comments through the very ``Judge`` that
``commentwatch scan`` and the daemon use, and reports precision, recall and
F1 overall, per harm category, per evasion kind and per style, how many hard
negatives (label 0) were alerted or hidden, and every false positive and
false negative with the evidence behind it.

Two input formats, told apart by the file name:

- ``*.jsonl``: the scan input format plus ``"label": 0|1``, ``"category"``
  (a harm category, or ``"none"`` for label 0) and optionally ``"evasion"``
  and ``"style"`` (``comment`` or ``danmaku``);
- ``*.csv``: the COLD offensive-language format (columns ``TEXT`` and
  ``label``, UTF-8 with or without BOM), the general-abuse axis: accuracy and
  macro-F1 there.

A comment counts as flagged when the action is ``alert`` or ``hide``; the
hide-only figures are reported beside.
"""

BENCH_SCAN_DESCRIPTION = """``commentwatch bench``: throughput of the scan path, measured the way it runs.

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

BENCH_EMBED_DESCRIPTION = """``commentwatch bench embed``: embedding throughput of a model, batch sizes swept.

The semantic stage's cost is mostly its embedding model. This times any
model ``detect.model`` accepts (the default static model, a local folder, a
hub id where a hub is reachable) on any device, encoding the same corpus in
batches of each size asked for. On a GPU it is the figure an operator needs
before choosing a transformer model and a batch size; on a CPU it shows what
the static default saves.

Texts are encoded exactly as the embedder encodes free text (the static
model segments with jieba first), and each batch size is timed after one
warm-up batch, best of ``--repeat`` runs.
"""


# -- eval --------------------------------------------------------------------------
def configure_eval(parser: argparse.ArgumentParser) -> None:
    parser.description = EVAL_DESCRIPTION
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("files", nargs="+", metavar="FILE", help="labelled .jsonl or COLD-format .csv")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--show", type=int, default=50, metavar="N",
                        help="list at most N false positives and N false negatives (default 50)")
    parser.add_argument("--baseline-train", metavar="FILE",
                        help="train the baseline for labelled sets on FILE, or on a labelled folder's train.jsonl and "
                             "blind/ (default: the shipped folder, as the system's models)")
    parser.add_argument("--evasions", action="store_true",
                        help="also rewrite every caught positive and every benign comment by each mechanical "
                             "evasion kind and report what is still caught and what is newly flagged")
    parser.add_argument("--no-baseline", action="store_true",
                        help="do not train and report the char n-gram baseline beside the system")
    add_judge_arguments(parser)
    parser.set_defaults(handler=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.judge import Judge
    from commentwatch.measure.baseline import Baselines
    from commentwatch.measure.evaluate import evaluate_file, render
    from commentwatch.training.corpus import read_examples

    # Read every file first: a typo in the last file should not cost a model load.
    for path in args.files:
        read_examples(path)
    judge = Judge.from_config(config_from_args(args))
    baselines = None if args.no_baseline else Baselines(Path(args.baseline_train) if args.baseline_train else None)
    reports = [evaluate_file(judge, path, baselines, evasions=args.evasions) for path in args.files]
    if args.json:
        json.dump({"lexicon_version": judge.lexicon_version, "semantic": not args.no_semantic,
                   "files": reports}, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"lexicon version {judge.lexicon_version}, semantic stage {'off' if args.no_semantic else 'on'}")
        print("\n\n".join(render(r, show=args.show) for r in reports))
    return 0


# -- bench ---------------------------------------------------------------------------
def configure_bench(parser: argparse.ArgumentParser) -> None:
    _add_scan_arguments(parser)
    parser.set_defaults(handler=run_bench_scan)
    suites = parser.add_subparsers(dest="suite", metavar="SUITE")
    scan = suites.add_parser("scan", help="scan-path throughput (the default)", description=BENCH_SCAN_DESCRIPTION,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_scan_arguments(scan)
    scan.set_defaults(handler=run_bench_scan)
    _add_embed_parser(suites)
    _add_live_parser(suites)


def _add_scan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--corpus", help="COLD-format CSV or JSON Lines with a text field (default: COLD train if present)")
    parser.add_argument("--size", type=int, default=20000, help="comments to use (default 20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the best is reported")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    parser.add_argument("--config", metavar="FILE")
    parser.add_argument("--no-semantic", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")


def run_bench_scan(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.measure.bench import ScanBenchOptions, bench_scan, format_scan

    options = ScanBenchOptions(corpus=args.corpus, size=args.size, repeat=args.repeat, all_cores=args.all_cores)
    result = bench_scan(config_from_args(args), options)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_scan(result))
    return 0


def parse_batch_sizes(value: str) -> tuple[int, ...]:
    """``"1,8,32"`` → (1, 8, 32); the error names the option and the bad part."""
    sizes = []
    for part in value.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise argparse.ArgumentTypeError(
                f"--batch-sizes: expected positive whole numbers separated by commas, got {part!r} in {value!r}"
            )
        sizes.append(int(part))
    return tuple(sizes)


def _add_embed_parser(suites: argparse._SubParsersAction) -> None:
    embed = suites.add_parser(
        "embed", help="embedding throughput of a model on a device, batch sizes swept",
        description=BENCH_EMBED_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    embed.add_argument("--model", default="default",
                       help="what detect.model accepts: 'default', a local folder or a hub id (default: default)")
    embed.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")
    embed.add_argument("--batch-sizes", type=parse_batch_sizes, default=None,
                       help="comma-separated (default: 1,8,32,128,512)")
    embed.add_argument("--corpus", help="COLD-format CSV or JSON Lines with a text field (default: COLD train if present)")
    embed.add_argument("--size", type=int, default=4096, help="texts to encode per run (default 4096)")
    embed.add_argument("--repeat", type=int, default=2, help="runs per batch size; the best is reported")
    embed.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    embed.set_defaults(handler=run_bench_embed)


def run_bench_embed(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.measure.bench_embed import (
        DEFAULT_BATCH_SIZES,
        EmbedBenchOptions,
        bench_embed,
        format_embed,
    )

    options = EmbedBenchOptions(model=args.model, device=args.device,
                                batch_sizes=args.batch_sizes or DEFAULT_BATCH_SIZES,
                                corpus=args.corpus, size=args.size, repeat=args.repeat)
    result = bench_embed(options)
    print(json.dumps(result, ensure_ascii=False) if args.json else format_embed(result))
    return 0


def _add_live_parser(suites: argparse._SubParsersAction) -> None:
    live = suites.add_parser(
        "live", help="the daemon against the reference service under load: comments/s, post-to-hide latency",
        description="Start the reference service posting at --rate, run the worker, and measure sustained "
                    "comments/s handled and p50/p99 latency from post to verdict and to hide.",
    )
    live.add_argument("--rate", type=float, default=1000.0, help="comments+danmaku posted per second (default 1000)")
    live.add_argument("--duration", type=float, default=30.0, help="seconds of traffic (default 30)")
    live.add_argument("--videos", type=int, default=12, help="videos in the service's catalogue (default 12)")
    live.add_argument("--offending-share", type=float, default=0.05, help="share of offending items (default 0.05)")
    live.add_argument("--seed", type=int, default=0, help="traffic seed (default 0)")
    live.add_argument("--poll-interval", type=float, default=0.2,
                      help="seconds between polls of a stream (default 0.2)")
    live.add_argument("--page-size", type=int, default=500, help="items asked for per poll (default 500)")
    live.add_argument("--concurrency", type=int, default=16, help="HTTP calls in flight (default 16)")
    live.add_argument("--config", type=Path, help="take detect and policy settings from this config")
    live.add_argument("--no-semantic", action="store_true", help="lexicon and rules only (no embedding stage)")
    live.add_argument("--json", action="store_true", help="print the figures as JSON")
    live.add_argument("--dump", type=Path, help="write one JSON line per item (times, latencies) here")
    live.set_defaults(handler=run_bench_live)


def run_bench_live(args: argparse.Namespace) -> int:
    # The library is imported when the command runs, not when its --help is built (see cli/__init__.py).
    from commentwatch.measure.bench_live import (
        LiveBenchOptions,
        bench_live,
        format_result,
    )

    options = LiveBenchOptions(rate=args.rate, duration=args.duration, videos=args.videos,
                               offending_share=args.offending_share, seed=args.seed,
                               poll_interval=args.poll_interval, page_size=args.page_size,
                               concurrency=args.concurrency, dump=args.dump)
    result = bench_live(config_from_args(args), options, verbose=args.verbose)
    print(json.dumps(result, indent=2) if args.json else format_result(result))
    return 0
