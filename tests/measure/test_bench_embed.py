"""``commentwatch bench embed``: a batch-size sweep over any embedding model."""

import argparse
import json
import subprocess
import sys

import pytest

from commentwatch.cli.measure import parse_batch_sizes
from commentwatch.measure.bench_embed import EmbedBenchOptions, bench_embed


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "texts.jsonl"
    texts = ["小朋友跳得真好", "加个微信私聊", "今天天气不错", "这个视频好可爱", "哈哈哈哈"] * 8
    path.write_text("".join(json.dumps({"text": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    return path


def _args(corpus, **overrides):
    values = {"model": "default", "device": "cpu", "batch_sizes": (1, 16), "corpus": str(corpus),
              "size": 40, "repeat": 1}
    values.update(overrides)
    return EmbedBenchOptions(**values)


def test_every_batch_size_is_timed_on_the_whole_corpus(corpus):
    result = bench_embed(_args(corpus))
    assert result["embedder"] == "StaticEmbedder"
    assert result["device"] == "cpu" and result["gpu"] is None
    assert result["texts"] == 40
    assert [row["batch_size"] for row in result["batches"]] == [1, 16]
    assert all(row["texts_per_s"] > 0 and row["peak_gpu_mib"] is None for row in result["batches"])
    # 40 texts in batches of 16 are 3 batches: the per-batch time is a third of the run.
    one, sixteen = result["batches"]
    assert sixteen["ms_per_batch"] == pytest.approx(1000 * 40 / sixteen["texts_per_s"] / 3, rel=0.01)
    assert one["ms_per_batch"] == pytest.approx(1000 / one["texts_per_s"], rel=0.01)


def test_a_model_that_is_not_static_goes_through_its_own_batches(corpus, tmp_path):
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense

    from commentwatch.paths import EMBEDDING_MODEL_DIR

    static = SentenceTransformer(str(EMBEDDING_MODEL_DIR), device="cpu")
    dense = Dense(in_features=static.get_embedding_dimension(), out_features=8)
    SentenceTransformer(modules=[*static, dense], device="cpu").save(str(tmp_path / "dense"))
    result = bench_embed(_args(corpus, model=str(tmp_path / "dense"), batch_sizes=(4,)))
    assert result["embedder"] == "TransformerEmbedder"
    assert result["dimension"] == 8
    assert result["batches"][0]["batch_size"] == 4


@pytest.mark.parametrize("value", ["0", "8,x", "", "-4"])
def test_bad_batch_sizes_name_the_option(value):
    with pytest.raises(argparse.ArgumentTypeError, match="--batch-sizes"):
        parse_batch_sizes(value)


def test_the_command_line_prints_one_row_per_batch_size(corpus):
    done = subprocess.run(
        [sys.executable, "-m", "commentwatch", "bench", "embed", "--device", "cpu", "--corpus", str(corpus),
         "--size", "20", "--batch-sizes", "2,10", "--repeat", "1"],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [row[0] for row in rows] == ["2", "10"]
    bad = subprocess.run([sys.executable, "-m", "commentwatch", "bench", "embed", "--batch-sizes", "0"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--batch-sizes" in bad.stderr
