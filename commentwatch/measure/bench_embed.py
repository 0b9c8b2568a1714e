"""``commentwatch bench embed``: embedding throughput of a model, batch sizes swept.

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

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Sequence

DEFAULT_BATCH_SIZES = (1, 8, 32, 128, 512)


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


def _encode_all(embedder, texts: Sequence[str], batch_size: int) -> None:
    if hasattr(embedder, "batch_size"):
        embedder.batch_size = batch_size  # model.encode batches inside one call
    for start in range(0, len(texts), batch_size):
        embedder.encode(texts[start : start + batch_size])


def bench_embed(args: argparse.Namespace) -> dict:
    from commentwatch.embed.embedder import load_embedder, resolve_device
    from commentwatch.measure.bench import load_corpus

    source, texts = load_corpus(args.corpus, args.size)
    device = resolve_device(args.device)
    embedder = load_embedder(args.model, device)
    cuda = device.startswith("cuda")
    if cuda:
        import torch
    rows = []
    for batch_size in args.batch_sizes:
        _encode_all(embedder, texts[:batch_size], batch_size)  # warm-up: kernels, caches
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            _encode_all(embedder, texts, batch_size)
            best = min(best, time.perf_counter() - started)
        rows.append({
            "batch_size": batch_size,
            "texts_per_s": round(len(texts) / best, 1),
            "ms_per_batch": round(1000 * best / -(-len(texts) // batch_size), 3),
            "peak_gpu_mib": round(torch.cuda.max_memory_allocated() / 2**20, 1) if cuda else None,
        })
    return {
        "model": args.model,
        "embedder": type(embedder).__name__,
        "dimension": embedder.dimension,
        "device": device,
        "gpu": torch.cuda.get_device_name() if cuda else None,
        "corpus": source,
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / max(len(texts), 1), 1),
        "batches": rows,
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def embed_command(args: argparse.Namespace) -> int:
    result = bench_embed(args)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    where = result["device"] + (f" ({result['gpu']})" if result["gpu"] else "")
    print(f"model {result['model']} ({result['embedder']}, {result['dimension']} dimensions) on {where}")
    print(f"corpus: {result['corpus']} ({result['texts']} texts, mean {result['mean_chars']} chars)")
    print(f"  {'batch':>6} {'texts/s':>12} {'ms/batch':>10} {'peak GPU MiB':>13}")
    for row in result["batches"]:
        gpu = "-" if row["peak_gpu_mib"] is None else f"{row['peak_gpu_mib']:,}"
        print(f"  {row['batch_size']:>6} {row['texts_per_s']:>12,} {row['ms_per_batch']:>10} {gpu:>13}")
    print(f"  peak memory (process) {result['peak_rss_mib']} MiB")
    return 0


def add_embed_parser(bench_subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``embed`` under the ``bench`` command's sub-modes."""
    embed = bench_subparsers.add_parser(
        "embed", help="embedding throughput of a model on a device, batch sizes swept",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    embed.add_argument("--model", default="default",
                       help="what detect.model accepts: 'default', a local folder or a hub id (default: default)")
    embed.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")
    embed.add_argument("--batch-sizes", type=parse_batch_sizes, default=DEFAULT_BATCH_SIZES,
                       help="comma-separated (default: 1,8,32,128,512)")
    embed.add_argument("--corpus", help="COLD-format CSV or JSON Lines with a text field (default: COLD train if present)")
    embed.add_argument("--size", type=int, default=4096, help="texts to encode per run (default 4096)")
    embed.add_argument("--repeat", type=int, default=2, help="runs per batch size; the best is reported")
    embed.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    embed.set_defaults(handler=embed_command)
    return embed
