"""Embedding throughput of a model on a device, batch sizes swept.

The semantic stage's cost is mostly its embedding model, so an operator
choosing a transformer model and a batch size for a GPU needs this figure;
on a CPU it shows what the static default saves. Texts are encoded as the
embedder encodes free text, each batch size timed after a warm-up batch.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Sequence
from dataclasses import dataclass

from commentwatch.embed.embedder import load_embedder, resolve_device
from commentwatch.training.corpus import load_corpus

DEFAULT_BATCH_SIZES = (1, 8, 32, 128, 512)


@dataclass(frozen=True)
class EmbedBenchOptions:
    #: What ``detect.model`` accepts: "default", a local folder or a hub id.
    model: str = "default"
    #: auto, cpu, cuda, cuda:N or mps.
    device: str = "auto"
    batch_sizes: tuple[int, ...] = DEFAULT_BATCH_SIZES
    #: COLD-format CSV or JSON Lines with a text field; ``None``: COLD train if present.
    corpus: str | None = None
    #: Texts encoded per run.
    size: int = 4096
    #: Runs per batch size; the best is reported.
    repeat: int = 2


def _encode_all(embedder, texts: Sequence[str], batch_size: int) -> None:
    if hasattr(embedder, "batch_size"):
        embedder.batch_size = batch_size  # model.encode batches inside one call
    for start in range(0, len(texts), batch_size):
        embedder.encode(texts[start : start + batch_size])


def bench_embed(options: EmbedBenchOptions) -> dict:
    """texts/s, ms per batch and peak GPU memory of ``options.model`` per batch size."""
    source, texts = load_corpus(options.corpus, options.size)
    device = resolve_device(options.device)
    embedder = load_embedder(options.model, device)
    cuda = device.startswith("cuda")
    if cuda:
        import torch
    rows = []
    for batch_size in options.batch_sizes:
        _encode_all(embedder, texts[:batch_size], batch_size)  # warm-up: kernels, caches
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        best = float("inf")
        for _ in range(options.repeat):
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
        "model": options.model,
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


def format_embed(result: dict) -> str:
    """The figures as the table ``commentwatch bench embed`` prints."""
    lines = []
    where = result["device"] + (f" ({result['gpu']})" if result["gpu"] else "")
    lines.append(f"model {result['model']} ({result['embedder']}, {result['dimension']} dimensions) on {where}")
    lines.append(f"corpus: {result['corpus']} ({result['texts']} texts, mean {result['mean_chars']} chars)")
    lines.append(f"  {'batch':>6} {'texts/s':>12} {'ms/batch':>10} {'peak GPU MiB':>13}")
    for row in result["batches"]:
        gpu = "-" if row["peak_gpu_mib"] is None else f"{row['peak_gpu_mib']:,}"
        lines.append(f"  {row['batch_size']:>6} {row['texts_per_s']:>12,} {row['ms_per_batch']:>10} {gpu:>13}")
    lines.append(f"  peak memory (process) {result['peak_rss_mib']} MiB")
    return "\n".join(lines)
