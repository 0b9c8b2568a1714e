"""The default static model: loads through sentence-transformers, reads Chinese,
and the numpy hot path computes exactly what the model computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sentence_transformers import SentenceTransformer

from commentwatch.embed.distill import save_model
from commentwatch.embed.embedder import (
    EmbeddingModelError,
    StaticEmbedder,
    TransformerEmbedder,
    load_embedder,
    resolve_device,
)
from commentwatch.paths import EMBEDDING_MODEL_DIR


@pytest.fixture(scope="module")
def embedder() -> StaticEmbedder:
    loaded = load_embedder("default", "cpu")
    assert isinstance(loaded, StaticEmbedder)
    return loaded


def test_the_default_model_loads_with_plain_sentence_transformers():
    model = SentenceTransformer(str(EMBEDDING_MODEL_DIR), device="cpu")
    vectors = model.encode(["这是 我们 之间 的 秘密", "今天 天气 很 好"])
    assert vectors.shape == (2, model.get_embedding_dimension())
    assert np.all(np.isfinite(vectors))


@pytest.mark.parametrize(
    "tokens",
    [
        ["这", "是", "我们", "之间", "的", "秘密"],
        ["加", "vx", "看", "福利", "！", "！"],
        ["小朋友", "跳舞", "😀", "真棒"],
        ["完全没见过的生造词语组合", "qq123456"],
    ],
)
def test_numpy_path_matches_the_model_on_the_same_tokens(embedder, tokens):
    mine = embedder.encode_tokens([tokens])[0]
    theirs = embedder.model.encode([" ".join(tokens)], convert_to_numpy=True).astype(np.float32)[0]
    theirs /= np.linalg.norm(theirs)
    np.testing.assert_allclose(mine, theirs, atol=2e-3)


def test_vectors_are_unit_length_and_empty_text_is_zero(embedder):
    vectors = embedder.encode_tokens([["你好"], [], ["，"]])
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-5)
    assert not vectors[1].any()
    assert not vectors[2].any()  # punctuation only: [UNK], a zero row


def test_paraphrases_are_closer_than_unrelated_text(embedder):
    a, b, c = embedder.encode(["别告诉你爸妈", "不要让你妈妈知道", "火车晚点了半小时"])
    assert a @ b > a @ c + 0.2


def test_fingerprint_is_stable_and_tracks_the_weights(embedder, tmp_path):
    assert load_embedder("default", "cpu").fingerprint == embedder.fingerprint
    rows = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    first = save_model(tmp_path / "a", ["你", "好", "你好"], rows, "card", {})
    second = save_model(tmp_path / "b", ["你", "好", "你好"], rows * 2, "card", {})
    assert first != second
    assert load_embedder(str(tmp_path / "a"), "cpu").fingerprint == first


def test_unsegmented_text_falls_back_to_longest_match(tmp_path):
    rows = np.eye(4, dtype=np.float32)
    save_model(tmp_path / "m", ["你", "好", "你好", "吗"], rows, "card", {})
    model = load_embedder(str(tmp_path / "m"), "cpu")
    assert model.token_ids("你好吗") == (3, 4)  # [UNK] is id 0, so words start at 1


def test_auto_device_follows_torch():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cuda:1") == "cuda:1"


def test_an_unknown_device_names_the_key():
    with pytest.raises(EmbeddingModelError, match="detect.device"):
        resolve_device("tpu")


def test_a_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(EmbeddingModelError, match="cannot load"):
        load_embedder(str(tmp_path / "nowhere"), "cpu")


def test_a_model_with_more_than_static_embedding_goes_through_encode(tmp_path):
    from sentence_transformers.sentence_transformer.modules import Dense

    static = SentenceTransformer(str(EMBEDDING_MODEL_DIR), device="cpu")
    dim = static.get_embedding_dimension()
    dense = Dense(in_features=dim, out_features=8)
    model = SentenceTransformer(modules=[*static, dense], device="cpu")
    model.save(str(tmp_path / "dense"))
    wrapped = load_embedder(str(tmp_path / "dense"), "cpu")
    assert isinstance(wrapped, TransformerEmbedder)
    vectors = wrapped.encode(["你好 世界", "再见"])
    assert vectors.shape == (2, 8)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
