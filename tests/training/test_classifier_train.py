"""``commentwatch train`` end to end on small labelled files, and its input errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from commentwatch.decide.layer import DecisionLayer
from commentwatch.detect.classifier import Classifier
from commentwatch.detect.ngram import NgramModel
from commentwatch.embed.embedder import load_embedder
from commentwatch.errors import DataError
from commentwatch.training.corpus import read_cold, read_labelled

GROOMING = ["这是我们之间的秘密", "别告诉你爸妈", "偷偷出来见哥哥", "放学后叔叔去接你", "一个人在家吗小妹妹",
            "叔叔给你买好吃的", "不要让妈妈知道", "哥哥带你去玩别说出去", "晚上偷偷开视频", "你爸妈不在家吧"]
ABUSE = ["你这个傻子", "滚开丑八怪", "脑子有病吧你", "真是个废物", "恶心死了你",
         "傻子一个滚", "废物东西", "有病去治", "丑八怪别出来", "滚回去废物"]
KIND = ["跳得真好看", "今天天气很好", "谢谢分享", "宝宝真可爱", "学到了谢谢", "加油继续努力", "这首歌好听",
        "画得真棒", "太厉害了", "支持一下", "妈妈做的饭真香", "小朋友唱得真好", "老师讲得很清楚", "好温馨的一家人",
        "下次还来看"]


def write_jsonl(path: Path, rows) -> None:
    video = {"id": "v1", "title": "宝宝跳舞", "tags": ["萌娃"], "description": "", "featuring_minors": True}
    with path.open("w", encoding="utf-8") as handle:
        for i, (text, label, category) in enumerate(rows):
            handle.write(json.dumps({"id": f"r{i}", "text": text, "video": video, "label": label,
                                     "category": category}, ensure_ascii=False) + "\n")


@pytest.fixture()
def labelled(tmp_path: Path) -> Path:
    folder = tmp_path / "labelled"
    folder.mkdir()
    rows = [(t, 1, "grooming") for t in GROOMING] + [(t, 1, "abuse") for t in ABUSE] + [(t, 0, "none") for t in KIND]
    write_jsonl(folder / "train.jsonl", rows)
    write_jsonl(folder / "dev.jsonl", rows[::3])
    (folder / "blind").mkdir()
    write_jsonl(folder / "blind" / "part.jsonl", [(text + "呀", label, category) for text, label, category in rows])
    return folder


def test_train_writes_an_artefact_that_loads_for_the_default_model(labelled, tmp_path):
    cold = tmp_path / "cold"
    cold.mkdir()
    lines = ["\ufeff,split,topic,label,TEXT"] + [f"{i},train,x,1,{t}" for i, t in enumerate(ABUSE)]
    lines += [f"{i + 100},train,x,0,{t}" for i, t in enumerate(KIND)]
    (cold / "train.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (cold / "dev.csv").write_text("\n".join(lines[:1] + lines[1::2]) + "\n", encoding="utf-8")
    out, decision = tmp_path / "classifier", tmp_path / "decision"
    result = subprocess.run(
        [sys.executable, "-m", "commentwatch", "train", "--labelled", str(labelled), "--cold", str(cold),
         "--out", str(out), "--decision-out", str(decision), "--ngram-out", str(tmp_path / "ngram")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "COLD dev: accuracy" in result.stdout
    embedder = load_embedder("default", "cpu")
    classifier = Classifier.load(out, model_fingerprint=embedder.fingerprint)
    assert set(classifier.categories) == {"grooming", "abuse"}
    thresholds = classifier.info["thresholds"]
    assert set(thresholds["classifier_min"]) == {"grooming", "abuse"}
    assert set(thresholds["exemplar_min"]) >= {"grooming", "sexualize"}  # the shipped exemplar files
    assert all(0.5 <= t <= 1.01 for t in [*thresholds["exemplar_min"].values(), *thresholds["classifier_min"].values()])
    data = classifier.info["data"]
    assert {k: data[k] for k in ("labelled_train", "blind", "cold_train")} == {"labelled_train": 35, "blind": 35,
                                                                               "cold_train": 25}
    assert 35 <= data["rewrites"] <= 2 * 70  # up to two rewrites of each of the 70 comments
    card = (out / "README.md").read_text(encoding="utf-8")
    assert embedder.fingerprint in card and "cold_dev_accuracy" in card
    # The decision layer learned on the blind rows, with thresholds and a card.
    layer = DecisionLayer.load(decision)
    assert layer.info["blind_rows"] == 35 and layer.info["cold_rows"] == 25 and layer.info["rows"] == 60
    for variant in layer.variants.values():
        assert set(variant.heads) == {"offending", "grooming", "abuse"}
        assert 0.0 <= variant.alert <= variant.hide <= 1.0
        assert 0.0 <= variant.minors_alert <= variant.minors_hide <= 1.0
    assert "hide >=" in (decision / "README.md").read_text(encoding="utf-8")
    # The character n-gram model the layer reads was written beside it and loads.
    ngram = NgramModel.load(tmp_path / "ngram")
    p_abuse, p_kind = ngram.probabilities([ABUSE[0], KIND[0]])
    assert p_abuse > p_kind


def test_train_without_a_blind_partition_leaves_the_decision_layer_alone(labelled, tmp_path):
    import shutil

    shutil.rmtree(labelled / "blind")
    decision = tmp_path / "decision"
    result = subprocess.run(
        [sys.executable, "-m", "commentwatch", "train", "--labelled", str(labelled), "--cold", str(tmp_path / "none"),
         "--out", str(tmp_path / "classifier"), "--decision-out", str(decision), "--ngram-out", str(tmp_path / "ngram")],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "no lexicon-blind partition" in result.stdout
    assert not decision.exists()


def test_malformed_labelled_lines_are_named(tmp_path):
    path = tmp_path / "train.jsonl"
    path.write_text('{"id": "a", "text": "好", "label": 0}\n{"id": "b", "text": "坏", "label": 1, "category": "spam"}\n',
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"train.jsonl:2: category: expected one of .* got 'spam'"):
        read_labelled(path)
    path.write_text('{"id": "a", "text": "好", "label": 0}\n\n{broken\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"train.jsonl:3: not valid JSON"):
        read_labelled(path)
    path.write_text('{"id": "a", "text": "好", "label": 7}\n{"text": "无", "label": 0}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"2 bad line\(s\):\n.*train.jsonl:1: label: expected 0 or 1, got 7\n"
                                        r".*train.jsonl:2: id: missing"):
        read_labelled(path)


def test_cold_rows_without_a_label_are_named(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("TEXT,label\n好,0\n坏,x\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"train.csv:3: label: expected 0 or 1, got 'x'"):
        read_cold(path)
    with pytest.raises(DataError, match="missing.csv: cannot read: No such file"):
        read_cold(tmp_path / "missing.csv")
    assert [e.text for e in read_cold(_good(tmp_path), limit=2)] == ["a", "b"]


def _good(tmp_path):
    path = tmp_path / "ok.csv"
    path.write_text("TEXT,label\na,0\nb,1\nc,1\n", encoding="utf-8")
    return path
