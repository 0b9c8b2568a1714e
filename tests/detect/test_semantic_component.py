"""The semantic spaCy component: exemplar evidence, classifier evidence, caching,
and its place in the Judge beside the lexicon path."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import jieba
import numpy as np
import pytest
import spacy
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces

import commentwatch.detect.semantic  # noqa: F401  (registers the factory)
from commentwatch.config import Config
from commentwatch.detect.exemplars import (
    ExemplarError,
    ExemplarIndex,
    read_exemplar_file,
)
from commentwatch.detect.semantic import FACTORY, token_texts
from commentwatch.embed.embedder import load_embedder
from commentwatch.paths import LEXICON_DIR
from commentwatch.values import Comment, Video


class Jieba:
    """A minimal jieba tokenizer, standing in for the core's in these unit tests."""

    def __init__(self, vocab):
        self.vocab = vocab

    def __call__(self, text):
        words, spaces = get_words_and_spaces([w for w in jieba.cut(text, HMM=False) if w], text)
        return Doc(self.vocab, words=words, spaces=spaces)


def pipeline(exemplar_dir: Path, cache_dir: Path, **config):
    nlp = spacy.blank("zh")
    nlp.tokenizer = Jieba(nlp.vocab)
    nlp.add_pipe(FACTORY, config={"exemplar_dir": str(exemplar_dir), "cache_dir": str(cache_dir),
                                  "device": "cpu", **config})
    return nlp


@pytest.fixture()
def exemplar_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "exemplars"
    folder.mkdir()
    (folder / "grooming.txt").write_text("# secrets\n这是我们之间的秘密\n别告诉你爸妈\n", encoding="utf-8")
    (folder / "sexualize.txt").write_text("把镜头往下移一点\n", encoding="utf-8")
    return folder


def test_a_paraphrase_of_an_exemplar_becomes_evidence_naming_it(exemplar_dir, tmp_path):
    nlp = pipeline(exemplar_dir, tmp_path / "cache", classifier="none", exemplar_min=0.6)
    doc = nlp("不要告诉你爸妈哦")
    exemplar = [e for e in doc._.cw_evidence if e.source == "exemplar"]
    assert [e.category for e in exemplar] == ["grooming"]
    assert exemplar[0].term == "别告诉你爸妈"
    assert exemplar[0].detail.startswith("close to: 别告诉你爸妈, 0.")
    assert (exemplar[0].start, exemplar[0].end) == (0, len("不要告诉你爸妈哦"))
    assert doc.cats["grooming"] == exemplar[0].score


def test_unrelated_text_gets_no_exemplar_evidence(exemplar_dir, tmp_path):
    nlp = pipeline(exemplar_dir, tmp_path / "cache", classifier="none", exemplar_min=0.6)
    doc = nlp("今天的晚饭是红烧肉")
    assert doc._.cw_evidence == []
    assert "grooming" not in doc.cats


def test_pipe_and_call_agree(exemplar_dir, tmp_path):
    nlp = pipeline(exemplar_dir, tmp_path / "cache", exemplar_min=0.6)
    texts = ["不要告诉你爸妈哦", "你这个傻逼滚", "宝宝跳得真好", ""]
    one_by_one = [[(e.source, e.category, e.score) for e in nlp(t)._.cw_evidence] for t in texts]
    batched = [[(e.source, e.category, e.score) for e in d._.cw_evidence] for d in nlp.pipe(texts, batch_size=3)]
    assert one_by_one == batched
    def rounded(scores):
        return tuple({c: round(v, 4) for c, v in table.items()} for table in scores)

    scores_one = [nlp(t)._.cw_scores for t in texts]
    scores_batched = [d._.cw_scores for d in nlp.pipe(texts, batch_size=3)]
    assert [rounded(s) for s in scores_one] == [rounded(s) for s in scores_batched]
    # Every category's raw probability is kept for the decision layer, evidence or not.
    classifier_scores, exemplar_scores = scores_one[1]
    assert classifier_scores["abuse"] > 0.5 > classifier_scores["grooming"]
    assert "grooming" in exemplar_scores
    # A text with no readable word has no scores at all.
    assert scores_one[3] == ({}, {})


def test_static_vectors_match_the_model_on_the_docs_tokens(exemplar_dir, tmp_path):
    nlp = pipeline(exemplar_dir, tmp_path / "cache", classifier="none")
    component = nlp.get_pipe(FACTORY)
    doc = nlp.make_doc("这是我们之间的秘密，别告诉别人")
    tokens = token_texts([doc])[0]
    assert tokens == [t.text for t in doc]
    mine = component.encode_docs([doc])[0]
    theirs = component.embedder.model.encode([" ".join(tokens)]).astype(np.float32)[0]
    np.testing.assert_allclose(mine, theirs / np.linalg.norm(theirs), atol=2e-3)


def test_exemplar_vectors_are_cached_and_rebuilt_when_the_file_changes(exemplar_dir, tmp_path):
    embedder = load_embedder("default", "cpu")
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return embedder.encode(texts)

    cache = tmp_path / "cache"
    first = ExemplarIndex.load(exemplar_dir, encode=encode, model_fingerprint=embedder.fingerprint, cache_dir=cache)
    again = ExemplarIndex.load(exemplar_dir, encode=encode, model_fingerprint=embedder.fingerprint, cache_dir=cache)
    assert len(calls) == 1 and len(list(cache.glob("exemplars-*.npy"))) == 1
    np.testing.assert_array_equal(first.vectors, again.vectors)

    with (exemplar_dir / "privacy.txt").open("w", encoding="utf-8") as handle:
        handle.write("我知道她在哪个学校上学\n")
    edited = ExemplarIndex.load(exemplar_dir, encode=encode, model_fingerprint=embedder.fingerprint, cache_dir=cache)
    assert len(calls) == 2 and "privacy" in edited.category_names

    ExemplarIndex.load(exemplar_dir, encode=encode, model_fingerprint="another-model", cache_dir=cache)
    assert len(calls) == 3


def test_an_unwritable_cache_only_costs_time(exemplar_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    embedder = load_embedder("default", "cpu")
    index = ExemplarIndex.load(exemplar_dir, encode=embedder.encode, model_fingerprint="x", cache_dir=blocker / "sub")
    assert len(index) == 3


def test_a_file_named_for_no_category_is_refused(exemplar_dir, tmp_path):
    (exemplar_dir / "spam.txt").write_text("买买买\n", encoding="utf-8")
    with pytest.raises(ExemplarError, match=r"spam.txt: 'spam' is not a harm category"):
        ExemplarIndex.load(exemplar_dir, encode=lambda t: None, model_fingerprint="x", cache_dir=None)


def test_broken_exemplar_files_are_named_with_the_line(tmp_path):
    bad = tmp_path / "grooming.txt"
    bad.write_bytes("好的\n".encode() + b"\xff\xfe\n")
    with pytest.raises(ExemplarError, match="grooming.txt: not UTF-8"):
        read_exemplar_file(bad)
    bad.write_text("# fine\n好的\n" + "长" * 500 + "\n", encoding="utf-8")
    with pytest.raises(ExemplarError, match=r"grooming.txt:3: exemplar of 500 characters"):
        read_exemplar_file(bad)


def test_the_shipped_exemplars_load():
    embedder = load_embedder("default", "cpu")
    index = ExemplarIndex.load(LEXICON_DIR / "exemplars", encode=embedder.encode,
                               model_fingerprint=embedder.fingerprint, cache_dir=None)
    assert len(index) >= 100
    assert set(index.category_names) >= {"sexualize", "grooming", "contact", "privacy"}


@pytest.fixture(scope="module")
def lexicon_copy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lexicons") / "lexicons"
    shutil.copytree(LEXICON_DIR, folder)
    return folder


def test_the_judge_adds_semantic_evidence_and_works_without_it(lexicon_copy, monkeypatch, tmp_path):
    from commentwatch.judge import Judge

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    phrase = "叔叔请你吃冰淇淋你偷偷出来"
    (lexicon_copy / "exemplars" / "grooming.txt").write_text(phrase + "\n", encoding="utf-8")
    config = Config()
    # One threshold set here: the tuned ones change with every retraining.
    config = replace(config, detect=replace(config.detect, lexicon_dir=lexicon_copy, exemplar_min=0.8))
    comment = Comment("c1", "叔叔请你吃冰淇淋，你偷偷出来吧", Video(featuring_minors=True))

    with_semantic = Judge.from_config(config).judge(comment)
    sources = {e.source for e in with_semantic.evidence}
    assert "exemplar" in sources
    assert with_semantic.action.value in ("alert", "hide")
    assert any(e.detail.startswith(f"close to: {phrase}") for e in with_semantic.evidence)

    lexicon_only = Judge.from_config(replace(config, detect=replace(config.detect, semantic=False)))
    verdict = lexicon_only.judge(comment)
    assert not {"exemplar", "classifier"} & {e.source for e in verdict.evidence}


def test_a_semantic_signal_alone_stays_under_the_hide_threshold(exemplar_dir, tmp_path):
    from commentwatch.detect.semantic import component_config

    config = component_config(Config().detect, Config().policy)
    assert config["score_cap"] < min(Config().policy.hide, Config().policy.minors_hide)
    nlp = pipeline(exemplar_dir, tmp_path / "cache", classifier="none", exemplar_min=0.6, score_cap=0.5)
    (item,) = nlp("别告诉你爸妈")._.cw_evidence
    assert item.score == 0.5
    assert item.detail == "close to: 别告诉你爸妈, 1.00"  # the raw similarity stays visible


@pytest.mark.parametrize("text", [" ", "  \n\t", "😀😀😀", "！！？", "\u200b"])
def test_text_without_a_known_word_gets_no_semantic_evidence(exemplar_dir, tmp_path, text):
    nlp = pipeline(exemplar_dir, tmp_path / "cache", exemplar_min=0.0, classifier_min=0.0)
    assert nlp(text)._.cw_evidence == []
    assert nlp("别告诉你爸妈")._.cw_evidence  # the same thresholds do fire on words


def test_a_lone_surrogate_is_an_unknown_token():
    embedder = load_embedder("default", "cpu")
    assert embedder.token_ids("\ud800") == (0,)
    assert not embedder.encode_tokens([["\ud800"]]).any()


def test_a_bystander_comment_gets_no_semantic_abuse_evidence(lexicon_copy, monkeypatch, tmp_path):
    from commentwatch.judge import Judge

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reported = "这些人太恶心了，一群垃圾，已举报"
    (lexicon_copy / "exemplars" / "abuse.txt").write_text(reported + "\n", encoding="utf-8")
    config = Config()
    config = replace(config, detect=replace(config.detect, lexicon_dir=lexicon_copy, exemplar_min=0.8))
    comment = Comment("c1", reported, Video(featuring_minors=True))

    def semantic_abuse(judge):
        return [e for e in judge.judge(comment).evidence if e.source in ("exemplar", "classifier")
                and e.category == "abuse"]

    assert semantic_abuse(Judge.from_config(config)) == []  # 举报 is a bystander word
    abuse = lexicon_copy / "abuse.txt"
    abuse.write_text("".join(line for line in abuse.read_text(encoding="utf-8").splitlines(keepends=True)
                             if "bystander" not in line), encoding="utf-8")
    assert semantic_abuse(Judge.from_config(config))  # the same comment, once the words are gone


def test_thresholds_set_in_config_must_be_probabilities():
    from commentwatch.config import ConfigError, DetectConfig

    with pytest.raises(ConfigError, match="detect.exemplar_min: expected -1"):
        DetectConfig(exemplar_min=1.5)
