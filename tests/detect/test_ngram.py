"""The character n-gram model: what it reads, how it is stored, and a broken artefact."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from commentwatch.config import Config, DetectConfig
from commentwatch.detect.ngram import NgramModel
from commentwatch.errors import CommentwatchError, NgramModelError
from commentwatch.judge import Judge
from commentwatch.paths import NGRAM_DIR
from commentwatch.values import Comment, Video

OFFENDING = ["加我微信私聊", "加我qq领福利", "私聊我发你红包", "加微信看好东西", "加我微信吧"]
BENIGN = ["跳得真好", "宝宝真可爱", "今天天气好", "谢谢老师", "画得真棒"]


def test_it_learns_and_reads_spaced_out_words_as_written(tmp_path):
    model = NgramModel.fit(OFFENDING + BENIGN, [1] * 5 + [0] * 5)
    spaced, plain, benign, empty = model.probabilities(["加 我 微 信", "加我微信", "宝宝真棒", "   "])
    assert spaced == pytest.approx(plain, abs=1e-6)
    assert plain > 0.5 > benign
    assert empty == 0.0  # no characters: no opinion
    model.save(tmp_path / "m")
    again = NgramModel.load(tmp_path / "m")
    assert np.allclose(again.probabilities(["加我微信", "宝宝真棒"]), model.probabilities(["加我微信", "宝宝真棒"]),
                       atol=1e-2)


def test_the_judge_reads_the_shipped_model_unless_it_is_switched_off():
    comment = Comment("c", "加我微信私聊", Video(featuring_minors=True))
    on = Judge.from_config(Config(detect=DetectConfig(semantic=False))).observe_many([comment])[0]
    off = Judge.from_config(Config(detect=DetectConfig(semantic=False, ngram="none"))).observe_many([comment])[0]
    assert 0.0 < on.signals.ngram <= 1.0
    assert off.signals.ngram == 0.0


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "ngram.npz").unlink(), "no n-gram model here"),
    (lambda d: (d / "ngram.json").write_text("[", encoding="utf-8"), "not valid JSON"),
    (lambda d: (d / "ngram.json").write_text(json.dumps({"format": "commentwatch-ngram/1", "features": 5,
                                                         "ngrams": [1, 3]}), encoding="utf-8"), "other settings"),
    (lambda d: (d / "ngram.npz").write_bytes(b"not a zip"), "unreadable weights"),
])
def test_a_broken_model_is_refused_naming_the_file(tmp_path, damage, message):
    folder = tmp_path / "ngram"
    shutil.copytree(NGRAM_DIR, folder)
    damage(folder)
    with pytest.raises(NgramModelError, match=message) as caught:
        Judge.from_config(Config(detect=replace(DetectConfig(semantic=False), ngram=str(folder))))
    assert isinstance(caught.value, CommentwatchError) and str(folder) in str(caught.value)
