"""The classifier artefact: trains, round-trips without pickle, and refuses a
model it was not trained on."""

from __future__ import annotations

import json

import numpy as np
import pytest

from commentwatch.detect.classifier import (
    Classifier,
    ClassifierError,
    HeadSpec,
    NgramHasher,
    fit,
)
from commentwatch.embed.embedder import load_embedder
from commentwatch.paths import CLASSIFIER_DIR

ABUSIVE = ["你这个傻子", "滚开丑八怪", "脑子有病吧你", "真是个废物", "恶心死了你", "傻子一个滚",
           "废物东西", "有病去治", "丑八怪别出来", "滚回去废物"]
KIND = ["跳得真好看", "今天天气很好", "谢谢分享", "宝宝真可爱", "学到了谢谢", "加油继续努力",
        "这首歌好听", "画得真棒", "太厉害了", "支持一下"]


@pytest.fixture(scope="module")
def embedder():
    return load_embedder("default", "cpu")


@pytest.fixture(scope="module")
def trained(embedder) -> Classifier:
    texts = ABUSIVE + KIND
    tokens = [embedder.tokenize(t) for t in texts]
    labels = np.array([1] * len(ABUSIVE) + [0] * len(KIND))
    return fit(texts, tokens, embedder.encode_tokens(tokens), {"abuse": HeadSpec(labels, C=10.0)},
               model_fingerprint=embedder.fingerprint, info={"model": "default"})


def probabilities(classifier, embedder, texts):
    tokens = [embedder.tokenize(t) for t in texts]
    return classifier.probabilities(texts, tokens, embedder.encode_tokens(tokens))


def test_it_separates_what_it_was_taught(trained, embedder):
    p = probabilities(trained, embedder, ["你真是个傻子废物", "宝宝跳得真好看"])[:, 0]
    assert p[0] > 0.5 > p[1]


def test_save_and_load_give_the_same_scores(trained, embedder, tmp_path):
    trained.save(tmp_path)
    assert not list(tmp_path.glob("*.pkl"))
    loaded = Classifier.load(tmp_path, model_fingerprint=embedder.fingerprint)
    texts = ["滚开傻子", "谢谢分享", ""]
    np.testing.assert_allclose(probabilities(loaded, embedder, texts), probabilities(trained, embedder, texts),
                               atol=5e-3)
    assert loaded.info["model"] == "default"


def test_it_refuses_another_embedding_model(trained, embedder, tmp_path):
    trained.save(tmp_path)
    with pytest.raises(ClassifierError, match=f"trained on embedding model '{embedder.fingerprint}'.*'0123'"):
        Classifier.load(tmp_path, model_fingerprint="0123")


def test_missing_and_broken_artefacts_are_named(trained, embedder, tmp_path):
    with pytest.raises(ClassifierError, match="no classifier here"):
        Classifier.load(tmp_path, model_fingerprint=embedder.fingerprint)
    trained.save(tmp_path)
    (tmp_path / "classifier.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ClassifierError, match="classifier.json: not valid JSON"):
        Classifier.load(tmp_path, model_fingerprint=embedder.fingerprint)
    trained.save(tmp_path)
    (tmp_path / "classifier.npz").write_bytes(b"garbage")
    with pytest.raises(ClassifierError, match="classifier.npz: unreadable"):
        Classifier.load(tmp_path, model_fingerprint=embedder.fingerprint)


def test_the_committed_classifier_fits_the_committed_model(embedder):
    classifier = Classifier.load(CLASSIFIER_DIR, model_fingerprint=embedder.fingerprint)
    meta = json.loads((CLASSIFIER_DIR / "classifier.json").read_text(encoding="utf-8"))
    assert set(classifier.categories) == set(meta["thresholds"]["classifier_min"])
    assert (CLASSIFIER_DIR / "README.md").is_file()
    p = probabilities(classifier, embedder, ["你这个傻逼滚远点"])[0]
    assert p[classifier.categories.index("abuse")] > 0.5


def test_a_head_without_both_classes_is_refused(embedder):
    tokens = [["好"], ["好"]]
    with pytest.raises(ValueError, match="head 'abuse': needs both"):
        fit(["好", "好"], tokens, embedder.encode_tokens(tokens), {"abuse": HeadSpec(np.array([0, 0]))},
            model_fingerprint="x")


def test_ngram_hashing_is_stable_and_stays_inside_each_text():
    first, second = NgramHasher(), NgramHasher()
    a = first.words([["你", " ", "好"], ["再见"]]).toarray()
    np.testing.assert_array_equal(a, second.words([["你", "好"], ["再见"]]).toarray())
    assert a[0].sum() == 3 and a[1].sum() == 1  # 你, 好, 你+好 / 再见: no pair across texts
    chars = first.chars(["你好", "", "\ud800坏"]).toarray()
    assert chars[0].sum() == 3 and chars[1].sum() == 0 and chars[2].sum() == 3
